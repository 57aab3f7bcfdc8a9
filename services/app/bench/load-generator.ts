/**
 * The benchmark's load generator, a process of its own so its CPU is not the app's: a fleet of synthetic probes
 * (report-generator.ts) posting gzip reports to the app on their interval, phases spread evenly, for a bounded time,
 * to a loopback address only. A refused report is retried after the Retry-After the app sent, as the probe does; a
 * probe whose previous report is still in flight skips its turn (the real probe would buffer it).
 *
 *   node --import tsx load-generator.ts '<json LoadPlan>'   → prints one line `RESULT {LoadResult}` at the end
 *
 * Each probe's report is made once, as JSON text with its timestamps and CPU values cut out; a send only joins the
 * text with the current times and fresh CPU values (so views change from one report to the next, as they do) and
 * gzips it (level 1), so the generator costs a fraction of what the app does per report.
 */
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { BENCH_FLEET, FleetShape, inboundIndex, probeReport } from './report-generator';

export interface LoadPlan {
  url: string;
  token: string;
  shape?: Partial<FleetShape>;
  intervalSeconds?: number;
  durationSeconds: number;
  /** Requests in flight at most (the fleet's probes are independent; this bounds the generator's sockets). */
  concurrency?: number;
}

export interface LoadResult {
  sent: number;
  byStatus: Record<string, number>;
  skipped: number;
  retried: number;
  errors: number;
  bytesSent: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  generatorCpuSeconds: number;
  templatesSeconds: number;
}

/** Every timestamp the generator writes is BASE + a small offset, so the text can be cut at each one. */
export const BASE = 5_000_000_000_000;
/** Every CPU value is written as this, to be replaced by a fresh one per send. */
const CPU = 6_666_666_666_666;
const SLOT = /\b(4999999\d{6}|5000000\d{6}|6666666666666)\b/g;

export interface Template {
  parts: string[];
  /** Per slot: the offset from now of a timestamp, or NaN for a CPU value. */
  offsets: number[];
}

export function template(report: unknown): Template {
  const json = JSON.stringify(report, (key, value) => (key === 'cpu_usage_percent' ? { samples: (value as { samples: Array<[number, number]> }).samples.map(([t]) => [t, CPU]) } : value));
  const parts: string[] = [];
  const offsets: number[] = [];
  let last = 0;
  for (const m of json.matchAll(SLOT)) {
    parts.push(json.slice(last, m.index));
    offsets.push(Number(m[0]) === CPU ? NaN : Number(m[0]) - BASE);
    last = (m.index as number) + m[0].length;
  }
  parts.push(json.slice(last));
  return { parts, offsets };
}

export function fill(t: Template, now: number): string {
  let out = t.parts[0];
  for (let i = 0; i < t.offsets.length; i++) {
    const offset = t.offsets[i];
    out += (Number.isNaN(offset) ? String(Math.round(Math.random() * 1000) / 10) : String(now + offset)) + t.parts[i + 1];
  }
  return out;
}

export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const url = new URL(plan.url);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') throw new Error(`the load generator sends to loopback only (got ${url.hostname})`);
  const shape: FleetShape = { ...BENCH_FLEET, ...plan.shape };
  const intervalMs = (plan.intervalSeconds ?? 15) * 1000;
  const cpuStart = process.cpuUsage();
  const t0 = performance.now();
  const inbound = inboundIndex(shape);
  const templates: Template[] = [];
  for (let i = 0; i < shape.probes; i++) templates.push(template(probeReport(shape, i, BASE, inbound)));
  const templatesSeconds = (performance.now() - t0) / 1000;
  // The runner starts its clocks on this line: the templates took tens of seconds of the generator's CPU.
  process.stdout.write('READY\n');

  const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency ?? 32 });
  const result: LoadResult = { sent: 0, byStatus: {}, skipped: 0, retried: 0, errors: 0, bytesSent: 0, latencyP50Ms: 0, latencyP99Ms: 0, generatorCpuSeconds: 0, templatesSeconds };
  const latencies: number[] = [];
  const inFlight = new Uint8Array(shape.probes);
  const retryAt = new Float64Array(shape.probes);
  const start = Date.now();
  const end = start + plan.durationSeconds * 1000;
  const next = new Float64Array(shape.probes).map((_, i) => start + (i * intervalMs) / shape.probes);

  const send = (i: number) => {
    const now = Date.now();
    const body = gzipSync(fill(templates[i], now), { level: 1 });
    inFlight[i] = 1;
    result.sent++;
    result.bytesSent += body.length;
    const sentAt = performance.now();
    const req = request(
      { agent, host: url.hostname, port: url.port, method: 'POST', path: '/api/report', headers: { authorization: `Bearer ${plan.token}`, 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length, 'x-probe-id': `agent-${String(i).padStart(4, '0')}` } },
      (res) => {
        res.resume();
        res.on('end', () => {
          inFlight[i] = 0;
          latencies.push(performance.now() - sentAt);
          const status = String(res.statusCode);
          result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
          if (res.statusCode === 503) {
            retryAt[i] = Date.now() + Number(res.headers['retry-after'] ?? 1) * 1000;
            result.retried++;
          }
        });
      },
    );
    req.on('error', () => {
      inFlight[i] = 0;
      result.errors++;
    });
    req.end(body);
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      if (now >= end) {
        clearInterval(timer);
        resolve();
        return;
      }
      for (let i = 0; i < shape.probes; i++) {
        if (retryAt[i] > 0 && now >= retryAt[i] && !inFlight[i]) {
          retryAt[i] = 0;
          send(i);
        }
        if (now < next[i]) continue;
        next[i] += intervalMs;
        if (inFlight[i] || retryAt[i] > 0) result.skipped++;
        else send(i);
      }
    }, 5);
  });
  // Let the last answers arrive.
  for (let k = 0; k < 100 && inFlight.some((f) => f === 1); k++) await new Promise((r) => setTimeout(r, 50));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  result.latencyP50Ms = Math.round(latencies[Math.floor(latencies.length * 0.5)] ?? 0);
  result.latencyP99Ms = Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? 0);
  const cpu = process.cpuUsage(cpuStart);
  result.generatorCpuSeconds = Math.round((cpu.user + cpu.system) / 1e4) / 100;
  return result;
}

if (require.main === module) {
  runLoad(JSON.parse(process.argv[2]) as LoadPlan)
    .then((r) => {
      process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
      process.exit(0);
    })
    .catch((err: Error) => {
      process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    });
}
