/**
 * Compaction through the ingest path's string table — strings read against the probe's previous report by position,
 * the rest looked up in a table of two bounded generations — keeps the same report as compaction without one,
 * however the probe's strings moved between its reports and however small the table.
 */
import fc from 'fast-check';
import { parseProbeReport, ProbeReport } from '../../../services/lib/report/report-schema';
import { compactReport, StringTable } from '../../../services/app/src/report-compaction';
import { reportNode } from '../lib/report/report-arbitraries';
import { reportA } from './support/fixed-reports';

const ids = fc.constantFrom('host:a', 'host:b', 'host:c', 'host:d');
/** Nodes that share labels, adjacency and parents with each other often, as a probe's next report does. */
const hosts = fc.array(reportNode(), { minLength: 1, maxLength: 3 }).chain((pool) =>
  fc.dictionary(ids, fc.record({ base: fc.constantFrom(...pool), other: fc.constantFrom(...pool), mix: fc.nat(3) }).map(({ base, other, mix }) => ({ ...base, ...(mix & 1 ? { labels: other.labels } : {}), ...(mix & 2 ? { parents: other.parents, adjacency: other.adjacency } : {}) })), { minKeys: 1 }),
);

function report(nodes: Record<string, unknown>, timestamp: number): ProbeReport {
  return parseProbeReport({ ...reportA(), timestamp, topologies: { host: nodes } });
}

const plain = (r: ProbeReport) => JSON.parse(JSON.stringify(r));

describe('compaction with the string table', () => {
  test('gives the report compaction without it and without a previous report gives, for a probe whose strings and nodes moved between reports', () => {
    fc.assert(
      fc.property(fc.array(hosts, { minLength: 2, maxLength: 4 }), fc.integer({ min: 1, max: 8 }), (sent, max) => {
        const table = new StringTable(max);
        let withTable: ProbeReport | undefined;
        let without: ProbeReport | undefined;
        sent.forEach((nodes, i) => {
          withTable = compactReport(report(nodes, 1000 + i), withTable, undefined, table);
          without = compactReport(report(nodes, 1000 + i), without);
          expect(plain(withTable)).toEqual(plain(without));
          expect(plain(without)).toEqual(plain(compactReport(report(nodes, 1000 + i), undefined)));
        });
        expect(table.size).toBeLessThanOrEqual(2 * max);
      }),
    );
  });

  test('stays within its two generations while one string goes on being looked up among new ones', () => {
    const table = new StringTable(2);
    const kept = table.intern(['sh', 'ared'].join(''));
    for (let i = 0; i < 10; i++) {
      table.intern(`other-${i}`);
      expect(table.intern('shared')).toBe(kept);
    }
    expect(table.size).toBeLessThanOrEqual(4);
  });
});

describe('compacted labels', () => {
  const key = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '_', '.'), minLength: 1, maxLength: 4 });
  test('are plain objects with the labels in the order parsed, for any number of keys', () => {
    fc.assert(
      fc.property(fc.dictionary(key, fc.string({ maxLength: 4 }), { maxKeys: 12 }), (labels) => {
        const sent = report({ 'host:a': { timestamp: 1000, labels, metrics: {}, adjacency: [], parents: {} } }, 1000);
        const compacted = compactReport(sent, undefined).topologies.host['host:a'].labels;
        expect(Object.getPrototypeOf(compacted)).toBe(Object.prototype);
        expect(Object.entries(compacted)).toEqual(Object.entries(sent.topologies.host['host:a'].labels));
        expect(JSON.stringify(compacted)).toBe(JSON.stringify(sent.topologies.host['host:a'].labels));
      }),
    );
  });
});
