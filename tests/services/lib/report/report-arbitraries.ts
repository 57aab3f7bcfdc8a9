/**
 * fast-check generators of normalised reports over small universes of ids, labels and timestamps, so generated
 * reports overlap often: the interesting cases of a merge are the same node seen twice.
 */
import fc from 'fast-check';
import type { MergedReport, ProbeSummary } from '../../../../services/lib/report/report-merge';
import { normalizeNode, ReportNode, Sample } from '../../../../services/lib/report/report-schema';

const timestamp = fc.integer({ min: 0, max: 30 });
const value = fc.constantFrom('a', 'b', 'c');

export function sampleList(maxLength = 6, maxTimestamp = 30): fc.Arbitrary<Sample[]> {
  return fc.array(fc.tuple(fc.integer({ min: 0, max: maxTimestamp }), fc.integer({ min: -3, max: 3 })), { maxLength });
}

export function reportNode(samples: fc.Arbitrary<Sample[]> = sampleList()): fc.Arbitrary<ReportNode> {
  return fc
    .record({
      timestamp,
      labels: fc.dictionary(fc.constantFrom('name', 'image', 'state'), value),
      metrics: fc.dictionary(fc.constantFrom('cpu', 'mem'), samples.map((s) => ({ samples: s }))),
      adjacency: fc.array(fc.constantFrom('endpoint:*:10.0.0.1:80', 'endpoint:*:10.0.0.2:80', 'endpoint:h/1:::1:22'), { maxLength: 3 }),
      parents: fc.dictionary(fc.constantFrom('host', 'container'), fc.array(fc.constantFrom('host:a', 'container:x', 'container:y'), { maxLength: 2 })),
    })
    .map(normalizeNode);
}

const probeSummary: fc.Arbitrary<ProbeSummary> = fc.record({
  id: fc.constantFrom('p1', 'p2'),
  version: fc.constantFrom('1.0.0', '1.1.0'),
  host: fc.constantFrom('a', 'b'),
  timestamp,
  intervalSeconds: fc.constantFrom(5, 15),
  droppedReports: fc.integer({ min: 0, max: 2 }),
  collectionErrors: fc.dictionary(fc.constantFrom('docker', 'endpoints'), value),
});

export function mergedReport(node: fc.Arbitrary<ReportNode> = reportNode()): fc.Arbitrary<MergedReport> {
  return fc.record({
    probes: fc.array(probeSummary, { maxLength: 2 }).map((list) => Object.fromEntries(list.map((p) => [p.id, p]))),
    topologies: fc.dictionary(fc.constantFrom('host', 'container'), fc.dictionary(fc.constantFrom('host:a', 'host:b', 'container:x'), node)),
  });
}
