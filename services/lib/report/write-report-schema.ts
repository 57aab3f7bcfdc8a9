/**
 * `npm run report:schema`: writes report.schema.json anew from the zod schema. A script of its own, not a
 * `require.main` branch of report-json-schema.ts: in a service's esbuild bundle that test is true for every inlined
 * ES module, and the app would try to rewrite the file in its read-only image at start.
 */
import { writeFileSync } from 'node:fs';
import { REPORT_JSON_SCHEMA_FILE, reportJsonSchemaText } from './report-json-schema';

writeFileSync(REPORT_JSON_SCHEMA_FILE, reportJsonSchemaText());
process.stdout.write(`wrote ${REPORT_JSON_SCHEMA_FILE}\n`);
