/**
 * The decode worker's thread: takes report bodies (transferred, not copied) from report-decoders.ts, answers each
 * with its flat form (typed arrays transferred back) or its refusal. It holds no state between reports but the
 * compiled validator, so a restarted worker answers exactly as the one it replaces.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { decodeReport } from './report-decoding';
import type { DecodeReply, DecodeRequest, DecodeWorkerData } from './report-decoders';
import { ReportValidator } from './report-validation';

const port = parentPort;
if (!port) throw new Error('report-decode-worker.ts runs as a worker thread (report-decoders.ts starts it)');
const { maxReportBytes } = workerData as DecodeWorkerData;
const validator = new ReportValidator();

port.on('message', (request: DecodeRequest) => {
  const started = performance.now();
  let reply: DecodeReply;
  try {
    const outcome = decodeReport(new Uint8Array(request.body), request.encoding, maxReportBytes, validator);
    reply = { id: request.id, outcome, busyMs: performance.now() - started };
  } catch (err) {
    // A bug, not a bad report: that request fails (500), the worker and the others in it carry on.
    port.postMessage({ id: request.id, error: (err as Error).stack ?? String(err) } satisfies DecodeReply);
    return;
  }
  const { outcome } = reply;
  port.postMessage(reply, outcome.ok ? [outcome.flat.structure.buffer as ArrayBuffer, outcome.flat.numbers.buffer as ArrayBuffer] : []);
});
