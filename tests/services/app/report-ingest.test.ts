/**
 * POST /api/report over real HTTP with real brotli and gzip: the token, the size limit, the encodings, the schema and its
 * version, back-pressure, and the counting of every refusal.
 */
import { request } from 'node:http';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { REPORT_LIMITS } from '../../../services/lib/report/report-schema';
import { AppHarness, getJson, postReport, PROBE_TOKEN, startApp } from './support/app-harness';
import { IDS, reportA, reportB } from './support/fixed-reports';

let h: AppHarness;
beforeEach(async () => {
  h = await startApp({ maxReportBytes: 256 * 1024, maxPendingReports: 1 });
});
afterEach(async () => {
  jest.restoreAllMocks();
  await h.close();
});

async function refusal(res: Response): Promise<{ status: number; message: string }> {
  return { status: res.status, message: ((await res.json()) as { message: string }).message };
}

describe('accepting reports', () => {
  test('a report with the probe token is accepted gzip-compressed or not, and its nodes show in the topologies', async () => {
    expect((await postReport(h.url, reportA(), { gzip: true })).status).toBe(202);
    const identity = await postReport(h.url, reportB(), { gzip: false });
    expect(identity.status).toBe(202);
    const nodes = Object.values(reportB().topologies).reduce((n, t) => n + Object.keys(t).length, 0);
    expect(await identity.json()).toEqual({ accepted: true, nodes });
    const hosts = await getJson(h.url, '/api/topology/hosts');
    expect(hosts.body.nodes.map((n: { id: string }) => n.id)).toEqual(expect.arrayContaining([IDS.hostA, IDS.hostB]));
  });
});

describe('accepting brotli reports', () => {
  test('a brotli report (what the probe sends) is accepted like a gzip one', async () => {
    const res = await postRaw(brotliCompressSync(JSON.stringify(reportA())), 'br');
    expect(res.status).toBe(202);
    const hosts = await getJson(h.url, '/api/topology/hosts');
    expect(hosts.body.nodes.map((n: { id: string }) => n.id)).toContain(IDS.hostA);
  });
});

/** A body sent exactly as given, with the probe's token and this Content-Encoding. */
function postRaw(body: Uint8Array | string, encoding: string): Promise<Response> {
  return fetch(`${h.url}/api/report`, { method: 'POST', headers: { authorization: `Bearer ${PROBE_TOKEN}`, 'content-type': 'application/json', 'content-encoding': encoding }, body: typeof body === 'string' ? body : new Uint8Array(body) });
}

describe('refusing reports', () => {
  test('without the token, or with a wrong one of any length, the answer is 401 and nothing is stored', async () => {
    const same = PROBE_TOKEN.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x'));
    for (const token of [null, same, 'short', `${PROBE_TOKEN}-and-more`]) {
      const res = await postReport(h.url, reportA(), { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect((await getJson(h.url, '/api/topology/hosts')).body.totalNodes).toBe(0);
  });

  test('the token is compared in constant time: timingSafeEqual on digests of equal length, whatever was sent', async () => {
    // The module object the app calls through (a namespace import would be a copy of its bindings).
    const compare = jest.spyOn(require('node:crypto') as typeof import('node:crypto'), 'timingSafeEqual');
    await postReport(h.url, reportA(), { token: 'x' });
    await postReport(h.url, reportA(), { token: 'x'.repeat(500) });
    expect(compare).toHaveBeenCalledTimes(2);
    for (const [a, b] of compare.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  test('a body over APP_MAX_REPORT_BYTES is 413, whether it is that large as sent or only once decompressed', async () => {
    const large = JSON.stringify({ ...reportA(), padding: 'x'.repeat(300 * 1024) });
    expect((await postReport(h.url, large, { gzip: false })).status).toBe(413);
    // Compresses to ~1 KB; decompressed it is over the limit.
    const bomb = await postReport(h.url, large, { gzip: true });
    expect(await refusal(bomb)).toEqual({ status: 413, message: expect.stringMatching(/larger than 262144 bytes once decompressed/) });
    expect(await refusal(await postRaw(brotliCompressSync(large), 'br'))).toEqual({ status: 413, message: expect.stringMatching(/larger than 262144 bytes once decompressed/) });
  });

  test('an encoding other than br, gzip or identity is 415', async () => {
    expect(await refusal(await postRaw('{}', 'deflate'))).toEqual({ status: 415, message: 'Content-Encoding must be br, gzip or identity (got "deflate")' });
  });

  test('a body that is not JSON, or not brotli or gzip when it says so, is 400', async () => {
    expect(await refusal(await postReport(h.url, '{"schemaVersion": ', { gzip: false }))).toEqual({ status: 400, message: expect.stringMatching(/^body is not valid JSON/) });
    expect(await refusal(await postRaw('{}', 'gzip'))).toEqual({ status: 400, message: expect.stringMatching(/^body is not valid gzip/) });
    expect(await refusal(await postRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'br'))).toEqual({ status: 400, message: expect.stringMatching(/^body is not valid brotli/) });
  });

  test('a report breaking the schema is 400 naming the field and the rule', async () => {
    const long = reportA();
    long.topologies.process[IDS.nginx].labels!.cmdline = 'x'.repeat(REPORT_LIMITS.labelValueLength + 1);
    expect(await refusal(await postReport(h.url, long))).toEqual({ status: 400, message: `topologies.process["${IDS.nginx}"].labels.cmdline must be at most 4096 characters` });
    const misplaced = reportA();
    misplaced.topologies.container = { [IDS.hostA]: { timestamp: 1 } };
    expect(await refusal(await postReport(h.url, misplaced))).toEqual({ status: 400, message: `topologies.container["${IDS.hostA}"] must be an id starting with "container:"` });
    expect(await refusal(await postReport(h.url, { ...reportA(), intervalSeconds: 0 }))).toEqual({ status: 400, message: 'intervalSeconds must be a positive number of seconds' });
    expect((await getJson(h.url, '/api/topology/hosts')).body.totalNodes).toBe(0);
  });

  test('a report of another major version is 400 with the version message, even when its fields are new to this app', async () => {
    const future = { schemaVersion: '2.0', probe: { id: 'node-a' }, topologies: 'a format this app never heard of' };
    expect(await refusal(await postReport(h.url, future))).toEqual({ status: 400, message: 'schemaVersion "2.0" is not supported: this reader takes major version 1 (1.x)' });
  });
});

describe('back-pressure', () => {
  /** A report whose body is still being sent: it holds the app's only slot until `finish`. */
  function slowReport(): { finish(): Promise<number> } {
    const body = gzipSync(JSON.stringify(reportA()));
    const { port } = new URL(h.url);
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/report', headers: { authorization: `Bearer ${PROBE_TOKEN}`, 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length } });
    const status = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode as number);
      });
      req.on('error', reject);
    });
    req.write(body.subarray(0, 10));
    return {
      finish() {
        req.end(body.subarray(10));
        return status;
      },
    };
  }

  async function waitForPending(n: number): Promise<void> {
    for (let i = 0; i < 200 && h.app.admission.pending !== n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.app.admission.pending).toBe(n);
  }

  test('with every slot taken the next report is 503 with Retry-After, before its body is read; a freed slot takes the next', async () => {
    const slow = slowReport();
    await waitForPending(1);
    const refused = await postReport(h.url, reportB(), { headers: { 'x-probe-id': 'node-b' } });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await refused.json()).message).toMatch(/1 reports are being processed/);
    expect(await slow.finish()).toBe(202);
    await waitForPending(0);
    expect((await postReport(h.url, reportB())).status).toBe(202);
  });

  test('while the event loop lags, reports are 503 with Retry-After', async () => {
    await h.close();
    let lag = 5000;
    h = await startApp({ lag: () => lag });
    const res = await postReport(h.url, reportA());
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^[1-5]$/);
    lag = 0;
    expect((await postReport(h.url, reportA())).status).toBe(202);
  });
});

describe('counting refusals', () => {
  test('each refusal is counted by reason, and against the probe when it says who it is', async () => {
    await postReport(h.url, reportA());
    await postReport(h.url, reportA(), { token: 'wrong', headers: { 'x-probe-id': 'node-a' } });
    await postReport(h.url, { ...reportA(), intervalSeconds: -1 });
    await postReport(h.url, { ...reportA(), schemaVersion: '9.0' });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/^app_reports_accepted_total 1$/m);
    expect(metrics).toMatch(/^app_reports_refused_total\{reason="unauthorized"\} 1$/m);
    expect(metrics).toMatch(/^app_reports_refused_total\{reason="bad_report"\} 1$/m);
    expect(metrics).toMatch(/^app_reports_refused_total\{reason="unsupported_version"\} 1$/m);
    expect(metrics).toMatch(/^app_report_bytes_total\{encoding="gzip"\} \d+$/m);
    expect(metrics).toMatch(/^app_report_ingest_cpu_seconds_total [\d.e-]+$/m);
    const probes = await getJson(h.url, '/api/probes');
    expect(probes.body.probes).toEqual([expect.objectContaining({ id: 'node-a', status: 'ok', refusedReports: 3 })]);
  });
});
