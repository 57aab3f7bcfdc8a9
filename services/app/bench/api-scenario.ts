/**
 * The topology API at 10,000 containers (the full fleet: 1,000 probes), a client asking one request after another
 * for the views below; latency is the client's, from request to the last byte, the body read as bytes and not
 * decoded: the client's own decoding and parsing of a 26 MB answer (and the garbage collections they bring into
 * the next requests' times) are the client's cost, not the API's. Views are rebuilt, with their JSON,
 * per generation by the app's ticker for the queries asked recently, so requests find theirs ready; the first of its
 * kind builds it (and may render its topology), which is reported apart (`firstMs`), not inside the percentiles.
 */
import { Agent, request } from 'node:http';
import { BENCH_FLEET, FleetShape } from './report-generator';
import { AppProcess, BENCH_TOKEN, load1, percentile, sleep, startAppProcess, startLoad } from './app-process';
import { round } from './ingest-scenario';

export interface ApiRow {
  scenario: string;
  phase: string;
  query: string;
  nodes: number;
  edges: number;
  bytes: number;
  requests: number;
  /** Answers other than 200 (the node details' 404 while its container is not in the window, for one). */
  notOk: number;
  /** The first request of this query in the phase: it builds the view, and renders its topology if nothing had. */
  firstMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Mean time the app took to render the topology / build and serialise the view, from its own metrics. */
  appRenderMs?: number;
  appViewMs?: number;
  appCores: number;
  rssMb: number;
  /**
   * Over the phase's measurement (the same on each of its rows): the event loop's longest delay (the longest
   * synchronous stretch, from the app's monitorEventLoopDelay), and the major GCs and their total pause.
   */
  loopMaxMs: number;
  /** Reads whose stepped build started again on newer data over the phase (`app_read_restarts_total`). */
  readRestarts: number;
  majorGcs: number;
  majorGcMs: number;
  load: [number, number];
}

const QUERIES = (container: string): Array<[string, string, string]> => [
  ['containers, every node (clusterThreshold=0)', '/api/topology/containers?clusterThreshold=0', 'containers'],
  ['containers, default (clustered by host)', '/api/topology/containers', 'containers'],
  ['containers, filter + search', '/api/topology/containers?clusterThreshold=0&filter=image~svc-1&search=mesos', 'containers'],
  ['containers by image', '/api/topology/containers-by-image', 'containers-by-image'],
  ['hosts', '/api/topology/hosts', 'hosts'],
  ['processes (100k, clustered by host)', '/api/topology/processes', 'processes'],
  ['node details (container)', `/api/topology/containers/${encodeURIComponent(container)}`, ''],
  ['topology list', '/api/topology', ''],
];

/**
 * Two phases, each with an app of its own:
 * - reads only: one round of the whole fleet into a window long enough that nothing ages, then the generator stops
 *   and only reads run: what serving views costs (the first request of each query after the last report renders);
 * - while ingesting: the fleet at its full rate throughout, the realistic case, on the same one event loop.
 */
export async function runApiBench(options: { shape?: Partial<FleetShape>; measureSeconds?: number } = {}): Promise<ApiRow[]> {
  const shape = { ...BENCH_FLEET, ...options.shape };
  const measure = options.measureSeconds ?? 30;
  const rows: ApiRow[] = [];
  {
    const loadBefore = load1();
    const app = await startAppProcess({ APP_WINDOW_SECONDS: '3600' });
    const load = startLoad({ url: app.url, token: BENCH_TOKEN, shape, durationSeconds: 120 });
    try {
      await load.ready;
      // On a busy machine the generator gets through only part of the fleet in one 15 s round: the reads begin
      // once every probe has reported (or after two minutes), so they are of the whole fleet whatever the load.
      await everyProbeReported(app, shape.probes, 120_000);
      load.stop();
      rows.push(...(await measureReads(app, 'reads only', measure, loadBefore)));
    } finally {
      load.stop();
      await app.stop();
    }
  }
  {
    const loadBefore = load1();
    const app = await startAppProcess();
    const warmup = 25;
    const load = startLoad({ url: app.url, token: BENCH_TOKEN, shape, durationSeconds: warmup + measure + 10 });
    try {
      await load.ready;
      await sleep(warmup * 1000);
      rows.push(...(await measureReads(app, 'while ingesting', measure, loadBefore)));
    } finally {
      load.stop();
      await app.stop();
    }
  }
  return rows;
}

async function everyProbeReported(app: AppProcess, probes: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const reported = (await app.metric('app_probes{status="ok"}')) + (await app.metric('app_probes{status="late"}'));
    if (reported >= probes) return;
    await sleep(500);
  }
}

/** One GET, timed to its last byte; the body's chunks are kept as they came (joined only to read the shape). */
function get(agent: Agent, url: string): Promise<{ ms: number; status: number; bytes: number; chunks: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    request(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0, bytes, chunks }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** Nodes and edges of an answer, when it is a view. */
function shapeOf(body: Buffer): { nodes: number; edges: number } {
  const text = body.toString();
  if (!text.startsWith('{"topology"') || !text.includes('"nodes":[')) return { nodes: 0, edges: 0 };
  const view = JSON.parse(text) as { nodes?: unknown[]; edges?: unknown[] };
  return { nodes: view.nodes?.length ?? 0, edges: view.edges?.length ?? 0 };
}

async function measureReads(app: AppProcess, phase: string, seconds: number, loadBefore: number): Promise<ApiRow[]> {
  const found = (await (await fetch(`${app.url}/api/topology/containers?clusterThreshold=0&search=svc-7:`)).json()) as { nodes: Array<{ id: string }> };
  const queries = QUERIES(found.nodes[0]?.id ?? 'container:none');
  const latencies = queries.map(() => [] as number[]);
  const shapes = queries.map(() => ({ nodes: 0, edges: 0, bytes: 0 }));
  const gcCount = 'nodejs_gc_duration_seconds_count{kind="major"}';
  const gcSum = 'nodejs_gc_duration_seconds_sum{kind="major"}';
  // A scrape resets the app's event-loop delay histogram (prom-client's default metrics), so the next is this phase's.
  const gcBefore = { count: await app.metric(gcCount), sum: await app.metric(gcSum) };
  const restartsBefore = await app.metric('app_read_restarts_total');
  const before = { stat: app.stat(), at: Date.now() };
  const end = Date.now() + seconds * 1000;
  const last: Array<Buffer[] | undefined> = queries.map(() => undefined);
  const notOk = queries.map(() => 0);
  // One connection, kept alive, as the fetch before it; this phase's own.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  while (Date.now() < end) {
    // The answers of one round are kept (the last round's give the shapes); parsing them waits until the end.
    for (let q = 0; q < queries.length; q++) {
      const answer = await get(agent, `${app.url}${queries[q][1]}`);
      latencies[q].push(answer.ms);
      last[q] = answer.status === 200 ? answer.chunks : undefined;
      if (answer.status !== 200) notOk[q]++;
      shapes[q].bytes = answer.bytes;
    }
  }
  agent.destroy();
  for (let q = 0; q < queries.length; q++) if (last[q]) Object.assign(shapes[q], shapeOf(Buffer.concat(last[q] as Buffer[])));
  const after = { stat: app.stat(), at: Date.now() };
  const loopMaxMs = round((await app.metric('nodejs_eventloop_lag_max_seconds')) * 1000, 1);
  const majorGcs = (await app.metric(gcCount)) - gcBefore.count;
  const readRestarts = (await app.metric('app_read_restarts_total')) - restartsBefore;
  const majorGcMs = round(((await app.metric(gcSum)) - gcBefore.sum) * 1000, 1);
  const cores = round((after.stat.cpuSeconds - before.stat.cpuSeconds) / ((after.at - before.at) / 1000), 2);
  const loadAfter = load1();
  const mean = async (name: string, topology: string) => {
    if (!topology) return undefined;
    const sum = await app.metric(`${name}_sum{topology="${topology}"}`);
    const count = await app.metric(`${name}_count{topology="${topology}"}`);
    return count > 0 ? round((sum / count) * 1000, 1) : undefined;
  };
  const rows: ApiRow[] = [];
  for (let q = 0; q < queries.length; q++) {
    const [name, path, topology] = queries[q];
    const [first, ...rest] = latencies[q];
    const sorted = rest.sort((a, b) => a - b);
    rows.push({
      scenario: 'topology API at 10k containers',
      phase,
      query: `${name}: ${path.replace(/container%3A[0-9a-f]+/, 'container%3A…')}`,
      ...shapes[q],
      requests: sorted.length,
      notOk: notOk[q],
      firstMs: round(first, 1),
      p50Ms: round(percentile(sorted, 50), 1),
      p99Ms: round(percentile(sorted, 99), 1),
      maxMs: round(sorted[sorted.length - 1], 1),
      appRenderMs: await mean('app_render_seconds', topology),
      appViewMs: await mean('app_view_seconds', topology),
      appCores: cores,
      rssMb: after.stat.rssMb,
      loopMaxMs,
      readRestarts,
      majorGcs,
      majorGcMs,
      load: [loadBefore, loadAfter],
    });
  }
  return rows;
}
