/** A view's JSON made in steps is JSON.stringify's, byte for byte, whatever the view holds and however it is cut. */
import fc from 'fast-check';
import { viewJson, viewJsonSteps } from '../../../services/app/src/view-json';

const value = fc.jsonValue();
const view = fc.record(
  {
    topology: fc.string(),
    generatedAt: fc.double(),
    nodes: fc.array(fc.oneof(fc.record({ id: fc.string(), labels: fc.dictionary(fc.string(), fc.string()) }), value), { maxLength: 40 }),
    edges: fc.array(fc.tuple(fc.string(), fc.string(), fc.nat()), { maxLength: 40 }),
    clustered: fc.option(fc.record({ dimension: fc.string(), threshold: fc.nat() }), { nil: undefined }),
  },
  { requiredKeys: ['topology', 'nodes'] },
);

test('the stepped JSON equals JSON.stringify of the view, for any chunk size and any size expected', () => {
  fc.assert(
    fc.property(view, fc.integer({ min: 1, max: 50 }), fc.nat({ max: 20_000 }), (v, chunk, expectedBytes) => {
      const steps = viewJsonSteps(v, { chunk, expectedBytes });
      let step = steps.next();
      while (!step.done) step = steps.next();
      expect(step.value.toString('utf8')).toBe(JSON.stringify(v));
    }),
  );
});

test('a view of 10,000 nodes is made in steps of a few thousand, and all at once gives the same bytes', () => {
  const v = { topology: 'containers', nodes: Array.from({ length: 10_000 }, (_, i) => ({ id: `container:${i}`, label: 'ü' })), edges: [] };
  const steps = viewJsonSteps(v);
  let yields = 0;
  while (!steps.next().done) yields++;
  expect(yields).toBe(5);
  expect(viewJson(v).equals(Buffer.from(JSON.stringify(v)))).toBe(true);
});
