/**
 * Live views: a WebSocket per topology and query sends a snapshot, then diffs of what was added, updated and removed,
 * at most once a second; applying them to the snapshot gives the current view, whatever happens in between.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { containerId } from '../../../services/lib/report/node-ids';
import type { TopologyMessage, TopologyView } from '../../../services/app/src/api-shapes';
import { MetricHistory } from '../../../services/app/src/metric-history';
import { compactReport } from '../../../services/app/src/report-compaction';
import { ReportWindow } from '../../../services/app/src/report-window';
import { TopologyService } from '../../../services/app/src/topology-service';
import { StreamSocket, TopologyStreams } from '../../../services/app/src/topology-streams';
import { applyTopologyDiff } from '../../../services/app/src/view-diff';
import { parseProbeReport, ProbeReportInput } from '../../../services/lib/report/report-schema';
import { AppHarness, getJson, postReport, startApp } from './support/app-harness';
import { IDS, reportA, reportB, T0 } from './support/fixed-reports';

/** A view as a client compares it: nodes and edges by id; when it was made aside (a newer time alone is not sent). */
function canonical(view: TopologyView): unknown {
  const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => (a.id < b.id ? -1 : 1));
  return JSON.parse(JSON.stringify({ ...view, generatedAt: undefined, nodes: byId(view.nodes), edges: byId(view.edges) }));
}

function withCpu(report: ProbeReportInput, container: string, cpu: number): ProbeReportInput {
  const node = report.topologies.container[container];
  node.metrics = { ...node.metrics, cpu_usage_percent: { samples: [[report.timestamp, cpu]] } };
  return report;
}

function withContainer(report: ProbeReportInput, hex: string, name: string, cpu: number): ProbeReportInput {
  const host = Object.keys(report.topologies.host)[0];
  report.topologies.container[containerId(hex.repeat(64 / hex.length))] = {
    timestamp: report.timestamp,
    labels: { name, image: 'redis:7', state: 'running' },
    parents: { host: [host] },
    metrics: { cpu_usage_percent: { samples: [[report.timestamp, cpu]] } },
  };
  return report;
}

describe('a WebSocket on a topology', () => {
  let h: AppHarness;
  beforeAll(async () => {
    // Real time here: the once-a-second limit is measured on the client's clock.
    h = await startApp({ clock: Date.now, tickMs: 50 });
  });
  afterAll(async () => h.close());

  test('sends the snapshot, then diffs at most once a second that take the client to the current view', async () => {
    const start = Date.now();
    await postReport(h.url, reportA(start));
    await postReport(h.url, reportB(start));
    const query = 'filter=cpu_usage_percent<10&clusterThreshold=0';
    const socket = new WebSocket(`${h.url.replace('http', 'ws')}/api/topology/containers/ws?${query}`);
    const messages: Array<{ at: number; message: TopologyMessage }> = [];
    socket.on('message', (data) => messages.push({ at: Date.now(), message: JSON.parse(String(data)) }));
    await new Promise((resolve) => socket.once('open', resolve));
    for (let i = 1; i <= 25; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const at = Date.now();
      // web's CPU changes every time (updated); a container appears (added); api leaves the filter (removed).
      const a = withCpu(reportA(at), IDS.web, 1 + (i % 8));
      await postReport(h.url, i >= 10 ? withContainer(a, 'd', 'cache', 1) : a);
      await postReport(h.url, i >= 15 ? withCpu(reportB(at), IDS.api, 20) : reportB(at));
    }
    await new Promise((r) => setTimeout(r, 1200));
    socket.close();

    const [first, ...rest] = messages;
    expect(first.message).toMatchObject({ type: 'snapshot', seq: 1 });
    expect(rest.length).toBeGreaterThanOrEqual(2);
    let view = (first.message as Extract<TopologyMessage, { type: 'snapshot' }>).view;
    let previousAt = first.at;
    const seen = { added: new Set<string>(), updated: new Set<string>(), removed: new Set<string>() };
    rest.forEach(({ at, message }, i) => {
      expect(message).toMatchObject({ type: 'diff', seq: i + 2 });
      // The app's clock says >= 1000 ms; the client's may see two sends a few ms closer.
      expect(at - previousAt).toBeGreaterThanOrEqual(950);
      previousAt = at;
      if (message.type !== 'diff') return;
      message.nodes.added.forEach((n) => seen.added.add(n.id));
      message.nodes.updated.forEach((n) => seen.updated.add(n.id));
      message.nodes.removed.forEach((id) => seen.removed.add(id));
      view = applyTopologyDiff(view, message);
    });
    expect(seen.added).toContain(containerId('d'.repeat(64)));
    expect(seen.updated).toContain(IDS.web);
    expect(seen.removed).toContain(IDS.api);
    const current = await getJson<TopologyView>(h.url, `/api/topology/containers?${query}`);
    expect(canonical(view)).toEqual(canonical(current.body));
  });

  test('an unknown topology or a bad query is refused with HTTP 404 or 400 before the upgrade', async () => {
    const refused = (path: string) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`${h.url.replace('http', 'ws')}${path}`);
        socket.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
        socket.on('open', () => resolve('open'));
      });
    expect(await refused('/api/topology/planets/ws')).toBe('404');
    expect(await refused('/api/topology/containers/ws?groupBy=planet')).toBe('400');
  });

  test('counts its clients in /metrics', async () => {
    const socket = new WebSocket(`${h.url.replace('http', 'ws')}/api/topology/hosts/ws`);
    await new Promise((resolve) => socket.once('message', resolve));
    expect(await (await fetch(`${h.url}/metrics`)).text()).toMatch(/^app_websocket_clients 1$/m);
    socket.close();
  });
});

/** A socket that keeps what it was sent, with a send buffer the test sets. */
class RecordingSocket implements StreamSocket {
  readyState = 1;
  bufferedAmount = 0;
  readonly messages: Array<{ at: number; message: TopologyMessage }> = [];
  /** A message's fragments so far: ws sends one message of them, its last with `fin` (the default). */
  private fragments: Buffer[] = [];
  constructor(private readonly clock: () => number) {}
  send(data: string | Buffer, options?: { binary?: boolean; fin?: boolean }): void {
    // A snapshot is the view's cached bytes, which must still go out as a text frame.
    if (Buffer.isBuffer(data)) expect(options?.binary).toBe(false);
    this.fragments.push(Buffer.from(data));
    if (options?.fin === false) return;
    this.messages.push({ at: this.clock(), message: JSON.parse(Buffer.concat(this.fragments).toString()) });
    this.fragments = [];
  }
}

describe('the diffs a socket is sent', () => {
  const queries = [{ clusterThreshold: '0' }, { filter: 'cpu_usage_percent<6', clusterThreshold: '0' }, { groupBy: 'host', clusterThreshold: '1' }, { search: 'redis' }];
  const step = fc.record({
    host: fc.constantFrom('a', 'b'),
    cpu: fc.integer({ min: 0, max: 12 }),
    extra: fc.boolean(),
    wait: fc.integer({ min: 0, max: 1500 }),
  });

  test('applied to the snapshot, always give the view the service has now, and come at most once a second', () => {
    fc.assert(
      fc.property(fc.constantFrom(...queries), fc.array(step, { minLength: 1, maxLength: 25 }), (query, steps) => {
        let now = T0;
        const window = new ReportWindow({ windowMs: 15_000, clock: () => now });
        const service = new TopologyService({ window, history: new MetricHistory({ retentionMs: 60_000 }), minGenerationMs: 0 });
        const streams = new TopologyStreams(service);
        const socket = new RecordingSocket(() => now);
        const ingest = (input: ProbeReportInput) => {
          const report = parseProbeReport(input);
          window.add(compactReport(report, window.previous(report.probe.id)));
        };
        ingest(reportA(now));
        ingest(reportB(now));
        const cached = service.view('containers', query);
        streams.subscribe(socket, cached);
        for (const s of steps) {
          now += s.wait;
          const base = s.host === 'a' ? withCpu(reportA(now), IDS.web, s.cpu) : withCpu(reportB(now), IDS.api, s.cpu);
          ingest(s.extra ? withContainer(base, s.host === 'a' ? 'e' : 'f', `redis-${s.host}`, s.cpu) : base);
          service.tick();
          streams.flush();
        }
        // A second later everything the service has is due, so the client must then hold exactly the current view.
        now += 1000;
        service.tick();
        streams.flush();
        let view: TopologyView | undefined;
        let last = -Infinity;
        for (const { at, message } of socket.messages) {
          expect(at - last).toBeGreaterThanOrEqual(1000);
          last = at;
          view = message.type === 'snapshot' ? message.view : applyTopologyDiff(view!, message);
        }
        expect(canonical(view!)).toEqual(canonical(service.view('containers', query).view));
      }),
      { numRuns: 60 },
    );
  });

  test('a socket that does not drain is skipped, then sent a fresh snapshot once it has', () => {
    let now = T0;
    const window = new ReportWindow({ windowMs: 15_000, clock: () => now });
    const service = new TopologyService({ window, history: new MetricHistory({ retentionMs: 60_000 }), minGenerationMs: 0 });
    const streams = new TopologyStreams(service, { maxBufferedBytes: 1000 });
    const socket = new RecordingSocket(() => now);
    window.add(compactReport(parseProbeReport(reportA(now)), undefined));
    streams.subscribe(socket, service.view('hosts', {}));
    socket.bufferedAmount = 5000;
    now += 2000;
    window.add(compactReport(parseProbeReport(reportB(now)), window.previous('node-b')));
    service.tick();
    streams.flush();
    expect(socket.messages.map((m) => m.message.type)).toEqual(['snapshot']);
    socket.bufferedAmount = 0;
    now += 1000;
    streams.flush();
    expect(socket.messages.map((m) => [m.message.type, m.message.seq])).toEqual([
      ['snapshot', 1],
      ['snapshot', 2],
    ]);
  });
});
