/**
 * The schema version the probe writes. The same value as report-schema.ts's REPORT_SCHEMA_VERSION, kept here so the
 * probe does not load zod (~10 MB of RSS) for one string; a test holds the two equal.
 */
export const REPORT_SCHEMA_VERSION_TEXT = '1.0';
