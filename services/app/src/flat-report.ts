/**
 * A validated report as the decode worker hands it to the main thread: each distinct string once, the nodes'
 * structure as indices into those strings in an Int32Array, and their timestamps and samples in a Float64Array.
 *
 * Why this shape: the parsed report is ~630 nodes of small objects, and structured-cloning them across the thread
 * boundary costs the main thread about what JSON.parse did (measured: ~1.4 ms to receive a normalised report as
 * objects, ~3 ms to send and receive it). Two typed arrays are transferred, not copied, and the string list holds
 * each label value and peer id once where the report repeats them (a host's address on each of its 500 sockets), so
 * the main thread interns each once (report-compaction.ts `compactFlat`) and builds the nodes it keeps, nothing
 * else.
 *
 * Already done here, so the main thread need not: unknown fields dropped and `__proto__` keys skipped (as
 * `parseProbeReport` and zod's records drop them), id lists sorted without repeats (as `normalizeNode` makes them).
 *
 * Layout, per topology: `structure` [name, node count], then per node `structure` [id, label count, (key, value)…,
 * metric count, (name, sample count)…, adjacency count, id…, parent kinds, (kind, count, id…)…] and `numbers`
 * [timestamp, (time, value)… of each metric in order]; every string is an index into `strings`.
 */
import type { ProbeReport } from '../../lib/report/report-schema';

/** The report's own fields, small enough to clone as they are. */
export type ReportHeader = Omit<ProbeReport, 'topologies'>;

export interface FlatReport {
  header: ReportHeader;
  strings: string[];
  structure: Int32Array;
  numbers: Float64Array;
}

/** A growable typed array; `view()` is the filled part, over a buffer of its own so that it can be transferred. */
class Column<T extends Int32Array | Float64Array> {
  private length = 0;

  constructor(
    private data: T,
    private readonly make: (n: number) => T,
  ) {}

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  view(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** The flat form of a validated report (report-validation.ts `check`). */
export function flattenReport(report: ProbeReport): FlatReport {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const str = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const structure = new Column(new Int32Array(8192), (n) => new Int32Array(n));
  const numbers = new Column(new Float64Array(4096), (n) => new Float64Array(n));
  const ids = (list: readonly string[]) => {
    const sorted = isSortedUnique(list) ? list : sortedUnique(list);
    structure.push(sorted.length);
    for (const id of sorted) structure.push(str(id));
  };
  for (const name of Object.keys(report.topologies)) {
    const topology = report.topologies[name];
    const nodeIds = Object.keys(topology);
    structure.push(str(name));
    structure.push(nodeIds.length);
    for (const id of nodeIds) {
      const node = topology[id];
      structure.push(str(id));
      numbers.push(node.timestamp);
      const labels = ownKeys(node.labels);
      structure.push(labels.length);
      for (const k of labels) {
        structure.push(str(k));
        structure.push(str(node.labels[k]));
      }
      const metrics = ownKeys(node.metrics);
      structure.push(metrics.length);
      for (const m of metrics) {
        const samples = node.metrics[m].samples;
        structure.push(str(m));
        structure.push(samples.length);
        for (const [t, v] of samples) {
          numbers.push(t);
          numbers.push(v);
        }
      }
      ids(node.adjacency);
      const kinds = ownKeys(node.parents);
      structure.push(kinds.length);
      for (const k of kinds) {
        structure.push(str(k));
        ids(node.parents[k]);
      }
    }
  }
  const stats = report.stats;
  const collectionErrors: Record<string, string> = {};
  for (const k of ownKeys(stats.collectionErrors)) collectionErrors[k] = stats.collectionErrors[k];
  return {
    header: {
      schemaVersion: report.schemaVersion,
      probe: { id: report.probe.id, version: report.probe.version },
      host: report.host,
      timestamp: report.timestamp,
      intervalSeconds: report.intervalSeconds,
      stats: { droppedReports: stats.droppedReports, collectionErrors, ...(stats.collectionCpuSeconds === undefined ? {} : { collectionCpuSeconds: stats.collectionCpuSeconds }) },
    },
    strings,
    structure: structure.view(),
    numbers: numbers.view(),
  };
}

/** A record's keys without `__proto__`, which zod's records drop and which no object here may be given. */
function ownKeys(record: object): string[] {
  const keys = Object.keys(record);
  return keys.includes('__proto__') ? keys.filter((k) => k !== '__proto__') : keys;
}

function isSortedUnique(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1] < ids[i])) return false;
  return true;
}

function sortedUnique(ids: readonly string[]): string[] {
  const sorted = [...ids].sort();
  return sorted.filter((id, i) => i === 0 || id !== sorted[i - 1]);
}
