/** The details charts' history: samples kept beyond the window, in order, at most one per resolution step. */
import { MetricHistory } from '../../../services/app/src/metric-history';
import { sumSeries } from '../../../services/app/src/node-details';

const series = (...samples: Array<[number, number]>) => ({ samples });

describe('the metric history', () => {
  test('keeps samples across reports in time order, each series of a node apart', () => {
    const h = new MetricHistory({ retentionMs: 60_000, resolutionMs: 1000 });
    h.record('container:x', { cpu: series([1000, 1], [2000, 2]), mem: series([2000, 100]) }, 15_000);
    h.record('container:x', { cpu: series([4000, 4], [3000, 3]) }, 15_000);
    expect(h.read('container:x', 5000)).toEqual({ cpu: [[1000, 1], [2000, 2], [3000, 3], [4000, 4]], mem: [[2000, 100]] });
    expect(h.read('container:y', 5000)).toEqual({});
  });

  test('keeps the newest of samples closer together than the resolution, and ignores ones older than it holds', () => {
    const h = new MetricHistory({ retentionMs: 60_000, resolutionMs: 5000 });
    h.record('n', { cpu: series([10_000, 1], [11_000, 2], [16_000, 3]) }, 15_000);
    h.record('n', { cpu: series([12_000, 9]) }, 15_000);
    expect(h.read('n', 20_000).cpu).toEqual([
      [11_000, 2],
      [16_000, 3],
    ]);
  });

  test('returns only samples within the retention, overwrites the oldest when full, and sweeps silent nodes', () => {
    const h = new MetricHistory({ retentionMs: 60_000, resolutionMs: 1000 });
    // One sample per 15 s: the ring is sized for 60 s of them, 5.
    for (let t = 0; t <= 300_000; t += 15_000) h.record('p', { cpu: series([t, t / 1000]) }, 15_000);
    expect(h.read('p', 300_000).cpu.map(([t]) => t)).toEqual([240_000, 255_000, 270_000, 285_000, 300_000]);
    expect(h.series).toBe(1);
    h.sweep(300_000 + 60_001);
    expect(h.series).toBe(0);
    expect(h.read('p', 400_000)).toEqual({});
  });

  test('sizes a ring for exactly the retention at the series\' sampling rate', () => {
    const h = new MetricHistory({ retentionMs: 300_000 });
    h.record('p', { cpu: series([15_000, 1]) }, 15_000);
    // 300 s at one sample per 15 s is 21 samples (both ends), in a first chunk of 1,024 such rings, 8 bytes a sample.
    expect(h.bytes).toBe(1024 * 21 * 8);
    for (let t = 30_000; t <= 600_000; t += 15_000) h.record('p', { cpu: series([t, 1]) }, 15_000);
    expect(h.read('p', 600_000).cpu.map(([t]) => t)).toEqual(Array.from({ length: 21 }, (_, k) => 300_000 + 15_000 * k));
  });

  test('a retention of 0 keeps nothing', () => {
    const h = new MetricHistory({ retentionMs: 0 });
    h.record('n', { cpu: series([1, 1]) }, 1000);
    expect(h.series).toBe(0);
  });
});

describe('summing members\' series', () => {
  test('sums on a 5 s grid, holding a member\'s value until its next sample so members out of phase do not saw-tooth', () => {
    const a = { cpu: [[0, 1], [10_000, 1]] as Array<[number, number]> };
    const b = { cpu: [[5000, 10], [15_000, 10]] as Array<[number, number]> };
    expect(sumSeries([a, b]).cpu).toEqual([
      [0, 1],
      [5000, 11],
      [10_000, 11],
      [15_000, 11],
    ]);
  });
});
