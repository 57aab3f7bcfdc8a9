/**
 * The report schema as JSON Schema (draft-07), generated from the zod schema and checked in as report.schema.json
 * for probes written in other languages and for validators such as Fastify's. A test fails when the file is stale;
 * `npm run report:schema` (write-report-schema.ts) writes it anew.
 *
 * Refinements zod cannot express in JSON Schema (no `__proto__` keys, node-id prefixes per topology) are checked
 * by parseProbeReport and checkNodeIds only.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { probeReportSchema, REPORT_SCHEMA_VERSION } from './report-schema';

export const REPORT_JSON_SCHEMA_FILE = join(__dirname, 'report.schema.json');

export function reportJsonSchema(): Record<string, unknown> {
  // Input form: fields with defaults are optional, as a probe may send them; unknown fields stay allowed (the
  // rule is that a reader ignores them, not that a writer must not send them).
  const schema = z.toJSONSchema(probeReportSchema, { target: 'draft-7', io: 'input' });
  return {
    $schema: schema.$schema,
    $id: `https://orchestrator.dev/schemas/probe-report-${REPORT_SCHEMA_VERSION}.json`,
    title: `orchestrator probe report ${REPORT_SCHEMA_VERSION}`,
    description: 'One probe\'s report to the monitoring app (services/lib/report/report-schema.ts is the source).',
    ...schema,
  };
}

export function reportJsonSchemaText(): string {
  return `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
}
