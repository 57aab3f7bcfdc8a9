/**
 * The bounds every reader of a report enforces (report-schema.ts), in a module of their own without zod, so a
 * writer such as the probe can keep to them without loading the schema library (~10 MB of RSS in a bundle).
 */

/** Bounds every reader enforces, so one bad probe cannot make the app hold unbounded data. */
export const REPORT_LIMITS = {
  idLength: 512,
  keyLength: 128,
  labelValueLength: 4096,
  /** Samples per series; a probe sends the ones since its last report. */
  seriesSamples: 120,
  adjacency: 10_000,
  parents: 256,
  hostLength: 253,
} as const;
