/**
 * One probe's report: the versioned schema probe and app share (zod; report.schema.json is generated from it).
 *
 * Versions are `major.minor`. A minor bump only adds optional fields; an app accepts every minor version of its
 * major. The rule for what a reader does not know:
 * - unknown fields of the fixed objects (the report, `probe`, `stats`, a node, a series) are ignored — dropped by
 *   `parseProbeReport`, so nothing downstream depends on them;
 * - unknown keys of the open maps (topologies, labels, metrics, parents) are kept: they are data, and the app serves
 *   them to its clients as they came;
 * - a report of another major version is refused with `ReportVersionError`, before any other check.
 */
import { z } from 'zod';
import { idPrefix } from './node-ids';
import { TOPOLOGY } from './report-keys';
import { REPORT_LIMITS } from './report-limits';

export { REPORT_LIMITS };

export const REPORT_SCHEMA_VERSION = '1.0';
export const REPORT_MAJOR_VERSION = 1;

const timestamp = z.number().int({ error: 'must be a whole number of milliseconds since the epoch' }).min(0, { error: 'must be a whole number of milliseconds since the epoch' });
// Map keys become object keys in every reader. zod's records drop a `__proto__` key rather than set a prototype.
const key = z.string().min(1, { error: 'must not be empty' }).max(REPORT_LIMITS.keyLength, { error: `must be at most ${REPORT_LIMITS.keyLength} characters` });
/** `<topology>:<rest>`, see node-ids.ts. */
const nodeId = z
  .string()
  .max(REPORT_LIMITS.idLength, { error: `must be at most ${REPORT_LIMITS.idLength} characters` })
  .regex(/^[a-z][a-z0-9_-]{0,31}:./, { error: 'must be a node id "<topology>:<id>"' });

/** `[timestamp ms, value]`. */
export const sampleSchema = z.tuple([timestamp, z.number({ error: 'must be a finite number' })]);

export const seriesSchema = z.object({
  /** Oldest first; at most one sample per timestamp. */
  samples: z.array(sampleSchema).max(REPORT_LIMITS.seriesSamples, { error: `must hold at most ${REPORT_LIMITS.seriesSamples} samples` }),
});

export const nodeSchema = z.object({
  /** When the probe sampled this node (ms). Of two samples of one node, the newer one's labels win. */
  timestamp,
  /** The node's latest values as strings: name, image, cmdline, state, … (report-keys.ts). */
  labels: z.record(key, z.string().max(REPORT_LIMITS.labelValueLength, { error: `must be at most ${REPORT_LIMITS.labelValueLength} characters` })).default({}),
  /** Short numeric series: CPU, memory, IO, … */
  metrics: z.record(key, seriesSchema).default({}),
  /** Ids of the nodes this one talks to (for an endpoint: its peer's endpoint). */
  adjacency: z.array(nodeId).max(REPORT_LIMITS.adjacency, { error: `must list at most ${REPORT_LIMITS.adjacency} ids` }).default([]),
  /** Ids of the nodes this one belongs to, by their topology: `{ container: ["container:…"], host: ["host:…"] }`. */
  parents: z.record(key, z.array(nodeId).max(REPORT_LIMITS.parents, { error: `must list at most ${REPORT_LIMITS.parents} ids` })).default({}),
});

/** Nodes by stable id (node-ids.ts). */
export const topologySchema = z.record(nodeId, nodeSchema);

export const probeReportSchema = z.object({
  /** `major.minor` of this schema the probe wrote. */
  schemaVersion: z.string().regex(/^\d+\.\d+$/, { error: 'must be a version "major.minor"' }),
  probe: z.object({
    /** Stable per probe instance (the host's name unless configured otherwise). */
    id: key,
    /** The probe's own software version. */
    version: key,
  }),
  /** The host's name; ids of this host's nodes include it. */
  host: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(REPORT_LIMITS.hostLength, { error: `must be at most ${REPORT_LIMITS.hostLength} characters` })
    .regex(/^[^\s:/]+$/, { error: 'must be a host name without spaces, ":" or "/"' }),
  /** When the collection that produced this report started (ms). */
  timestamp,
  /** The probe's reporting interval; the app ages a probe out after its window passes without a report. */
  intervalSeconds: z.number().positive({ error: 'must be a positive number of seconds' }).max(3600, { error: 'must be at most 3600 seconds' }),
  /** Topologies by name: host, container, process, endpoint (report-keys.ts), and whatever a newer probe adds. */
  topologies: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, { error: 'must be a topology name of lower-case letters, digits, _ and -' }), topologySchema),
  /** How the probe itself is doing. */
  stats: z
    .object({
      /** Reports the probe dropped since it started (its buffer was full while the app was unreachable). */
      droppedReports: z.number().int().min(0).default(0),
      /** The last error of each reporter that failed in this collection, by reporter. */
      collectionErrors: z.record(key, z.string().max(REPORT_LIMITS.labelValueLength)).default({}),
      /** CPU seconds the probe spent on this collection. */
      collectionCpuSeconds: z.number().min(0).optional(),
    })
    .prefault({}),
});

export type Sample = z.infer<typeof sampleSchema>;
export type MetricSeries = z.infer<typeof seriesSchema>;
export type ReportNode = z.infer<typeof nodeSchema>;
export type Topology = z.infer<typeof topologySchema>;
export type Topologies = Record<string, Topology>;
export type ProbeReport = z.infer<typeof probeReportSchema>;
/** What a probe builds before parsing fills the defaults: the same shape with the optional parts optional. */
export type ProbeReportInput = z.input<typeof probeReportSchema>;

/** A report that breaks a rule: `field` is the path a person can find in the JSON, `rule` what it must be. */
export class ReportError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field} ${rule}`);
    this.name = 'ReportError';
  }
}

/** A report of a major version this reader does not speak. */
export class ReportVersionError extends ReportError {
  constructor(got: string) {
    super('schemaVersion', `${JSON.stringify(got)} is not supported: this reader takes major version ${REPORT_MAJOR_VERSION} (${REPORT_MAJOR_VERSION}.x)`);
    this.name = 'ReportVersionError';
  }
}

/**
 * Refuses a report of another major version. Called before schema validation, so a probe from the future hears
 * that its version is the problem and not some field this app never heard of.
 */
export function checkSchemaVersion(report: unknown): void {
  if (report === null || typeof report !== 'object') return;
  const version = (report as { schemaVersion?: unknown }).schemaVersion;
  if (typeof version !== 'string') return;
  const major = /^(\d+)\.\d+$/.exec(version)?.[1];
  if (major !== undefined && Number(major) !== REPORT_MAJOR_VERSION) throw new ReportVersionError(version);
}

/** Nodes of a known topology must carry its id prefix: a container id in the process topology is a probe bug. */
export function checkNodeIds(report: Pick<ProbeReport, 'topologies'>): void {
  for (const name of Object.values(TOPOLOGY)) {
    const topology = report.topologies[name];
    if (!topology) continue;
    const prefix = idPrefix(name);
    for (const id of Object.keys(topology)) {
      if (!id.startsWith(prefix)) throw new ReportError(fieldPath(['topologies', name, id]), `must be an id starting with "${prefix}"`);
    }
  }
}

/**
 * Validates and normalises one report: version first, then the schema, then the ids. Throws `ReportError` naming the
 * first offending field. The result is normalised (see `normalizeNode`), which the merge laws rely on.
 */
export function parseProbeReport(value: unknown): ProbeReport {
  checkSchemaVersion(value);
  const result = probeReportSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ReportError(fieldPath(issue.path), issue.message);
  }
  checkNodeIds(result.data);
  return normalizeReport(result.data);
}

/** Sorted, duplicate-free adjacency and parents; samples in time order with one per timestamp. */
export function normalizeReport(report: ProbeReport): ProbeReport {
  for (const topology of Object.values(report.topologies)) {
    for (const id of Object.keys(topology)) topology[id] = normalizeNode(topology[id]);
  }
  return report;
}

export function normalizeNode(node: ReportNode): ReportNode {
  const metrics: Record<string, MetricSeries> = {};
  for (const [name, series] of Object.entries(node.metrics)) metrics[name] = { samples: normalizeSamples(series.samples) };
  const parents: Record<string, string[]> = {};
  for (const [topology, ids] of Object.entries(node.parents)) parents[topology] = sortedUnique(ids);
  return { timestamp: node.timestamp, labels: node.labels, metrics, adjacency: sortedUnique(node.adjacency), parents };
}

/** Time order, one sample per timestamp (the larger value when two disagree), the newest `seriesSamples`. */
export function normalizeSamples(samples: readonly Sample[]): Sample[] {
  const sorted = [...samples].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Sample[] = [];
  for (const sample of sorted) {
    if (out.length > 0 && out[out.length - 1][0] === sample[0]) out[out.length - 1] = sample;
    else out.push(sample);
  }
  return out.length > REPORT_LIMITS.seriesSamples ? out.slice(out.length - REPORT_LIMITS.seriesSamples) : out;
}

function sortedUnique(ids: readonly string[]): string[] {
  const sorted = [...ids].sort();
  return sorted.filter((id, i) => i === 0 || id !== sorted[i - 1]);
}

/** `topologies.process["process:h:1:2"].labels.cmdline`: dotted where a segment is a plain name, quoted otherwise. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(part))) out += out ? `.${String(part)}` : String(part);
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(the report)';
}
