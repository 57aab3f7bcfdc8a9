/** The merge laws the app relies on to merge reports in any order, and the sliding window over them. */
import fc from 'fast-check';
import { EMPTY_REPORT, expire, merge, mergeAll, mergeNode, mergeWindow, MergedReport } from '../../../../services/lib/report/report-merge';
import { REPORT_LIMITS } from '../../../../services/lib/report/report-schema';
import { mergedReport, reportNode, sampleList } from './report-arbitraries';

const runs = { numRuns: 200 };

describe('merging reports is a join', () => {
  test('commutative: merge(a, b) equals merge(b, a)', () => {
    fc.assert(fc.property(mergedReport(), mergedReport(), (a, b) => expect(merge(a, b)).toEqual(merge(b, a))), runs);
  });

  test('associative: merge(merge(a, b), c) equals merge(a, merge(b, c))', () => {
    fc.assert(fc.property(mergedReport(), mergedReport(), mergedReport(), (a, b, c) => expect(merge(merge(a, b), c)).toEqual(merge(a, merge(b, c)))), runs);
  });

  test('idempotent: merge(a, a) equals a, and a copy of a report delivered again changes nothing', () => {
    fc.assert(
      fc.property(mergedReport(), mergedReport(), (a, b) => {
        expect(merge(a, structuredClone(a))).toEqual(a);
        const once = merge(a, b);
        expect(merge(once, structuredClone(b))).toEqual(once);
      }),
      runs,
    );
  });

  test('the empty report is the identity', () => {
    fc.assert(fc.property(mergedReport(), (a) => expect(merge(a, EMPTY_REPORT)).toEqual(a)), runs);
  });

  test('the laws hold where series are long enough to be cut to the newest samples', () => {
    const long = mergedReport(reportNode(sampleList(REPORT_LIMITS.seriesSamples, 3 * REPORT_LIMITS.seriesSamples)));
    fc.assert(
      fc.property(long, long, long, (a, b, c) => {
        expect(merge(a, b)).toEqual(merge(b, a));
        expect(merge(merge(a, b), c)).toEqual(merge(a, merge(b, c)));
        for (const topology of Object.values(merge(a, b).topologies))
          for (const node of Object.values(topology)) for (const series of Object.values(node.metrics)) expect(series.samples.length).toBeLessThanOrEqual(REPORT_LIMITS.seriesSamples);
      }),
      { numRuns: 100 },
    );
  });

  test('mergeAll over many reports equals folding merge over them, in any order', () => {
    fc.assert(
      fc.property(fc.array(mergedReport(), { maxLength: 6 }), (reports) => {
        const folded = reports.reduce(merge, EMPTY_REPORT);
        expect(mergeAll(reports)).toEqual(folded);
        expect(mergeAll([...reports].reverse())).toEqual(folded);
      }),
      runs,
    );
  });

  test('merging never changes its inputs', () => {
    fc.assert(
      fc.property(mergedReport(), mergedReport(), (a, b) => {
        const before = structuredClone([a, b]);
        merge(a, b);
        mergeAll([a, b]);
        expect([a, b]).toEqual(before);
      }),
      runs,
    );
  });
});

describe('a node seen twice', () => {
  test('the newer sample of the same node wins its labels, and its timestamp is the newer one', () => {
    fc.assert(
      fc.property(reportNode(), reportNode(), (a, b) => {
        fc.pre(a.timestamp !== b.timestamp);
        const [newer] = a.timestamp > b.timestamp ? [a, b] : [b, a];
        const merged = mergeNode(a, b);
        expect(merged.labels).toEqual(newer.labels);
        expect(merged.timestamp).toBe(newer.timestamp);
      }),
      runs,
    );
  });

  test('keeps every connection and parent either sample saw, and one sample per timestamp', () => {
    fc.assert(
      fc.property(reportNode(), reportNode(), (a, b) => {
        const merged = mergeNode(a, b);
        expect(merged.adjacency).toEqual([...new Set([...a.adjacency, ...b.adjacency])].sort());
        for (const series of Object.values(merged.metrics)) {
          const times = series.samples.map((s) => s[0]);
          expect(times).toEqual([...new Set(times)].sort((x, y) => x - y));
        }
      }),
      runs,
    );
  });
});

describe('the sliding window', () => {
  const timestamps = (report: MergedReport): number[] => [
    ...Object.values(report.probes).map((p) => p.timestamp),
    ...Object.values(report.topologies).flatMap((t) => Object.values(t).flatMap((n) => [n.timestamp, ...Object.values(n.metrics).flatMap((s) => s.samples.map((x) => x[0]))])),
  ];

  test('expired data drops out: nothing sampled before the cutoff survives the window', () => {
    fc.assert(
      fc.property(fc.array(mergedReport(), { maxLength: 5 }), fc.integer({ min: 0, max: 31 }), (reports, cutoff) => {
        for (const t of timestamps(mergeWindow(reports, cutoff))) expect(t).toBeGreaterThanOrEqual(cutoff);
      }),
      runs,
    );
  });

  test('everything sampled at or after the cutoff is in the window', () => {
    fc.assert(
      fc.property(fc.array(mergedReport(), { maxLength: 5 }), fc.integer({ min: 0, max: 31 }), (reports, cutoff) => {
        const window = mergeWindow(reports, cutoff);
        for (const report of reports) {
          for (const [name, topology] of Object.entries(report.topologies))
            for (const [id, node] of Object.entries(topology)) if (node.timestamp >= cutoff) expect(window.topologies[name]?.[id]).toBeDefined();
          for (const id of Object.keys(report.probes)) if (report.probes[id].timestamp >= cutoff) expect(window.probes[id]).toBeDefined();
        }
      }),
      runs,
    );
  });

  test('a connection seen only in an expired report does not linger on a node that is still reported', () => {
    const old: MergedReport = {
      probes: {},
      topologies: { endpoint: { 'endpoint:h/1:10.0.0.1:5000': { timestamp: 1, labels: {}, metrics: {}, adjacency: ['endpoint:*:10.0.0.9:80'], parents: {} } } },
    };
    const fresh: MergedReport = {
      probes: {},
      topologies: { endpoint: { 'endpoint:h/1:10.0.0.1:5000': { timestamp: 20, labels: {}, metrics: {}, adjacency: ['endpoint:*:10.0.0.7:443'], parents: {} } } },
    };
    expect(mergeWindow([old, fresh], 10).topologies.endpoint['endpoint:h/1:10.0.0.1:5000'].adjacency).toEqual(['endpoint:*:10.0.0.7:443']);
  });

  test('expiring twice at one cutoff is expiring once', () => {
    fc.assert(
      fc.property(mergedReport(), fc.integer({ min: 0, max: 31 }), (report, cutoff) => {
        expect(expire(expire(report, cutoff), cutoff)).toEqual(expire(report, cutoff));
      }),
      runs,
    );
  });
});
