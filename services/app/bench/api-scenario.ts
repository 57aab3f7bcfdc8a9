/**
 * The topology API at 10,000 containers: the app ingesting the full fleet (1,000 probes every 15 s) while a client
 * asks, one request after another, for the views below; latency is the client's, from request to the last byte.
 * Views are rebuilt per generation by the app's ticker for the queries asked recently, so most requests find
 * theirs ready; the first of a generation that the ticker has not reached yet builds it.
 */
import { BENCH_FLEET, FleetShape } from './report-generator';
import { BENCH_TOKEN, load1, percentile, sleep, startAppProcess, startLoad } from './app-process';
import { round } from './ingest-scenario';

export interface ApiRow {
  scenario: string;
  query: string;
  nodes: number;
  edges: number;
  bytes: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  appCores: number;
  rssMb: number;
  load: [number, number];
}

export async function runApiBench(options: { shape?: Partial<FleetShape>; warmupSeconds?: number; measureSeconds?: number } = {}): Promise<ApiRow[]> {
  const shape = { ...BENCH_FLEET, ...options.shape };
  const warmup = options.warmupSeconds ?? 25;
  const measure = options.measureSeconds ?? 40;
  const loadBefore = load1();
  const app = await startAppProcess();
  const load = startLoad({ url: app.url, token: BENCH_TOKEN, shape, durationSeconds: warmup + measure + 5 });
  try {
    await load.ready;
    await sleep(warmup * 1000);
    const someContainer = ((await (await fetch(`${app.url}/api/topology/containers?clusterThreshold=0&search=svc-7:`)).json()) as { nodes: Array<{ id: string }> }).nodes[0]?.id ?? 'container:none';
    const queries: Array<[string, string]> = [
      ['containers, every node (clusterThreshold=0)', '/api/topology/containers?clusterThreshold=0'],
      ['containers, default (clustered by host)', '/api/topology/containers'],
      ['containers, filter + search', '/api/topology/containers?clusterThreshold=0&filter=image~svc-1&search=mesos'],
      ['containers by image', '/api/topology/containers-by-image'],
      ['hosts', '/api/topology/hosts'],
      ['processes (100k, clustered by host)', '/api/topology/processes'],
      ['node details (container)', `/api/topology/containers/${encodeURIComponent(someContainer)}`],
      ['topology list', '/api/topology'],
    ];
    const latencies = queries.map(() => [] as number[]);
    const shapes = queries.map(() => ({ nodes: 0, edges: 0, bytes: 0 }));
    const before = { stat: app.stat(), at: Date.now() };
    const end = Date.now() + measure * 1000;
    while (Date.now() < end) {
      for (let q = 0; q < queries.length; q++) {
        const t = performance.now();
        const res = await fetch(`${app.url}${queries[q][1]}`);
        const text = await res.text();
        latencies[q].push(performance.now() - t);
        if (res.ok && text.startsWith('{"topology"') && text.includes('"nodes":[')) {
          const body = JSON.parse(text) as { nodes?: unknown[]; edges?: unknown[] };
          shapes[q] = { nodes: body.nodes?.length ?? 0, edges: body.edges?.length ?? 0, bytes: text.length };
        } else shapes[q].bytes = text.length;
      }
    }
    const after = { stat: app.stat(), at: Date.now() };
    const cores = round((after.stat.cpuSeconds - before.stat.cpuSeconds) / ((after.at - before.at) / 1000), 2);
    const loadAfter = load1();
    return queries.map(([name, path], q) => {
      const sorted = [...latencies[q]].sort((a, b) => a - b);
      return {
        scenario: 'topology API at 10k containers',
        query: `${name}: ${path.replace(/container%3A[0-9a-f]+/, 'container%3A…')}`,
        ...shapes[q],
        requests: sorted.length,
        p50Ms: round(percentile(sorted, 50), 1),
        p99Ms: round(percentile(sorted, 99), 1),
        maxMs: round(sorted[sorted.length - 1], 1),
        appCores: cores,
        rssMb: after.stat.rssMb,
        load: [loadBefore, loadAfter] as [number, number],
      };
    });
  } finally {
    load.stop();
    await app.stop();
  }
}
