/**
 * A short history of every node's metric samples, beyond the window, for the details charts.
 *
 * At 1,000 probes that is ~450k series (mostly processes), so samples do not live in per-series arrays of tuples
 * (~90 bytes a sample in V8) but in ring buffers carved from a few large typed arrays, one slab per ring capacity:
 * 12 bytes a sample (time as a float64, value as a float32, which keeps 7 significant digits — plenty for a chart).
 * A ring's capacity is chosen when its series first appears, from how densely the probe samples it, so a process
 * sampled once per 15 s gets 24 slots for 5 minutes and a host sampled every second gets 64 at 5 s resolution.
 * Samples closer together than the resolution replace each other (the newest wins).
 */
import type { MetricSeries, Sample } from '../../lib/report/report-schema';

export interface MetricHistoryOptions {
  retentionMs: number;
  /** Samples of one series closer together than this are kept as one, the newest. */
  resolutionMs?: number;
  /** Series held at most; beyond it new series are not recorded (counted in `droppedSeries`). */
  maxSeries?: number;
}

const CAPACITIES = [4, 8, 12, 16, 24, 32, 48, 64, 96, 128];

/** Rings of one capacity, in chunks of CHUNK rings: growing never copies, and never overshoots by more than a chunk. */
const CHUNK = 1024;

class Slab {
  readonly times: Float64Array[] = [];
  readonly values: Float32Array[] = [];
  private readonly free: number[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  allocate(): number {
    const slot = this.free.pop();
    if (slot !== undefined) return slot;
    if (this.next % CHUNK === 0) {
      this.times.push(new Float64Array(CHUNK * this.capacity));
      this.values.push(new Float32Array(CHUNK * this.capacity));
    }
    return this.next++;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  get bytes(): number {
    return this.times.length * CHUNK * this.capacity * 12;
  }
}

/** One node's series: for metric i, `rings[4i..4i+3]` = capacity class, slot, index of the oldest sample, count. */
interface NodeSeries {
  names: string[];
  rings: number[];
  /** The newest sample's time over all its series: the node is dropped once this is older than the retention. */
  newest: number;
}

export class MetricHistory {
  private readonly retentionMs: number;
  private readonly resolutionMs: number;
  private readonly maxSeries: number;
  private readonly slabs = CAPACITIES.map((c) => new Slab(c));
  private readonly nodes = new Map<string, NodeSeries>();
  private seriesCount = 0;
  droppedSeries = 0;

  constructor(options: MetricHistoryOptions) {
    this.retentionMs = options.retentionMs;
    this.resolutionMs = options.resolutionMs ?? 5000;
    this.maxSeries = options.maxSeries ?? 2_000_000;
  }

  get series(): number {
    return this.seriesCount;
  }

  /** Adds a node's samples from one report; `intervalMs` is the probe's reporting interval. */
  record(nodeId: string, metrics: Record<string, MetricSeries>, intervalMs: number): void {
    if (this.retentionMs <= 0) return;
    let node = this.nodes.get(nodeId);
    for (const name in metrics) {
      const samples = metrics[name].samples;
      if (samples.length === 0) continue;
      if (!node) this.nodes.set(nodeId, (node = { names: [], rings: [], newest: 0 }));
      let i = node.names.indexOf(name);
      if (i < 0) {
        if (this.seriesCount >= this.maxSeries) {
          this.droppedSeries++;
          continue;
        }
        i = node.names.length;
        const cls = this.capacityClass(samples, intervalMs);
        node.names.push(name);
        node.rings.push(cls, this.slabs[cls].allocate(), 0, 0);
        this.seriesCount++;
      }
      for (const sample of inTimeOrder(samples)) this.append(node, i, sample);
    }
  }

  /** The node's samples within the retention, oldest first, by metric. */
  read(nodeId: string, now: number): Record<string, Sample[]> {
    const out: Record<string, Sample[]> = {};
    const node = this.nodes.get(nodeId);
    if (!node) return out;
    const from = now - this.retentionMs;
    node.names.forEach((name, i) => {
      const ring = this.ring(node, i);
      const samples: Sample[] = [];
      for (let k = 0; k < ring.count; k++) {
        const at = ring.base + ((ring.head + k) % ring.capacity);
        if (ring.times[at] >= from) samples.push([ring.times[at], ring.values[at]]);
      }
      out[name] = samples;
    });
    return out;
  }

  /** Drops the nodes that sent nothing within the retention, returning their rings to the slabs. */
  sweep(now: number): void {
    const from = now - this.retentionMs;
    for (const [id, node] of this.nodes) {
      if (node.newest >= from) continue;
      for (let i = 0; i < node.names.length; i++) this.slabs[node.rings[4 * i]].release(node.rings[4 * i + 1]);
      this.seriesCount -= node.names.length;
      this.nodes.delete(id);
    }
  }

  /** Bytes held by the sample slabs. */
  get bytes(): number {
    return this.slabs.reduce((n, s) => n + s.bytes, 0);
  }

  /** Where ring `i` of a node lives: its chunk's arrays, its first index there, and its head and count. */
  private ring(node: NodeSeries, i: number): { times: Float64Array; values: Float32Array; base: number; capacity: number; head: number; count: number } {
    const r = 4 * i;
    const slab = this.slabs[node.rings[r]];
    const slot = node.rings[r + 1];
    const chunk = Math.floor(slot / CHUNK);
    return { times: slab.times[chunk], values: slab.values[chunk], base: (slot % CHUNK) * slab.capacity, capacity: slab.capacity, head: node.rings[r + 2], count: node.rings[r + 3] };
  }

  private capacityClass(samples: readonly Sample[], intervalMs: number): number {
    const spacing = samples.length > 1 ? Math.max(1, (samples[samples.length - 1][0] - samples[0][0]) / (samples.length - 1)) : intervalMs;
    const wanted = Math.ceil(this.retentionMs / Math.max(this.resolutionMs, spacing || this.resolutionMs)) + 1;
    const cls = CAPACITIES.findIndex((c) => c >= wanted);
    return cls < 0 ? CAPACITIES.length - 1 : cls;
  }

  private append(node: NodeSeries, i: number, sample: Sample): void {
    const { times, values, base, capacity, head, count } = this.ring(node, i);
    const [t, v] = sample;
    if (count > 0) {
      const last = base + ((head + count - 1) % capacity);
      const lastT = times[last];
      if (t < lastT) return; // older than what is held: a late report's sample the chart has already passed
      if (Math.floor(t / this.resolutionMs) === Math.floor(lastT / this.resolutionMs)) {
        if (t > lastT || v > values[last]) {
          times[last] = t;
          values[last] = v;
        }
        return;
      }
    }
    if (count < capacity) {
      const at = base + ((head + count) % capacity);
      times[at] = t;
      values[at] = v;
      node.rings[4 * i + 3] = count + 1;
    } else {
      times[base + head] = t;
      values[base + head] = v;
      node.rings[4 * i + 2] = (head + 1) % capacity;
    }
    if (t > node.newest) node.newest = t;
  }
}

function inTimeOrder(samples: readonly Sample[]): readonly Sample[] {
  for (let i = 1; i < samples.length; i++) if (samples[i][0] < samples[i - 1][0]) return [...samples].sort((a, b) => a[0] - b[0]);
  return samples;
}
