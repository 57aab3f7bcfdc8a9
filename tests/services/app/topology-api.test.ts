/**
 * The read API over real HTTP, fed by real report posts: the topology list, views with filters, search, grouping,
 * clustering and expansion, node details with series and connections, probes, OpenAPI, and the read token.
 */
import type { NodeDetails, ProbeList, TopologyList, TopologyView } from '../../../services/app/src/api-shapes';
import { AppHarness, getJson, postReport, startApp } from './support/app-harness';
import { IDS, reportA, reportB, T0 } from './support/fixed-reports';

let h: AppHarness;
beforeAll(async () => {
  h = await startApp();
  for (const report of [reportA(), reportB()]) expect((await postReport(h.url, report)).status).toBe(202);
});
afterAll(async () => h.close());

const view = async (path: string, harness = h) => (await getJson<TopologyView>(harness.url, path)).body;
const ids = (v: TopologyView) => v.nodes.map((n) => n.id).sort();

describe('GET /api/topology', () => {
  test('lists every topology with its node count and grouping dimensions', async () => {
    const { body } = await getJson<TopologyList>(h.url, '/api/topology');
    expect(body.topologies.map((t) => t.name)).toEqual(['hosts', 'containers', 'containers-by-image', 'pods', 'marathon-apps', 'mesos-frameworks', 'processes', 'processes-by-name']);
    expect(body.topologies.find((t) => t.name === 'containers')).toMatchObject({ nodeCount: 5, defaultGroupBy: 'host', groupBy: expect.arrayContaining(['host', 'image', 'namespace', 'marathon_app']) });
  });
});

describe('GET /api/topology/{name}', () => {
  test('answers the whole topology when nothing filters and nothing needs clustering', async () => {
    const v = await view('/api/topology/containers');
    expect(v).toMatchObject({ topology: 'containers', totalNodes: 5, matchedNodes: 5, generatedAt: T0 + 1000 });
    expect(v.clustered).toBeUndefined();
    expect(v.edges.map((e) => e.id)).toContain(`${IDS.web}|${IDS.api}`);
  });

  test('filters by label (=, !=, ~) and by latest metric value (>, <)', async () => {
    expect(ids(await view('/api/topology/containers?filter=image=nginx:1.27'))).toEqual([IDS.web]);
    expect(ids(await view('/api/topology/containers?filter=host=node-b&filter=runtime!=docker'))).toEqual([IDS.db]);
    expect(ids(await view('/api/topology/containers?filter=image~REGISTRY'))).toEqual([IDS.api]);
    expect(ids(await view('/api/topology/containers?filter=cpu_usage_percent>4.5'))).toEqual([IDS.api, IDS.db].sort());
    expect(ids(await view('/api/topology/containers?filter=cpu_usage_percent<5'))).toEqual([IDS.web]);
  });

  test('search matches ids, labels and label values, ignoring case; edges only between what matched', async () => {
    const v = await view('/api/topology/processes?search=JAVA');
    expect(ids(v)).toEqual([IDS.java]);
    expect(v.matchedNodes).toBe(1);
    expect(v.totalNodes).toBe(5);
    expect(v.edges).toEqual([]);
    expect(ids(await view('/api/topology/processes?search=daemon%20off'))).toEqual([IDS.nginx]);
  });

  test('above the threshold nodes are clustered by groupBy, edges between clusters summed; an expanded cluster shows its members', async () => {
    const v = await view('/api/topology/containers?groupBy=host&clusterThreshold=2');
    expect(v.clustered).toEqual({ dimension: 'host', threshold: 2 });
    const nodeB = v.nodes.find((n) => n.id === 'cluster:host:node-b')!;
    expect(nodeB).toMatchObject({ kind: 'cluster', label: 'node-b', cluster: { dimension: 'host', value: 'node-b', size: 2 }, metrics: { cpu_usage_percent: 13 } });
    // node-a's cluster holds web and the host's uncontained end; the internet has no host and stays itself.
    expect(ids(v)).toEqual(['cluster:host:node-a', 'cluster:host:node-b', 'pseudo:internet']);
    expect(v.edges.map((e) => `${e.source} -> ${e.target}: ${e.weight}`).sort()).toEqual([
      'cluster:host:node-a -> cluster:host:node-b: 3',
      'cluster:host:node-a -> pseudo:internet: 1',
      'pseudo:internet -> cluster:host:node-a: 1',
    ]);
    const expanded = await view(`/api/topology/containers?groupBy=host&clusterThreshold=2&expand=${encodeURIComponent('cluster:host:node-b')}`);
    expect(ids(expanded)).toEqual([IDS.api, IDS.db, 'cluster:host:node-a', 'pseudo:internet'].sort());
    // api → db stays inside node-b when clustered, and is an edge once expanded.
    expect(expanded.edges.map((e) => e.id)).toContain(`${IDS.api}|${IDS.db}`);
  });

  test('clusters by the topology\'s default dimension when the query names none, and never at threshold 0', async () => {
    expect((await view('/api/topology/pods?clusterThreshold=1')).clustered).toEqual({ dimension: 'namespace', threshold: 1 });
    expect((await view('/api/topology/containers?clusterThreshold=0')).clustered).toBeUndefined();
  });

  test('a view read recently is rebuilt with its JSON by the next generation, so the read after it serialises nothing', async () => {
    const own = await startApp();
    try {
      expect((await postReport(own.url, reportA())).status).toBe(202);
      const before = await view('/api/topology/hosts', own);
      expect((await postReport(own.url, reportB())).status).toBe(202);
      expect(own.app.service.tick()).toBe(true);
      const built = own.app.service.view('hosts', {});
      expect(built.generation).toBe(own.app.service.generationNumber);
      const json = built.json as Buffer;
      expect(json).toBeInstanceOf(Buffer);
      const after = await getJson<TopologyView>(own.url, '/api/topology/hosts');
      expect(built.json).toBe(json);
      expect(after.body).toEqual(JSON.parse(json.toString()));
      expect(after.body.totalNodes).toBe(before.totalNodes + 1);
    } finally {
      await own.close();
    }
  });

  test('a bad query is a 400 naming the parameter; an unknown topology a 404', async () => {
    expect((await getJson(h.url, '/api/topology/containers?filter=cpu>lots')).body.message).toBe('filter[0] must compare the metric with a number (got "lots")');
    expect((await getJson(h.url, '/api/topology/containers?filter=nonsense')).body.message).toMatch(/^filter\[0\] must be key=value/);
    expect((await getJson(h.url, '/api/topology/containers?groupBy=planet')).body.message).toMatch(/^groupBy must be one of the dimensions of containers: host, image/);
    expect(await getJson(h.url, '/api/topology/containers?clusterThreshold=-1')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/clusterThreshold must match pattern/) } });
    expect(await getJson(h.url, '/api/topology/planets')).toMatchObject({ status: 404, body: { message: expect.stringMatching(/^no topology "planets"; the topologies are hosts, containers/) } });
  });
});

describe('GET /api/topology/{name}/{id}', () => {
  test('a container: its view, its series kept beyond the window, parents, children and connections by port', async () => {
    const { status, body } = await getJson<NodeDetails>(h.url, `/api/topology/containers/${encodeURIComponent(IDS.web)}`);
    expect(status).toBe(200);
    expect(body.node.id).toBe(IDS.web);
    expect(body.series.cpu_usage_percent).toEqual([
      [T0 - 5000, 2],
      [T0, 4],
    ]);
    expect(body.parents).toEqual([{ id: IDS.hostA, label: 'node-a', kind: 'host' }, { id: 'marathon-app:/shop/web', label: '/shop/web', kind: 'marathon-app' }]);
    expect(body.children).toEqual([{ id: IDS.nginx, label: 'nginx', kind: 'process' }]);
    expect(body.connections.outbound).toEqual([
      { node: IDS.api, label: 'api', port: 8080, count: 3 },
      { node: 'pseudo:internet', label: 'The Internet', port: 443, count: 1 },
    ]);
    expect(body.connections.inbound).toEqual([]);
  });

  test('an aggregate sums its members\' series; ids with slashes are URL-encoded', async () => {
    const { body } = await getJson<NodeDetails>(h.url, `/api/topology/marathon-apps/${encodeURIComponent('marathon-app:/shop/web')}`);
    expect(body.series.cpu_usage_percent.map(([, v]) => v)).toEqual([2, 4]);
    expect(body.connections.outbound[0]).toEqual({ node: 'marathon-app:/shop/api', label: '/shop/api', port: 8080, count: 3 });
  });

  test('a cluster id gives the cluster\'s members and its connections with the rest', async () => {
    const { body } = await getJson<NodeDetails>(h.url, `/api/topology/containers/${encodeURIComponent('cluster:host:node-b')}`);
    expect(body.node.cluster).toEqual({ dimension: 'host', value: 'node-b', size: 2 });
    expect(body.children.map((c) => c.id).sort()).toEqual([IDS.api, IDS.db].sort());
    expect(body.connections.inbound).toEqual([{ node: IDS.web, label: 'web', port: 8080, count: 3 }]);
  });

  test('an unknown node is a 404', async () => {
    expect(await getJson(h.url, `/api/topology/containers/${encodeURIComponent('container:nope')}`)).toMatchObject({ status: 404, body: { message: 'containers has no node "container:nope" (now)' } });
  });
});

describe('GET /api/probes', () => {
  test('lists who reports, when last, with what version and its own counts', async () => {
    const { body } = await getJson<ProbeList>(h.url, '/api/probes');
    expect(body.probes).toEqual([
      { id: 'node-a', host: 'node-a', version: '0.1.0', lastSeen: T0, intervalSeconds: 15, droppedReports: 0, refusedReports: 0, collectionErrors: {}, status: 'ok' },
      expect.objectContaining({ id: 'node-b', status: 'ok' }),
    ]);
  });

  test('a probe that stops is late, then gone, and its nodes leave every topology', async () => {
    const own = await startApp();
    try {
      await postReport(own.url, reportA());
      await postReport(own.url, { ...reportB(T0 + 10_000), stats: { droppedReports: 4, collectionErrors: { docker: 'connect ENOENT /var/run/docker.sock' } } });
      own.clock.now = T0 + 18_000;
      expect((await getJson<ProbeList>(own.url, '/api/probes')).body.probes.map((p) => [p.id, p.status])).toEqual([
        ['node-a', 'late'],
        ['node-b', 'ok'],
      ]);
      own.clock.now = T0 + 20_001;
      const { body } = await getJson<ProbeList>(own.url, '/api/probes');
      expect(body.probes[0]).toMatchObject({ id: 'node-a', status: 'gone' });
      expect(body.probes[1]).toMatchObject({ id: 'node-b', status: 'ok', droppedReports: 4, collectionErrors: { docker: 'connect ENOENT /var/run/docker.sock' } });
      expect(ids(await view('/api/topology/hosts', own))).toEqual([IDS.hostB]);
    } finally {
      await own.close();
    }
  });
});


describe('the service routes', () => {
  test('/openapi.json lists the API routes; /healthz, /readyz and /metrics answer', async () => {
    const { body } = await getJson(h.url, '/openapi.json');
    expect(Object.keys(body.paths).sort()).toEqual(['/api/probes', '/api/report', '/api/topology', '/api/topology/{name}', '/api/topology/{name}/{id}']);
    expect(body.paths['/api/topology/{name}'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['search', 'filter', 'groupBy', 'clusterThreshold', 'expand']));
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    for (const name of ['app_merge_seconds', 'app_render_seconds', 'app_view_seconds', 'app_websocket_clients', 'app_window_nodes', 'app_probes']) expect(metrics).toContain(name);
  });

  test('/ says how to build the UI when it is not built', async () => {
    const res = await fetch(`${h.url}/`);
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/npm run build:ui/);
  });
});

describe('with a read token', () => {
  let secured: AppHarness;
  beforeAll(async () => {
    secured = await startApp({ apiToken: 'read-token-0123456789abcdef' });
  });
  afterAll(async () => secured.close());

  test('the API answers only with the token, as a header or ?access_token=; probes keep their own', async () => {
    expect((await fetch(`${secured.url}/api/topology`)).status).toBe(401);
    expect((await fetch(`${secured.url}/api/topology`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(`${secured.url}/api/topology`, { headers: { authorization: 'Bearer read-token-0123456789abcdef' } })).status).toBe(200);
    expect((await fetch(`${secured.url}/api/probes?access_token=read-token-0123456789abcdef`)).status).toBe(200);
    expect((await postReport(secured.url, reportA())).status).toBe(202);
    // The UI's page stays open (app-process.test.ts serves a built one); only the data behind it needs the token.
    expect((await fetch(`${secured.url}/`)).status).toBe(404);
  });
});
