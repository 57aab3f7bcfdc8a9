/**
 * The ticker's pacing: a generation is made at most once per interval, which is the configured least time between
 * generations, or `1 / GENERATION_SHARE` times what the last one cost when that is longer, so generations take at
 * most that share of the event loop.
 */
import fc from 'fast-check';
import { GENERATION_SHARE, generationPacing } from '../../../services/app/src/topology-service';

describe('generation pacing', () => {
  it('waits the least interval after a cheap generation', () => {
    expect(generationPacing(10, 1000)).toBe(1000);
  });

  it('waits six times what a costly generation took, so generations hold a sixth of the loop', () => {
    expect(GENERATION_SHARE).toBe(1 / 6);
    expect(generationPacing(250, 1000)).toBe(1500);
  });

  it('never paces when generations are unpaced (tests that see every report)', () => {
    expect(generationPacing(500, 0)).toBe(0);
  });

  it('keeps any generation within its share of the time to the next', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 60_000, noNaN: true }), fc.integer({ min: 1, max: 10_000 }), (cost, min) => {
        const pacing = generationPacing(cost, min);
        return pacing >= min && cost <= pacing * GENERATION_SHARE + 1e-9;
      }),
    );
  });
});
