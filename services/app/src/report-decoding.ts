/**
 * A report's body to its flat form, or the refusal it earns: decompression within the size limit (413), brotli or
 * gzip that is not (400), JSON (400), the schema's major version and then the schema (400 naming the field). This
 * is the decode worker's work (report-decode-worker.ts); it is a plain function so that it reads, and is tested, as
 * one.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { ReportError, ReportVersionError } from '../../lib/report/report-schema';
import { FlatReport, flattenReport } from './flat-report';
import type { RefusalReason } from './metrics';
import type { ReportValidator } from './report-validation';

/** The probe sends br (services/probe/src/report-compression.ts), gzip to an app that takes nothing else. */
export type ContentEncoding = 'br' | 'gzip' | 'identity';

export type DecodeOutcome =
  | { ok: true; flat: FlatReport; decodedBytes: number }
  | { ok: false; status: 400 | 413; reason: RefusalReason; message: string; decodedBytes?: number; probeId?: string };

export function decodeReport(body: Uint8Array, encoding: ContentEncoding, maxReportBytes: number, validator: ReportValidator): DecodeOutcome {
  let text: Buffer;
  if (encoding !== 'identity') {
    try {
      text = encoding === 'br' ? brotliDecompressSync(body, { maxOutputLength: maxReportBytes }) : gunzipSync(body, { maxOutputLength: maxReportBytes });
    } catch (err) {
      const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
      return tooLarge
        ? { ok: false, status: 413, reason: 'too_large', message: `the report is larger than ${maxReportBytes} bytes once decompressed` }
        : { ok: false, status: 400, reason: 'bad_json', message: `body is not valid ${encoding === 'br' ? 'brotli' : 'gzip'}: ${(err as Error).message}` };
    }
  } else {
    text = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
  const decodedBytes = text.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch (err) {
    return { ok: false, status: 400, reason: 'bad_json', message: `body is not valid JSON: ${(err as Error).message}`, decodedBytes };
  }
  try {
    return { ok: true, flat: flattenReport(validator.check(parsed)), decodedBytes };
  } catch (err) {
    if (!(err instanceof ReportError)) throw err;
    // A refused report still names its probe when it could, so the refusal is counted against it.
    const id = (parsed as { probe?: { id?: unknown } } | null)?.probe?.id;
    return { ok: false, status: 400, reason: err instanceof ReportVersionError ? 'unsupported_version' : 'bad_report', message: err.message, decodedBytes, ...(typeof id === 'string' ? { probeId: id } : {}) };
  }
}
