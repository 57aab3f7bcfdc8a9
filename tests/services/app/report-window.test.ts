/**
 * The window's merged report is the contract's `mergeWindow` (series cut to their latest sample), however reports
 * arrive and however time passes; a probe that stops reporting ages out.
 */
import fc from 'fast-check';
import { fromProbeReport, MergedReport, mergeWindow } from '../../../services/lib/report/report-merge';
import { ProbeReport, REPORT_SCHEMA_VERSION, Topologies } from '../../../services/lib/report/report-schema';
import { compactReport, latestOnly } from '../../../services/app/src/report-compaction';
import { ReportWindow } from '../../../services/app/src/report-window';
import { MergedMaps, reportOf } from '../../../services/app/src/merged-maps';
import { reportNode } from '../lib/report/report-arbitraries';

// 1 ms: shorter than the window, so the window and not the interval sets the cutoff in the property tests.
const INTERVAL_S = 0.001;
const WINDOW_MS = 20;

function probeReport(id: string, timestamp: number, topologies: Topologies): ProbeReport {
  return { schemaVersion: REPORT_SCHEMA_VERSION, probe: { id, version: '1' }, host: id, timestamp, intervalSeconds: INTERVAL_S, topologies, stats: { droppedReports: 0, collectionErrors: {} } };
}

const arbitraryReport: fc.Arbitrary<ProbeReport> = fc
  .record({
    id: fc.constantFrom('p1', 'p2', 'p3'),
    timestamp: fc.integer({ min: 0, max: 30 }),
    topologies: fc.dictionary(fc.constantFrom('host', 'container'), fc.dictionary(fc.constantFrom('host:a', 'host:b', 'container:x', 'container:y'), reportNode()), { minKeys: 1 }),
  })
  .map((r) => probeReport(r.id, r.timestamp, r.topologies));

/** What the window must equal: mergeWindow at the cutoff every probe shares here, series cut to the latest sample. */
function expected(reports: ProbeReport[], cutoff: number): MergedReport {
  const merged = mergeWindow(reports.map(fromProbeReport), cutoff);
  const topologies: Topologies = {};
  for (const [name, topology] of Object.entries(merged.topologies)) {
    topologies[name] = {};
    for (const [id, node] of Object.entries(topology)) topologies[name][id] = latestOnly(node);
  }
  return { probes: merged.probes, topologies };
}

function plain(report: MergedReport | MergedMaps): MergedReport {
  return JSON.parse(JSON.stringify(report.topologies instanceof Map ? reportOf(report as MergedMaps) : report));
}

/** The report's parts hold every node of it exactly once, as the same object. */
function expectPartition(report: MergedMaps): void {
  const seen = new Map<string, unknown>();
  for (const part of report.parts ?? []) {
    for (const [name, topology] of Object.entries(part)) {
      for (const [id, node] of Object.entries(topology)) {
        expect(seen.has(`${name}|${id}`)).toBe(false);
        seen.set(`${name}|${id}`, node);
      }
    }
  }
  let count = 0;
  for (const [name, nodes] of report.topologies) {
    for (const [id, node] of nodes) {
      expect(seen.get(`${name}|${id}`)).toBe(node);
      count++;
    }
  }
  expect(seen.size).toBe(count);
}

describe('the merged report of the window', () => {
  // The window never shortens below interval + grace; with grace 0 and a 20 ms window the cutoff is now - 20.
  const windowOf = (clock: () => number) => new ReportWindow({ windowMs: WINDOW_MS, graceMs: 0, clock });

  test('equals mergeWindow of the reports received, at every step, whatever the order and timing, and its parts partition it', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(arbitraryReport, fc.integer({ min: 0, max: 8 })), { maxLength: 8 }), (steps) => {
        let now = 20;
        const window = windowOf(() => now);
        const received: ProbeReport[] = [];
        for (const [report, wait] of steps) {
          const compacted = compactReport(report, window.previous(report.probe.id));
          window.add(compacted);
          received.push(report);
          now += wait;
          const merged = window.advance().report;
          expect(plain(merged)).toEqual(plain(expected(received, now - WINDOW_MS)));
          expectPartition(merged);
        }
        now += 100;
        expect(plain(window.advance().report)).toEqual({ probes: {}, topologies: {} });
      }),
      { numRuns: 200 },
    );
  });

  test('a report delivered twice changes nothing', () => {
    fc.assert(
      fc.property(arbitraryReport, (report) => {
        const window = windowOf(() => 30);
        window.add(compactReport(report, undefined));
        const once = plain(window.advance().report);
        window.add(compactReport(report, window.previous(report.probe.id)));
        expect(plain(window.advance().report)).toEqual(once);
      }),
    );
  });
});

describe('ageing out', () => {
  const hostReport = (id: string, at: number, intervalSeconds: number) => ({
    ...probeReport(id, at, { host: { [`host:${id}`]: { timestamp: at, labels: { name: id }, metrics: {}, adjacency: [], parents: {} } } }),
    intervalSeconds,
  });

  test('a probe that stops reporting leaves the merged report once its window passes, and is listed as gone', () => {
    let now = 1_000_000;
    const window = new ReportWindow({ windowMs: 15_000, graceMs: 5000, clock: () => now });
    const send = (id: string) => window.add(compactReport(hostReport(id, now, 5), window.previous(id)));
    send('quiet');
    send('busy');
    expect([...window.advance().report.topologies.get('host')!.keys()].sort()).toEqual(['host:busy', 'host:quiet']);
    expect(window.probes().map((p) => p.status)).toEqual(['ok', 'ok']);
    // busy reports every 5 s; quiet never again. Its window is the configured 15 s (5 s interval + 5 s grace is less).
    for (let t = 5000; t <= 15_000; t += 5000) {
      now = 1_000_000 + t;
      send('busy');
    }
    now = 1_000_000 + 15_000;
    expect([...window.advance().report.topologies.get('host')!.keys()].sort()).toEqual(['host:busy', 'host:quiet']);
    expect(window.probes().find((p) => p.id === 'quiet')?.status).toBe('late');
    now += 1;
    const { report, changed } = window.advance();
    expect(changed).toBe(true);
    expect([...report.topologies.get('host')!.keys()]).toEqual(['host:busy']);
    expect(Object.keys(report.probes)).toEqual(['busy']);
    expect(window.probes()).toEqual([expect.objectContaining({ id: 'busy', status: 'ok' }), expect.objectContaining({ id: 'quiet', status: 'gone', lastSeen: 1_000_000 })]);
  });

  test('a probe whose interval is as long as the window keeps its nodes until its next report is due, plus the grace', () => {
    let now = 0;
    const window = new ReportWindow({ windowMs: 15_000, graceMs: 5000, clock: () => now });
    window.add(compactReport(hostReport('slow', 0, 15), undefined));
    now = 19_000;
    expect(window.advance().report.topologies.get('host')?.has('host:slow')).toBe(true);
    expect(window.probes()[0].status).toBe('late');
    now = 20_001;
    expect(window.advance().report.topologies.get('host')).toBeUndefined();
    expect(window.probes()[0].status).toBe('gone');
  });

  test('nothing changes and the generation stays while no report arrives and nothing ages', () => {
    let now = 0;
    const window = new ReportWindow({ windowMs: 15_000, clock: () => now });
    window.add(compactReport(hostReport('a', 0, 15), undefined));
    expect(window.advance().changed).toBe(true);
    const generation = window.generation;
    now = 10_000;
    expect(window.advance().changed).toBe(false);
    expect(window.generation).toBe(generation);
  });
});
