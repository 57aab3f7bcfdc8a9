/**
 * What the window keeps of a validated report: the report normalised as `normalizeReport` would, with every metric
 * series cut to its latest sample, and with the labels, adjacency and parents of a node that did not change since
 * the probe's previous report shared with that report instead of held twice.
 *
 * Why the latest sample is enough: views show a node's latest value of each metric, and the latest sample of a merge
 * is the later (on a tie, the larger) of each side's latest sample, so cutting series before or after merging and
 * expiring gives the same latest values. The samples themselves go to the metric history (metric-history.ts), which
 * the details charts read. Why sharing: at 1,000 probes the window holds ~630k nodes, and most of a node's parts
 * are the same from one report to the next; and label values and peer ids repeat across nodes and hosts (a host's
 * address and namespace on each of its 500 sockets, the same ephemeral ports on every host), so each is kept once
 * (`StringTable`), which measured ~15 % of the window's heap.
 */
import type { MetricSeries, ProbeReport, ReportNode, Sample, Topologies, Topology } from '../../lib/report/report-schema';
import { FlatReport, flattenReport } from './flat-report';

/**
 * A series cut to its latest sample, held as two numbers: ~40 bytes where `{ samples: [[t, v]] }` takes ~180, which
 * at 400k process series is 55 MB. `samples` (and JSON) give the contract's shape; hot paths read `at` and `value`.
 */
export class LatestSample implements MetricSeries {
  constructor(
    readonly at: number,
    readonly value: number,
  ) {}

  get samples(): Sample[] {
    return [[this.at, this.value]];
  }

  toJSON(): MetricSeries {
    return { samples: this.samples };
  }
}

/** The latest sample of any series: [time, value], or undefined for an empty one. */
export function latestOf(series: MetricSeries): Sample | undefined {
  if (series instanceof LatestSample) return [series.at, series.value];
  return series.samples[series.samples.length - 1];
}

/**
 * `latestOf(series)[0]` and `[1]` without making the pair: the window compares every held series on each report
 * (what a newer report dominates, the span of timestamps), ~450k pairs a round at 1,000 probes.
 */
export function latestTime(series: MetricSeries): number | undefined {
  if (series instanceof LatestSample) return series.at;
  const samples = series.samples;
  return samples.length === 0 ? undefined : samples[samples.length - 1][0];
}

/** The latest sample's value; only for a series `latestTime` found a sample in. */
export function latestValue(series: MetricSeries): number {
  if (series instanceof LatestSample) return series.value;
  return series.samples[series.samples.length - 1][1];
}

/** Receives every node's series as the probe sent them (not yet in time order). */
export type SampleSink = (topology: string, id: string, metrics: Record<string, MetricSeries>) => void;

const EMPTY_METRICS: Record<string, MetricSeries> = Object.freeze({}) as Record<string, MetricSeries>;
const EMPTY_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const EMPTY_PARENTS: Record<string, string[]> = Object.freeze({}) as Record<string, string[]>;
const EMPTY_IDS: string[] = Object.freeze([]) as unknown as string[];

/**
 * One copy of each string seen, and of each one-element id list. Two generations of up to `max` each: a string is
 * looked up in the young one, then the old one (and kept on into the young one), and when the young one is full it
 * becomes the old one — so what is still in use stays shared, and what is no longer seen goes after two turns.
 * (It used to start over when full: at 1,000 probes a window holds ~1.19M distinct strings, so a table of 1M
 * started over every 12 s and nearly every lookup missed.) The lists are frozen: nothing may add to a list other
 * nodes hold.
 *
 * `readAgainst` and `remember` keep, per compacted report, its strings in its flat form's order: a probe sends
 * much the same strings in the same order each time, so its next report's string `i` is first compared with the
 * last one's (a comparison of content, no hashing) and only a string that differs is looked up here. That takes
 * most lookups out of a table of a million strings, where each one measured ~1 µs (a hash and cache misses).
 */
export class StringTable {
  private young = new Map<string, string>();
  private old = new Map<string, string>();
  private youngSingles = new Map<string, string[]>();
  private oldSingles = new Map<string, string[]>();
  private readonly byReport = new WeakMap<object, readonly string[]>();

  constructor(private readonly max = 250_000) {}

  get size(): number {
    return this.young.size + this.old.size;
  }

  intern(s: string): string {
    const seen = this.young.get(s);
    if (seen !== undefined) return seen;
    const kept = this.old.get(s) ?? s;
    if (this.young.size >= this.max) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(kept, kept);
    return kept;
  }

  single(id: string): string[] {
    let list = this.youngSingles.get(id) ?? this.oldSingles.get(id);
    if (!list) list = Object.freeze([this.intern(id)]) as unknown as string[];
    if (!this.youngSingles.has(list[0])) {
      if (this.youngSingles.size >= this.max) {
        this.oldSingles = this.youngSingles;
        this.youngSingles = new Map();
      }
      this.youngSingles.set(list[0], list);
    }
    return list;
  }

  /** The strings `report` was read from, in its flat form's order, when it was compacted with this table. */
  readAgainst(report: object | undefined): readonly string[] | undefined {
    return report === undefined ? undefined : this.byReport.get(report);
  }

  remember(report: object, strings: readonly string[]): void {
    this.byReport.set(report, strings);
  }
}

type Strings = Pick<StringTable, 'intern'> & Partial<Pick<StringTable, 'single' | 'readAgainst' | 'remember'>>;
const NO_TABLE: Strings = { intern: (s: string) => s };

/**
 * `report` as validated (report-validation.ts), `previous` the same probe's last compacted report. Fields the
 * schema does not know are dropped, as `parseProbeReport` drops them. The ingest path does this in two halves, the
 * flattening in the decode worker and `compactFlat` on the main thread; this is the two in one.
 */
export function compactReport(report: ProbeReport, previous: ProbeReport | undefined, sink?: SampleSink, strings: Strings = NO_TABLE): ProbeReport {
  return compactFlat(flattenReport(report), previous, sink, strings);
}

/** The compacted report from its flat form (flat-report.ts): what the window keeps, sharing what `previous` has. */
export function compactFlat(flat: FlatReport, previous: ProbeReport | undefined, sink?: SampleSink, strings: Strings = NO_TABLE): ProbeReport {
  const reader = new FlatReader(flat, strings, strings.readAgainst?.(previous));
  const topologies: Topologies = {};
  const shared: SharedParents = new Map();
  while (reader.more()) {
    const name = reader.string();
    const before = previous?.topologies[name];
    const out: Topology = {};
    for (let n = reader.int(); n > 0; n--) {
      const id = reader.string();
      out[id] = readNode(reader, before?.[id], shared, sink === undefined ? undefined : (metrics) => sink(name, id, metrics));
    }
    topologies[name] = out;
  }
  const compacted: ProbeReport = { ...flat.header, topologies };
  strings.remember?.(compacted, reader.read());
  return compacted;
}

/** Walks a flat report's columns in order; each string index becomes the interned string, looked up once. */
class FlatReader {
  private s = 0;
  private n = 0;
  private readonly interned: Array<string | undefined>;

  constructor(
    private readonly flat: FlatReport,
    readonly strings: Strings,
    /** The probe's previous report's strings (`StringTable.readAgainst`), most of them at the same index. */
    private readonly before: readonly string[] | undefined,
  ) {
    this.interned = new Array(flat.strings.length);
  }

  /** The strings read, each the shared copy, at their index in the flat form (a string never read is left out). */
  read(): readonly string[] {
    return this.interned as string[];
  }

  more(): boolean {
    return this.s < this.flat.structure.length;
  }

  int(): number {
    return this.flat.structure[this.s++];
  }

  /** Where in the structure the reader is, to read a part again from there (`rewind`). */
  mark(): number {
    return this.s;
  }

  rewind(mark: number): void {
    this.s = mark;
  }

  number(): number {
    return this.flat.numbers[this.n++];
  }

  string(): string {
    const i = this.flat.structure[this.s++];
    return (this.interned[i] ??= this.shared(i));
  }

  private shared(i: number): string {
    const s = this.flat.strings[i];
    const before = this.before?.[i];
    return before === s ? before : this.strings.intern(s);
  }
}

/**
 * Parents objects by content within one report: a process's sockets all name the same process, container and host,
 * and sharing one object lets the connection resolver find an endpoint's owner by identity instead of by text.
 */
type SharedParents = Map<string, Record<string, string[]>>;

function readNode(reader: FlatReader, before: ReportNode | undefined, shared: SharedParents, sink: ((metrics: Record<string, MetricSeries>) => void) | undefined): ReportNode {
  const timestamp = reader.number();
  const labels = readLabels(reader, before?.labels);
  const metrics = readMetrics(reader, sink);
  const adjacency = readIds(reader, before?.adjacency);
  let parents = readParents(reader, before?.parents);
  // Parents kept from the previous report are already the object shared there.
  if (parents !== EMPTY_PARENTS && parents !== before?.parents) {
    const key = parentsKey(parents);
    const seen = shared.get(key);
    if (seen) parents = seen;
    else shared.set(key, parents);
  }
  return { timestamp, labels, metrics, adjacency, parents };
}

function parentsKey(parents: Record<string, string[]>): string {
  let key = '';
  for (const k in parents) key += `${k}\u0000${parents[k].join('\u0000')}\u0001`;
  return key;
}

/**
 * Each series as its latest sample (`isLater`); the sink gets every sample, in the order sent.
 */
function readMetrics(reader: FlatReader, sink: ((metrics: Record<string, MetricSeries>) => void) | undefined): Record<string, MetricSeries> {
  let out: Record<string, MetricSeries> | undefined;
  let sent: Record<string, MetricSeries> | undefined;
  for (let m = reader.int(); m > 0; m--) {
    const name = reader.string();
    const count = reader.int();
    if (count === 0) {
      (out ??= {})[name] = { samples: [] };
      if (sink) (sent ??= {})[name] = { samples: [] };
      continue;
    }
    const samples: Sample[] | undefined = sink ? [] : undefined;
    let at = -Infinity;
    let value = -Infinity;
    for (let i = 0; i < count; i++) {
      const t = reader.number();
      const v = reader.number();
      samples?.push([t, v]);
      if (i === 0 || isLater(t, v, at, value)) {
        at = t;
        value = v;
      }
    }
    (out ??= {})[name] = new LatestSample(at, value);
    if (samples) (sent ??= {})[name] = { samples };
  }
  if (sink) sink(sent ?? EMPTY_METRICS);
  return out ?? EMPTY_METRICS;
}

/**
 * The node's labels, or `before` when equal to them. Nearly always they are, so they are first compared as they
 * are read, and read again into an object of their own only when they differ: no object made to be thrown away.
 */
function readLabels(reader: FlatReader, before: Record<string, string> | undefined): Record<string, string> {
  const count = reader.int();
  if (count === 0) return EMPTY_LABELS;
  if (before !== undefined && keyCount(before) === count) {
    const start = reader.mark();
    let same = true;
    for (let i = 0; i < count && same; i++) {
      const k = reader.string();
      // A string is never inherited by a plain object, so equal here means before has the key with this value.
      same = before[k] === reader.string();
    }
    if (same) return before;
    reader.rewind(start);
  }
  const out = labelRecord(count);
  for (let i = 0; i < count; i++) {
    const k = reader.string();
    out[k] = reader.string();
  }
  return out;
}

/**
 * Constructors of plain records by key count, up to 8. `{}` has room for 4 properties and spills the rest into an
 * array of their own: a socket's 6 labels took 120 bytes where an object made by a constructor takes 96, since V8
 * sizes the objects a constructor makes to the properties its first few got (at the full fleet ~520k sockets,
 * ~12 MB of live heap). One constructor per count, so that a host's many labels do not size a socket's; the
 * prototype is Object's, so the records are plain objects to anything that reads them.
 */
const LABEL_RECORDS = Array.from({ length: 9 }, () => {
  const LabelRecord = function () {} as unknown as new () => Record<string, string>;
  LabelRecord.prototype = Object.prototype;
  return LabelRecord;
});

function labelRecord(count: number): Record<string, string> {
  return count < LABEL_RECORDS.length ? new LABEL_RECORDS[count]() : {};
}

function keyCount(record: object): number {
  let n = 0;
  for (const _ in record) n++;
  return n;
}

/** Sorted without repeats (flattenReport made them so), or `before` when equal to it (compared as read, as labels are). */
function readIds(reader: FlatReader, before: readonly string[] | undefined): string[] {
  const count = reader.int();
  if (count === 0) return before !== undefined && before.length === 0 ? (before as string[]) : EMPTY_IDS;
  if (before !== undefined && before.length === count) {
    const start = reader.mark();
    let i = 0;
    while (i < count && reader.string() === before[i]) i++;
    if (i === count) return before as string[];
    reader.rewind(start);
  }
  // A client socket's one peer: sockets of a connection pool share it, and can share the list too.
  if (count === 1 && reader.strings.single) return reader.strings.single(reader.string());
  const list: string[] = new Array(count);
  for (let i = 0; i < count; i++) list[i] = reader.string();
  return list;
}

/** `parents[kind]`, never what a plain object inherits (a kind named `valueOf` is a kind like any other). */
function ownList(parents: Record<string, string[]>, kind: string): string[] | undefined {
  const list = parents[kind];
  return Array.isArray(list) ? list : undefined;
}

/** The node's parents, or `before` when equal to them (compared as read, as labels are). */
function readParents(reader: FlatReader, before: Record<string, string[]> | undefined): Record<string, string[]> {
  const count = reader.int();
  if (count === 0) return EMPTY_PARENTS;
  if (before !== undefined && keyCount(before) === count) {
    const start = reader.mark();
    let same = true;
    for (let i = 0; i < count && same; i++) {
      const prior = ownList(before, reader.string());
      same = prior !== undefined && readIds(reader, prior) === prior;
    }
    if (same) return before;
    reader.rewind(start);
  }
  const out: Record<string, string[]> = {};
  for (let i = 0; i < count; i++) {
    const k = reader.string();
    out[k] = readIds(reader, before === undefined ? undefined : ownList(before, k));
  }
  return out;
}

/** normalizeSamples' order: the later sample, and of two at one time the larger value. */
function isLater(t: number, v: number, at: number, value: number): boolean {
  return t > at || (t === at && v > value);
}

/** A node with each series cut to its latest sample (what `compactReport` does to a report), for comparisons. */
export function latestOnly(node: ReportNode): ReportNode {
  const metrics: Record<string, MetricSeries> = {};
  for (const name of Object.keys(node.metrics)) {
    const samples = node.metrics[name].samples;
    let best = samples[0];
    for (const s of samples) if (isLater(s[0], s[1], best[0], best[1])) best = s;
    metrics[name] = best === undefined ? { samples: [] } : new LatestSample(best[0], best[1]);
  }
  return { ...node, metrics };
}
