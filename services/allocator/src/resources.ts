/**
 * Resources as values: four scalars and a set of port ranges, with small total functions over them. Every piece of
 * arithmetic the sorter and the allocation loop do on resources goes through here, so rounding and port-range
 * bookkeeping live in one place.
 *
 * Scalars are kept to three decimals after every operation, as Mesos does with its fixed-point `Value::Scalar`:
 * adding 0.07 cpus ten thousand times must come back to exactly zero when the tasks finish, or an agent slowly
 * "leaks" capacity and the conservation property fails.
 */

export const SCALAR_NAMES = ['cpus', 'mem', 'disk', 'gpus'] as const;
export type ScalarName = (typeof SCALAR_NAMES)[number];

/** An inclusive range of port numbers, as Mesos writes them: `{begin: 31000, end: 32000}`. */
export interface PortRange {
  begin: number;
  end: number;
}

export interface Resources {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  /** Sorted, non-overlapping, non-adjacent ranges (see `normalizeRanges`). */
  ports: PortRange[];
}

/** Scalar quantities only: what quota guarantees and limits are written in (ports cannot carry quota in Mesos either). */
export type Scalars = Record<ScalarName, number>;

/** A per-resource bound where an absent resource means "no bound". */
export type ScalarBounds = Partial<Scalars>;

const SCALE = 1000;

/** Rounds to the three decimals resources are accounted in. */
export function round3(x: number): number {
  return Math.round(x * SCALE) / SCALE;
}

/** Shared by every value without ports (frozen: resource values are never changed in place). */
const NO_PORTS = Object.freeze([]) as unknown as PortRange[];

/**
 * One shared, frozen "nothing". Hundreds of thousands of tasks and offers hold no reserved resources; pointing them
 * all here instead of at their own empty object is most of the memory a 50,000-agent cluster would otherwise spend.
 */
export const NO_RESOURCES: Resources = Object.freeze({ cpus: 0, mem: 0, disk: 0, gpus: 0, ports: NO_PORTS }) as Resources;

export function emptyResources(): Resources {
  return { cpus: 0, mem: 0, disk: 0, gpus: 0, ports: [] };
}

export function resources(partial: Partial<Resources>): Resources {
  return {
    cpus: round3(partial.cpus ?? 0),
    mem: round3(partial.mem ?? 0),
    disk: round3(partial.disk ?? 0),
    gpus: round3(partial.gpus ?? 0),
    ports: partial.ports && partial.ports.length > 0 ? normalizeRanges(partial.ports) : NO_PORTS,
  };
}

/** Makes `dst` (a value with one owner) hold what `src` holds; port ranges are shared, as they are never changed. */
export function assign(dst: Resources, src: Resources): void {
  dst.cpus = src.cpus;
  dst.mem = src.mem;
  dst.disk = src.disk;
  dst.gpus = src.gpus;
  dst.ports = src.ports;
}

export function add(a: Resources, b: Resources): Resources {
  const sum = { cpus: a.cpus, mem: a.mem, disk: a.disk, gpus: a.gpus, ports: a.ports };
  addInPlace(sum, b);
  return sum;
}

/** `a - b`, clamped at zero: callers check `contains(a, b)` first when a shortfall would be a bug. */
export function subtract(a: Resources, b: Resources): Resources {
  const difference = { cpus: a.cpus, mem: a.mem, disk: a.disk, gpus: a.gpus, ports: a.ports };
  subtractInPlace(difference, b);
  return difference;
}

/**
 * `add`, in place, for a value that has exactly one owner (an agent's free pool) and has never been handed out: the
 * pool changes with every task started and ended, and a new object each time is garbage the collector must promote.
 */
export function addInPlace(acc: Resources, b: Resources): void {
  acc.cpus = round3(acc.cpus + b.cpus);
  acc.mem = round3(acc.mem + b.mem);
  acc.disk = round3(acc.disk + b.disk);
  acc.gpus = round3(acc.gpus + b.gpus);
  if (b.ports.length > 0) acc.ports = acc.ports.length === 0 ? b.ports : addRanges(acc.ports, b.ports);
}

/** `subtract`, in place (see `addInPlace`). */
export function subtractInPlace(acc: Resources, b: Resources): void {
  acc.cpus = Math.max(0, round3(acc.cpus - b.cpus));
  acc.mem = Math.max(0, round3(acc.mem - b.mem));
  acc.disk = Math.max(0, round3(acc.disk - b.disk));
  acc.gpus = Math.max(0, round3(acc.gpus - b.gpus));
  // An offer takes all of an agent's free ports: the same array, and nothing left.
  if (b.ports.length > 0) acc.ports = b.ports === acc.ports ? NO_PORTS : subtractRanges(acc.ports, b.ports);
}

/** True when every quantity (and every port) of `b` is in `a`. */
export function contains(a: Resources, b: Resources): boolean {
  return a.cpus >= b.cpus && a.mem >= b.mem && a.disk >= b.disk && a.gpus >= b.gpus && (b.ports.length === 0 || rangesContain(a.ports, b.ports));
}

export function isEmpty(r: Resources): boolean {
  return r.cpus <= 0 && r.mem <= 0 && r.disk <= 0 && r.gpus <= 0 && r.ports.length === 0;
}

export function equals(a: Resources, b: Resources): boolean {
  return a.cpus === b.cpus && a.mem === b.mem && a.disk === b.disk && a.gpus === b.gpus && rangesEqual(a.ports, b.ports);
}

/** The scalar part of `r`. */
export function scalarsOf(r: Resources): Scalars {
  return { cpus: r.cpus, mem: r.mem, disk: r.disk, gpus: r.gpus };
}

export function emptyScalars(): Scalars {
  return { cpus: 0, mem: 0, disk: 0, gpus: 0 };
}

/** Accumulates `b` into `acc` (sign +1 or -1). In place, for the running totals the loop keeps per role and cluster. */
export function accumulate(acc: Scalars, b: Scalars | Resources, sign: 1 | -1): void {
  acc.cpus = round3(acc.cpus + sign * b.cpus);
  acc.mem = round3(acc.mem + sign * b.mem);
  acc.disk = round3(acc.disk + sign * b.disk);
  acc.gpus = round3(acc.gpus + sign * b.gpus);
}

/**
 * Caps the scalars of `r` at `bound` (absent entries are unbounded); ports pass through untouched. This is how a
 * limit "chops" an agent: a role 2 cpus below its limit is offered 2 of the agent's 8 cpus and all of its memory.
 */
export function capScalars(r: Resources, bound: ScalarBounds): Resources {
  const capped = { cpus: r.cpus, mem: r.mem, disk: r.disk, gpus: r.gpus, ports: r.ports };
  capScalarsInPlace(capped, bound);
  return capped;
}

/** `capScalars`, in place (see `addInPlace`). */
export function capScalarsInPlace(r: Resources, bound: ScalarBounds): void {
  if (bound.cpus !== undefined) r.cpus = Math.max(0, Math.min(r.cpus, round3(bound.cpus)));
  if (bound.mem !== undefined) r.mem = Math.max(0, Math.min(r.mem, round3(bound.mem)));
  if (bound.disk !== undefined) r.disk = Math.max(0, Math.min(r.disk, round3(bound.disk)));
  if (bound.gpus !== undefined) r.gpus = Math.max(0, Math.min(r.gpus, round3(bound.gpus)));
}

/**
 * Weighted dominant share: the largest fraction of the cluster total held of any resource not in `excluded`,
 * divided by the weight. A resource the cluster has none of contributes nothing.
 */
export function dominantShare(allocated: Scalars, total: Scalars, excluded: ReadonlySet<ScalarName>, weight = 1): number {
  let share = 0;
  for (const name of SCALAR_NAMES) {
    if (excluded.has(name)) continue;
    const t = total[name];
    if (t > 0) {
      const s = allocated[name] / t;
      if (s > share) share = s;
    }
  }
  return share / weight;
}

/** Readable form for error messages: `cpus 2, mem 1024, ports [31000-31009]`. */
export function formatResources(r: Resources | Scalars | ScalarBounds): string {
  const parts: string[] = [];
  for (const name of SCALAR_NAMES) {
    const v = (r as ScalarBounds)[name];
    if (v !== undefined && v !== 0) parts.push(`${name} ${v}`);
  }
  const ports = (r as Resources).ports;
  if (ports && ports.length > 0) parts.push(`ports [${ports.map((p) => (p.begin === p.end ? `${p.begin}` : `${p.begin}-${p.end}`)).join(',')}]`);
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

// --- port ranges ---------------------------------------------------------------------------------------------------

/** Sorts and merges overlapping or adjacent ranges so every set of ports has exactly one representation. */
export function normalizeRanges(ranges: readonly PortRange[]): PortRange[] {
  if (ranges.length === 0) return [];
  const sorted = ranges.map((r) => ({ begin: r.begin, end: r.end })).sort((a, b) => a.begin - b.begin);
  const out: PortRange[] = [sorted[0]];
  for (let i = 1; i < sorted.length; i++) {
    const last = out[out.length - 1];
    const cur = sorted[i];
    if (cur.begin <= last.end + 1) last.end = Math.max(last.end, cur.end);
    else out.push(cur);
  }
  return out;
}

export function addRanges(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  return normalizeRanges([...a, ...b]);
}

/** `a` without the ports of `b`. Both must be normalized. */
export function subtractRanges(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  let j = 0;
  for (const range of a) {
    let begin = range.begin;
    const end = range.end;
    while (j < b.length && b[j].end < begin) j++;
    let k = j;
    while (k < b.length && b[k].begin <= end && begin <= end) {
      if (b[k].begin > begin) out.push({ begin, end: b[k].begin - 1 });
      begin = Math.max(begin, b[k].end + 1);
      k++;
    }
    if (begin <= end) out.push({ begin, end });
  }
  return out;
}

/** True when every port of `b` is in `a`. Both must be normalized. */
export function rangesContain(a: readonly PortRange[], b: readonly PortRange[]): boolean {
  let i = 0;
  for (const r of b) {
    while (i < a.length && a[i].end < r.begin) i++;
    if (i === a.length || a[i].begin > r.begin || a[i].end < r.end) return false;
  }
  return true;
}

export function rangesEqual(a: readonly PortRange[], b: readonly PortRange[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].begin !== b[i].begin || a[i].end !== b[i].end) return false;
  return true;
}

export function portCount(ranges: readonly PortRange[]): number {
  let n = 0;
  for (const r of ranges) n += r.end - r.begin + 1;
  return n;
}

/** The lowest `count` ports of `ranges`, or null if there are fewer. */
export function takePorts(ranges: readonly PortRange[], count: number): PortRange[] | null {
  if (count <= 0) return [];
  const out: PortRange[] = [];
  let left = count;
  for (const r of ranges) {
    const n = Math.min(left, r.end - r.begin + 1);
    out.push({ begin: r.begin, end: r.begin + n - 1 });
    left -= n;
    if (left === 0) return out;
  }
  return null;
}
