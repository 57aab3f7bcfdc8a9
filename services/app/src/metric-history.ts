/**
 * A short history of every node's metric samples, beyond the window, for the details charts.
 *
 * At 1,000 probes that is ~450k series (mostly processes), so samples do not live in per-series arrays of tuples
 * (~90 bytes a sample in V8) but in ring buffers carved from a few large typed arrays, one slab per ring capacity:
 * 8 bytes a sample (time as a uint32 of tenths of a second since the first sample less 30 days, good for 13 years;
 * value as a float32, which keeps 7 significant digits — plenty for a chart). Nodes with the same metric names share
 * one array of them.
 * A ring's capacity is chosen when its series first appears, from how densely the probe samples it, so a process
 * sampled once per 15 s gets 21 slots for 5 minutes and a host sampled every second gets 61 at 5 s resolution —
 * exactly what the retention needs: rounded up to classes of 4, 8, 12, 16, 24, 32, … as they were, the process
 * rings (nine in ten of the ~450k series at 1,000 probes) held 24, 12 % of the slabs for nothing.
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

/** The most samples a ring holds: a series sampled more densely than the retention over this keeps the newest. */
const MAX_CAPACITY = 128;

/** Rings of one capacity, in chunks of CHUNK rings: growing never copies, and never overshoots by more than a chunk. */
const CHUNK = 1024;

class Slab {
  readonly times: Uint32Array[] = [];
  readonly values: Float32Array[] = [];
  private readonly free: number[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  allocate(): number {
    const slot = this.free.pop();
    if (slot !== undefined) return slot;
    if (this.next % CHUNK === 0) {
      this.times.push(new Uint32Array(CHUNK * this.capacity));
      this.values.push(new Float32Array(CHUNK * this.capacity));
    }
    return this.next++;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  get bytes(): number {
    return this.times.length * CHUNK * this.capacity * 8;
  }
}

/** One node's series: for metric i, `rings[4i..4i+3]` = capacity, slot, index of the oldest sample, count. */
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
  /** By capacity; a few are ever made (one per sampling rate seen). */
  private readonly slabs: Slab[] = [];
  private readonly nodes = new Map<string, NodeSeries>();
  private readonly nameLists = new Map<string, string[]>();
  /** Times are stored as tenths of a second after this (ms); set by the first sample. */
  private base: number | undefined;
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
    let added = false;
    // Looked up only for a node with samples: most nodes (sockets) have none, and at the benchmark's fleet these
    // lookups, ~1.7 µs each in a map of ~110k nodes, were nine tenths of this function's time on the loop.
    let node: NodeSeries | undefined;
    let looked = false;
    for (const name in metrics) {
      const samples = metrics[name].samples;
      if (samples.length === 0) continue;
      if (!looked) {
        node = this.nodes.get(nodeId);
        looked = true;
      }
      if (!node) this.nodes.set(nodeId, (node = { names: [], rings: [], newest: 0 }));
      let i = node.names.indexOf(name);
      if (i < 0) {
        if (this.seriesCount >= this.maxSeries) {
          this.droppedSeries++;
          continue;
        }
        i = node.names.length;
        const capacity = this.capacity(samples, intervalMs);
        node.names = this.names([...node.names, name]);
        node.rings.push(capacity, this.slab(capacity).allocate(), 0, 0);
        this.seriesCount++;
        added = true;
      }
      for (const sample of inTimeOrder(samples)) this.append(node, i, sample);
    }
    // Pushing reserved room to grow (22 slots for a process's 16); a copy is as long as it needs (~5 MB at 111k nodes).
    if (added && node) node.rings = node.rings.slice();
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
        const t = this.fromTicks(ring.times[at]);
        if (t >= from) samples.push([t, ring.values[at]]);
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
      for (let i = 0; i < node.names.length; i++) this.slab(node.rings[4 * i]).release(node.rings[4 * i + 1]);
      this.seriesCount -= node.names.length;
      this.nodes.delete(id);
    }
  }

  /** Bytes held by the sample slabs. */
  get bytes(): number {
    return this.slabs.reduce((n, s) => n + (s?.bytes ?? 0), 0);
  }

  private slab(capacity: number): Slab {
    return (this.slabs[capacity] ??= new Slab(capacity));
  }

  /** Where ring `i` of a node lives: its chunk's arrays, its first index there, and its head and count. */
  private names(list: string[]): string[] {
    const key = list.join('\u0000');
    let shared = this.nameLists.get(key);
    if (!shared) this.nameLists.set(key, (shared = list));
    return shared;
  }

  private toTicks(t: number): number {
    this.base ??= t - 30 * 86_400_000;
    return Math.max(0, Math.min(0xffffffff, Math.round((t - this.base) / 100)));
  }

  private fromTicks(ticks: number): number {
    return (this.base as number) + ticks * 100;
  }

  private ring(node: NodeSeries, i: number): { times: Uint32Array; values: Float32Array; base: number; capacity: number; head: number; count: number } {
    const r = 4 * i;
    const slab = this.slab(node.rings[r]);
    const slot = node.rings[r + 1];
    const chunk = Math.floor(slot / CHUNK);
    return { times: slab.times[chunk], values: slab.values[chunk], base: (slot % CHUNK) * slab.capacity, capacity: slab.capacity, head: node.rings[r + 2], count: node.rings[r + 3] };
  }

  private capacity(samples: readonly Sample[], intervalMs: number): number {
    const spacing = samples.length > 1 ? Math.max(1, (samples[samples.length - 1][0] - samples[0][0]) / (samples.length - 1)) : intervalMs;
    const wanted = Math.ceil(this.retentionMs / Math.max(this.resolutionMs, spacing || this.resolutionMs)) + 1;
    return Math.min(MAX_CAPACITY, Math.max(2, wanted));
  }

  private append(node: NodeSeries, i: number, sample: Sample): void {
    const { times, values, base, capacity, head, count } = this.ring(node, i);
    const t = this.toTicks(sample[0]);
    const v = sample[1];
    const resolution = this.resolutionMs / 100;
    if (count > 0) {
      const last = base + ((head + count - 1) % capacity);
      const lastT = times[last];
      if (t < lastT) return; // older than what is held: a late report's sample the chart has already passed
      if (Math.floor(t / resolution) === Math.floor(lastT / resolution)) {
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
    if (sample[0] > node.newest) node.newest = sample[0];
  }
}

function inTimeOrder(samples: readonly Sample[]): readonly Sample[] {
  for (let i = 1; i < samples.length; i++) if (samples[i][0] < samples[i - 1][0]) return [...samples].sort((a, b) => a[0] - b[0]);
  return samples;
}
