/**
 * The monitor's page in headless Chromium against the real app (services/app), fed with real probe reports through
 * `POST /api/report`: one browser for the file, a fresh page per scenario. A fleet of 200 hosts × 10 containers
 * (2,000 containers, above the app's cluster threshold of 1,000, so the containers view is clustered by host).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { NodeDetails, TopologyView, ViewNode } from '../../../../services/app/src/api-shapes';
import { buildUi } from '../../../../services/app/ui/build-ui';
import { discRadius } from '../../../../services/app/ui/src/group-layout';
import { Chromium, launchChromium } from './support/chromium';
import { RealApp, reportsAt, smallFleet, startRealApp, waitForNodes } from './support/real-app';

jest.setTimeout(120_000);

const HOSTS = 200;
const PER_HOST = 10;
const fleet = smallFleet(HOSTS, PER_HOST);
const startedAt = Date.now() - 60_000;

let uiDir: string;
let app: RealApp;
let browser: Chromium;
let page: Page;
/** The containers topology unclustered, as the API gives it: what the scenarios pick their nodes from. */
let containers: ViewNode[];

beforeAll(async () => {
  uiDir = mkdtempSync(join(tmpdir(), 'monitor-ui-'));
  await buildUi(uiDir);
  app = await startRealApp({ uiDir });
  await app.reportAll(reportsAt(fleet, startedAt));
  await waitForNodes(app, 'containers', HOSTS * PER_HOST);
  containers = (await api<TopologyView>('/api/topology/containers?clusterThreshold=0')).nodes;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (uiDir) rmSync(uiDir, { recursive: true, force: true });
});

beforeEach(async () => {
  page = await browser.page();
});

afterEach(async () => {
  await page.close();
  expect(browser.errors).toEqual([]);
  browser.errors.length = 0;
});

async function api<T>(path: string, base = app.url): Promise<T> {
  const res = await fetch(`${base}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

async function open(query: string, base = app.url): Promise<void> {
  await page.goto(`${base}/${query}`);
  await page.waitForFunction(() => (window as any).__monitor?.firstRender !== undefined);
}

const monitor = <T>(fn: string, ...args: unknown[]): Promise<T> => page.evaluate(([f, a]) => (window as any).__monitor[f as string](...(a as unknown[])), [fn, args] as const);

const onHost = (host: string) => containers.filter((n) => n.group.host === host);

it('renders a topology: nodes on the WebGL canvas, labels, legend and counts', async () => {
  await open('?topology=hosts');
  expect(await monitor<number>('nodeCount')).toBe(HOSTS);
  expect(await monitor<number>('coveredPixels')).toBeGreaterThan(500);
  expect(await page.textContent('#legend')).toContain(`Host${HOSTS}`);
  expect(await page.textContent('#summary')).toContain(`${HOSTS} of ${HOSTS} nodes match`);
  expect(await page.getAttribute('#status', 'data-status')).toBe('live');
  expect(await page.getAttribute('[data-topology=hosts]', 'aria-selected')).toBe('true');
  expect(await page.textContent('[data-topology=containers] .count')).toBe((HOSTS * PER_HOST).toLocaleString('en-US'));
});

it('scrolls tabs that do not fit, shows that more lie beyond, and keeps the selected one in sight', async () => {
  await page.setViewportSize({ width: 900, height: 700 });
  await open('?topology=processes-by-name');
  const strip = () => page.$eval('#topologies', (el) => ({ classes: el.className, left: el.scrollLeft, fits: el.scrollWidth <= el.clientWidth }));
  const selected = await page.$eval('#topologies', (el) => {
    const tab = el.querySelector('[aria-selected="true"]')!.getBoundingClientRect();
    const box = el.getBoundingClientRect();
    return { inside: tab.left >= box.left - 1 && tab.right <= box.right + 1, name: (el.querySelector('[aria-selected="true"]') as HTMLElement).dataset.topology };
  });
  expect(selected).toEqual({ inside: true, name: 'processes-by-name' });
  expect((await strip()).fits).toBe(false);
  expect((await strip()).classes).toContain('scrolled-end'); // the last tab is selected: nothing lies beyond it

  await page.$eval('#topologies', (el) => (el.scrollLeft = 0));
  await page.waitForFunction(() => !document.querySelector('#topologies')!.classList.contains('scrolled-end'));
  expect((await strip()).classes).toContain('overflowing');
  const tabs = await page.$('#topologies');
  await tabs!.hover();
  await page.mouse.wheel(0, 400);
  await page.waitForFunction(() => document.querySelector('#topologies')!.scrollLeft > 0);

  await page.setViewportSize({ width: 2400, height: 900 });
  await page.waitForFunction(() => !document.querySelector('#topologies')!.classList.contains('overflowing'));
});

it('clusters a large topology by its default dimension and expands a cluster on click', async () => {
  await open('?topology=containers');
  expect(await monitor<number>('nodeCount')).toBe(HOSTS);
  expect(await page.textContent('#summary')).toContain('clustered by host above 1,000');
  expect(await page.textContent('#legend')).toContain('Cluster');
  const host = 'agent-0003';
  const cluster = `cluster:host:${host}`;
  const centre = await monitor<{ x: number; y: number }>('worldPosition', cluster);
  const at = await monitor<{ x: number; y: number }>('screenPosition', cluster);
  await page.mouse.click(at.x, at.y);
  const members = onHost(host);
  expect(members).toHaveLength(PER_HOST);
  await page.waitForFunction((id) => (window as any).__monitor.hasNode(id), members[0].id);
  expect(new URL(page.url()).searchParams.getAll('expand')).toEqual([cluster]);
  expect(await monitor<boolean>('hasNode', cluster)).toBe(false);
  expect(await monitor<number>('nodeCount')).toBe(HOSTS - 1 + PER_HOST);
  // The members take the cluster's place: its disc, sized for ten.
  for (const n of members) {
    const p = await monitor<{ x: number; y: number }>('worldPosition', n.id);
    expect(Math.hypot(p.x - centre.x, p.y - centre.y)).toBeLessThanOrEqual(discRadius(PER_HOST));
  }
  expect(await page.textContent('[data-chip=expand]')).toContain(host);
});

it('finds a node by search and opens its details with its metrics drawn', async () => {
  await open('?topology=containers');
  const target = containers[42];
  const details = await api<NodeDetails>(`/api/topology/containers/${encodeURIComponent(target.id)}`);
  await page.fill('#search', target.label);
  await page.waitForSelector(`#matches li[data-id="${target.id}"]`);
  await page.press('#search', 'Enter');
  await page.waitForSelector(`#details[data-node="${target.id}"] .metric-card`);
  expect(await page.textContent('#details .details-title')).toBe(target.label);
  const charts = await page.$$eval('#details canvas.spark', (cs) =>
    (cs as HTMLCanvasElement[]).map((c) => {
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
      return { metric: c.dataset.metric, points: Number(c.dataset.points), inked };
    }),
  );
  expect(charts.map((c) => c.metric).sort()).toEqual([...new Set([...Object.keys(details.series), ...Object.keys(details.node.metrics)])].sort());
  for (const c of charts) {
    expect(c.points).toBe(details.series[c.metric!]?.length ?? 0);
    if (c.points > 1) expect(c.inked).toBeGreaterThan(50);
  }
  expect(charts.some((c) => c.points > 1)).toBe(true);
  const url = new URL(page.url()).searchParams;
  expect(url.get('search')).toBe(target.label);
  expect(url.get('node')).toBe(target.id);
});

it('switches to a table that renders only the rows in sight of 2,000 and selects a node from it', async () => {
  await open('?topology=containers&clusterThreshold=0');
  await page.click('#mode [data-mode=table]');
  await page.waitForSelector('#table .tr');
  expect(new URL(page.url()).searchParams.get('mode')).toBe('table');
  expect(await page.isHidden('#graph')).toBe(true);
  expect(await monitor<number>('nodeCount')).toBe(HOSTS * PER_HOST);
  expect(await monitor<number>('tableRenderedRows')).toBeLessThan(80);
  await page.$eval('.table-scroll', (el) => (el.scrollTop = el.scrollHeight));
  await page.waitForFunction((top) => Array.from(document.querySelectorAll<HTMLElement>('#table .tr')).some((r) => r.style.top === `${top}px`), (HOSTS * PER_HOST - 1) * 28);
  expect(await monitor<number>('tableRenderedRows')).toBeLessThan(80);
  const row = page.locator('#table .tr').last();
  const id = await row.getAttribute('data-id');
  await row.click();
  await page.waitForSelector(`#details[data-node="${id}"]`);
  expect(new URL(page.url()).searchParams.get('node')).toBe(id);
});

it('applies a live update from a new probe report without moving any node already drawn', async () => {
  await open('?topology=containers&clusterThreshold=0');
  const before = await page.evaluate(() => {
    const m = (window as any).__monitor;
    return Object.fromEntries((m.nodeIds() as string[]).map((id) => [id, [m.worldPosition(id), m.screenPosition(id)]]));
  });
  // Host agent-0005 reports again, later, with an eleventh container and busier CPUs.
  const host = 5;
  const [next] = reportsAt(smallFleet(HOSTS, PER_HOST + 1), startedAt + 15_000).slice(host, host + 1);
  for (const node of Object.values(next.topologies.container)) node.metrics!.cpu_usage_percent = { samples: [[startedAt + 15_000, 97.5]] };
  await app.report(next);
  const added = Object.keys(next.topologies.container).find((id) => !(id in before))!;
  await page.waitForFunction((id) => (window as any).__monitor.hasNode(id), added, { timeout: 20_000 });
  await page.waitForFunction(() => (window as any).__monitor.diffTimings.some((t: any) => t.presented !== undefined));
  const after = await page.evaluate((ids) => {
    const m = (window as any).__monitor;
    return Object.fromEntries(ids.map((id: string) => [id, [m.worldPosition(id), m.screenPosition(id)]]));
  }, Object.keys(before));
  for (const [id, pos] of Object.entries(before)) expect(after[id]).toEqual(pos);
  expect(Object.keys(after)).toHaveLength(HOSTS * PER_HOST);
  // The new container lands by its host's other containers.
  const peers = onHost('agent-0005').map((n) => (before[n.id] as any)[0]);
  const p = await monitor<{ x: number; y: number }>('worldPosition', added);
  const cx = peers.reduce((s, q) => s + q.x, 0) / peers.length;
  const cy = peers.reduce((s, q) => s + q.y, 0) / peers.length;
  expect(Math.hypot(p.x - cx, p.y - cy)).toBeLessThanOrEqual(discRadius(PER_HOST + 1));
  // The page counts what the app counts (the new report may also name peers the app shows on their own).
  const list = await api<{ topologies: Array<{ name: string; nodeCount: number }> }>('/api/topology');
  const total = list.topologies.find((t) => t.name === 'containers')!.nodeCount.toLocaleString('en-US');
  expect(Object.keys(after)).toHaveLength(HOSTS * PER_HOST);
  await page.waitForFunction((t) => document.querySelector('#summary')!.textContent!.includes(`${t} of ${t} nodes match`), total);
});

it('restores a view from its URL: query, grouping, expanded cluster, selected node and mode', async () => {
  const node = containers.find((n) => n.labels.state === 'running' && n.group.image)!;
  const image = node.group.image;
  const other = containers.find((n) => n.group.image && n.group.image !== image)!.group.image;
  const query = `?topology=containers&filter=state%3Drunning&groupBy=image&expand=${encodeURIComponent(`cluster:image:${image}`)}&node=${encodeURIComponent(node.id)}`;
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  for (const load of ['navigate', 'reload']) {
    if (load === 'navigate') await open(query);
    else {
      await page.reload();
      await page.waitForFunction(() => (window as any).__monitor?.firstRender !== undefined);
    }
    await page.waitForSelector(`#details[data-node="${node.id}"] .metric-card`);
    expect(await page.textContent('[data-chip=filter]')).toContain('state=running');
    expect(await page.textContent('[data-chip=expand]')).toContain(image);
    expect(await page.inputValue('#group-by')).toBe('image');
    expect(await monitor<boolean>('hasNode', node.id)).toBe(true);
    expect(await monitor<boolean>('hasNode', `cluster:image:${other}`)).toBe(true);
    const asked = new URL(sockets[sockets.length - 1]).searchParams;
    expect([asked.getAll('filter'), asked.get('groupBy'), asked.getAll('expand')]).toEqual([['state=running'], 'image', [`cluster:image:${image}`]]);
  }
  await open(`${query}&mode=table`);
  await page.waitForSelector(`#table .tr.selected[data-id="${node.id}"]`);
});

it('takes an access token from the URL once, sends it with every call, and keeps it out of the address bar', async () => {
  const guarded = await startRealApp({ uiDir, apiToken: 'ui-tests-read-token-0123456789' });
  try {
    await guarded.reportAll(reportsAt(smallFleet(5, 2), startedAt));
    await waitForNodes(guarded, 'hosts', 5);
    await open('?topology=hosts&access_token=ui-tests-read-token-0123456789', guarded.url);
    expect(await monitor<number>('nodeCount')).toBe(5);
    expect(new URL(page.url()).searchParams.has('access_token')).toBe(false);
    await page.reload();
    await page.waitForFunction(() => (window as any).__monitor?.firstRender !== undefined);
    const other = await browser.page();
    await other.goto(`${guarded.url}/?topology=hosts`);
    await other.waitForSelector('[data-state=unauthorized]');
    expect(await other.textContent('[data-state=unauthorized]')).toContain('access_token');
    await other.close();
    expect(browser.errors.every((e) => e.includes('401') || e.includes('WebSocket connection'))).toBe(true);
    browser.errors.length = 0;
  } finally {
    await guarded.stop();
  }
});

it('says when the app is unreachable, when the stream is reconnecting, and when a view is empty', async () => {
  // The page served, the API behind it not (a proxy in front of an app that is down).
  let down = true;
  await page.route('**/api/**', (route) => (down ? route.fulfill({ status: 503, body: '{"error":"unavailable"}', contentType: 'application/json' }) : route.continue()));
  await page.routeWebSocket(/\/api\//, (ws) => (down ? ws.close() : ws.connectToServer()));
  await page.goto(`${app.url}/?topology=hosts`);
  await page.waitForSelector('[data-state=unreachable]');
  expect(await page.getAttribute('#status', 'data-status')).toBe('offline');
  down = false;
  await page.waitForFunction(() => (window as any).__monitor.firstRender !== undefined, null, { timeout: 20_000 });
  await page.waitForSelector('#status[data-status=live]', { timeout: 20_000 });
  await page.waitForSelector('[data-topology=hosts]');
  expect(await page.isHidden('#state')).toBe(true);

  // The app restarts: its sockets close, and it comes back on the same address with its probes reporting again.
  const port = Number(new URL(app.url).port);
  await app.stop();
  await page.waitForSelector('#status[data-status=reconnecting]');
  expect(await page.textContent('#banner')).toContain('reconnecting');
  expect(await page.getAttribute('#graph', 'class')).toContain('stale');
  app = await startRealApp({ uiDir, port });
  await app.reportAll(reportsAt(fleet, startedAt));
  await waitForNodes(app, 'hosts', HOSTS);
  await page.waitForSelector('#status[data-status=live]', { timeout: 30_000 });
  expect(await page.isHidden('#banner')).toBe(true);
  // The page may have reconnected while the reports were still arriving: its first snapshot then held some of the
  // hosts, and the next diffs bring the rest.
  await page.waitForFunction((n) => (window as any).__monitor.nodeCount() === n, HOSTS, { timeout: 20_000 });
  // The browser logs each refused request and socket; those were the point here.
  expect(browser.errors.every((e) => e.includes('503') || e.includes('WebSocket connection') || e.includes('ERR_CONNECTION_REFUSED'))).toBe(true);
  browser.errors.length = 0;

  const empty = await startRealApp({ uiDir });
  try {
    await page.goto(`${empty.url}/?topology=containers`);
    await page.waitForSelector('[data-state=empty]');
    await page.waitForFunction(() => document.querySelector('[data-probes]')?.textContent === 'No probe has reported to this app yet.');
  } finally {
    await empty.stop();
  }
  await page.goto(`${app.url}/?topology=hosts&search=no-such-node`);
  await page.waitForSelector('[data-state=no-match]');
});
