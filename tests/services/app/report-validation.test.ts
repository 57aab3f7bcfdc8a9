/**
 * The ingest path's validation (Ajv on the generated JSON Schema, then compaction) accepts what the contract's
 * `parseProbeReport` accepts, refuses what it refuses with the same message, and keeps the same report.
 */
import fc from 'fast-check';
import { parseProbeReport, ReportError } from '../../../services/lib/report/report-schema';
import { compactReport, latestOnly } from '../../../services/app/src/report-compaction';
import { ReportValidator } from '../../../services/app/src/report-validation';
import { reportNode } from '../lib/report/report-arbitraries';
import { reportA, reportB } from './support/fixed-reports';

const validator = new ReportValidator();

function outcome(check: () => unknown): string {
  try {
    check();
    return 'accepted';
  } catch (err) {
    if (err instanceof ReportError) return err.message;
    throw err;
  }
}

/** Reports near the valid ones: fields removed, retyped, or pushed past a limit. */
const mutated = fc.tuple(fc.constantFrom(reportA(), reportB()), fc.integer({ min: 0, max: 9 })).map(([report, k]) => {
  const r = JSON.parse(JSON.stringify(report));
  const endpoint = Object.keys(r.topologies.endpoint)[0];
  switch (k) {
    case 0: delete r.probe.version; break;
    case 1: r.timestamp = -5; break;
    case 2: r.topologies.endpoint[endpoint].labels.role = 7; break;
    case 3: r.topologies.endpoint[endpoint].adjacency = ['not an id']; break;
    case 4: r.host = 'has space'; break;
    case 5: r.topologies.host = { 'process:x:1:1': { timestamp: 1 } }; break;
    case 6: r.topologies.process[Object.keys(r.topologies.process)[0]].metrics = { cpu: { samples: [[1, 'high']] } }; break;
    case 7: r.schemaVersion = '3.1'; break;
    case 8: r.unknownField = { kept: false }; break;
    default: break;
  }
  return r;
});

describe('the ingest validator', () => {
  test('refuses exactly what parseProbeReport refuses, with the same message', () => {
    fc.assert(
      fc.property(mutated, (report) => {
        const copy = JSON.parse(JSON.stringify(report));
        expect(outcome(() => validator.check(report))).toBe(outcome(() => parseProbeReport(copy)));
      }),
    );
  });

  test('and compaction then gives parseProbeReport\'s report, series cut to their latest sample', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('host:a', 'host:b'), reportNode(), { minKeys: 1 }), fc.boolean(), (nodes, withProto) => {
        const raw = { ...reportA(), topologies: { host: nodes }, unknown: 1 } as Record<string, unknown>;
        // A `__proto__` label is dropped by both, not set as a prototype.
        const text = withProto ? JSON.stringify(raw).replace(/"labels":\{(\}?)/, (_m, empty) => `"labels":{"__proto__":"x"${empty ? '}' : ','}`) : JSON.stringify(raw);
        const expected = parseProbeReport(JSON.parse(text));
        const compacted = compactReport(validator.check(JSON.parse(text)), undefined);
        const cut = Object.fromEntries(Object.entries(expected.topologies.host).map(([id, n]) => [id, latestOnly(n)]));
        expect(JSON.parse(JSON.stringify(compacted.topologies.host))).toEqual(JSON.parse(JSON.stringify(cut)));
        expect(compacted.probe).toEqual(expected.probe);
        expect(compacted.stats).toEqual(expected.stats);
        expect(Object.keys(compacted)).not.toContain('unknown');
      }),
    );
  });
});
