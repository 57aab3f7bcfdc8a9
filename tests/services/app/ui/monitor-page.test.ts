/**
 * The monitor's page in headless Chromium against a real HTTP + WebSocket server speaking the app's public API
 * (support/fixture-app.ts): one browser for the file, a fresh page per scenario.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildUi } from '../../../../services/app/ui/build-ui';
import { discRadius } from '../../../../services/app/ui/src/group-layout';
import { Chromium, launchChromium } from './support/chromium';
import { FixtureApp, startFixtureApp } from './support/fixture-app';
import { containerNode, containersTopology, FixtureTopology, hostsTopology } from './support/fixture-views';

jest.setTimeout(120_000);

const HOSTS = 200;
const containers = containersTopology(2000);
const emptyPods: FixtureTopology = { descriptor: { name: 'pods', title: 'Pods', description: 'Pods by namespace', nodeCount: 0, groupBy: ['namespace'], defaultGroupBy: 'namespace' }, nodes: [], edges: [] };

let uiDir: string;
let app: FixtureApp;
let browser: Chromium;
let page: Page;

beforeAll(async () => {
  uiDir = mkdtempSync(join(tmpdir(), 'monitor-ui-'));
  await buildUi(uiDir);
  app = await startFixtureApp(uiDir, [containers, hostsTopology(50), emptyPods]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (uiDir) rmSync(uiDir, { recursive: true, force: true });
});

beforeEach(async () => {
  app.setUnavailable(false);
  page = await browser.page();
});

afterEach(async () => {
  await page.close();
  expect(browser.errors).toEqual([]);
  browser.errors.length = 0;
});

async function open(query: string): Promise<void> {
  await page.goto(`${app.url}/${query}`);
  await page.waitForFunction(() => (window as any).__monitor?.firstRender !== undefined);
}

const monitor = <T>(fn: string, ...args: unknown[]): Promise<T> => page.evaluate(([f, a]) => (window as any).__monitor[f as string](...(a as unknown[])), [fn, args] as const);

it('renders a topology: nodes on the WebGL canvas, labels, legend and counts', async () => {
  await open('?topology=hosts');
  expect(await monitor<number>('nodeCount')).toBe(50);
  expect(await monitor<number>('coveredPixels')).toBeGreaterThan(500);
  expect(await page.textContent('#legend')).toContain('Host50');
  expect(await page.textContent('#summary')).toContain('50 of 50 nodes match');
  expect(await page.getAttribute('#status', 'data-status')).toBe('live');
  expect(await page.getAttribute('[data-topology=hosts]', 'aria-selected')).toBe('true');
});

it('clusters a large topology by its default dimension and expands a cluster on click', async () => {
  await open('?topology=containers');
  expect(await monitor<number>('nodeCount')).toBe(HOSTS);
  expect(await page.textContent('#summary')).toContain('clustered by host above 500');
  expect(await page.textContent('#legend')).toContain('Cluster');
  const cluster = 'cluster:host:node-0003';
  const centre = await monitor<{ x: number; y: number }>('worldPosition', cluster);
  const at = await monitor<{ x: number; y: number }>('screenPosition', cluster);
  await page.mouse.click(at.x, at.y);
  const member = containers.nodes.find((n) => n.group.host === 'node-0003')!.id;
  await page.waitForFunction((id) => (window as any).__monitor.hasNode(id), member);
  expect(new URL(page.url()).searchParams.getAll('expand')).toEqual([cluster]);
  expect(await monitor<boolean>('hasNode', cluster)).toBe(false);
  expect(await monitor<number>('nodeCount')).toBe(HOSTS - 1 + 10);
  // The members take the cluster's place: its disc, sized for ten.
  for (const n of containers.nodes.filter((c) => c.group.host === 'node-0003')) {
    const p = await monitor<{ x: number; y: number }>('worldPosition', n.id);
    expect(Math.hypot(p.x - centre.x, p.y - centre.y)).toBeLessThanOrEqual(discRadius(10));
  }
  expect(await page.textContent('[data-chip=expand]')).toContain('node-0003');
});

it('finds a node by search and opens its details with its metrics drawn', async () => {
  await open('?topology=containers');
  const target = containerNode(42, HOSTS);
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
      return { points: Number(c.dataset.points), inked };
    }),
  );
  expect(charts.length).toBe(Object.keys(target.metrics).length);
  for (const c of charts) {
    expect(c.points).toBeGreaterThan(1);
    expect(c.inked).toBeGreaterThan(50);
  }
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
  expect(await monitor<number>('nodeCount')).toBe(2000);
  expect(await monitor<number>('tableRenderedRows')).toBeLessThan(80);
  await page.$eval('.table-scroll', (el) => (el.scrollTop = el.scrollHeight));
  await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLElement>('#table .tr')).some((r) => r.style.top === `${1999 * 28}px`));
  expect(await monitor<number>('tableRenderedRows')).toBeLessThan(80);
  const row = page.locator('#table .tr').last();
  const id = await row.getAttribute('data-id');
  await row.click();
  await page.waitForSelector(`#details[data-node="${id}"]`);
  expect(new URL(page.url()).searchParams.get('node')).toBe(id);
});

it('applies a live update pushed over the WebSocket without moving any node already drawn', async () => {
  await open('?topology=containers&clusterThreshold=0');
  await app.waitForSubscribers('containers', 1);
  const before = await page.evaluate(() => {
    const m = (window as any).__monitor;
    return Object.fromEntries((m.nodeIds() as string[]).map((id) => [id, [m.worldPosition(id), m.screenPosition(id)]]));
  });
  const updated = containers.nodes.slice(0, 20).map((n) => ({ ...n, metrics: { ...n.metrics, cpu_usage_percent: 99.5 } }));
  const added = [containerNode(2000, HOSTS), containerNode(2001, HOSTS)];
  const removed = containers.nodes[100].id;
  app.push('containers', {
    generatedAt: Date.now(),
    totalNodes: 2001,
    matchedNodes: 2001,
    nodes: { added, updated, removed: [removed] },
    edges: { added: [{ id: `${added[0].id}|${containers.nodes[0].id}`, source: added[0].id, target: containers.nodes[0].id, weight: 3 }], updated: [], removed: [] },
  });
  await page.waitForFunction((id) => (window as any).__monitor.hasNode(id), added[1].id);
  await page.waitForFunction(() => (window as any).__monitor.diffTimings.some((t: any) => t.presented !== undefined));
  const after = await page.evaluate((ids) => {
    const m = (window as any).__monitor;
    return Object.fromEntries(ids.map((id: string) => [id, [m.worldPosition(id), m.screenPosition(id)]]));
  }, Object.keys(before));
  let unchanged = 0;
  for (const [id, pos] of Object.entries(before)) {
    if (id === removed) continue;
    expect(after[id]).toEqual(pos);
    unchanged++;
  }
  expect(unchanged).toBe(1999);
  expect(await monitor<boolean>('hasNode', removed)).toBe(false);
  // A new node lands by its host's other containers.
  for (const n of added) {
    const p = await monitor<{ x: number; y: number }>('worldPosition', n.id);
    const peers = Object.entries(before).filter(([id]) => containers.nodes.find((c) => c.id === id)?.group.host === n.group.host).map(([, v]) => (v as any)[0]);
    const cx = peers.reduce((s, q) => s + q.x, 0) / peers.length;
    const cy = peers.reduce((s, q) => s + q.y, 0) / peers.length;
    expect(Math.hypot(p.x - cx, p.y - cy)).toBeLessThanOrEqual(discRadius(peers.length + 1));
  }
  expect(await page.textContent('#summary')).toContain('2,001 of 2,001 nodes match');
});

it('restores a view from its URL: query, grouping, expanded cluster, selected node and mode', async () => {
  const node = containerNode(10, HOSTS);
  const query = `?topology=containers&filter=pod_namespace%3Dpayments&groupBy=image&expand=${encodeURIComponent('cluster:image:nginx:1.27')}&node=${encodeURIComponent(node.id)}`;
  for (const load of ['navigate', 'reload']) {
    if (load === 'navigate') await open(query);
    else {
      await page.reload();
      await page.waitForFunction(() => (window as any).__monitor?.firstRender !== undefined);
    }
    await page.waitForSelector(`#details[data-node="${node.id}"] .metric-card`);
    expect(await page.textContent('[data-chip=filter]')).toContain('pod_namespace=payments');
    expect(await page.textContent('[data-chip=expand]')).toContain('nginx:1.27');
    expect(await page.inputValue('#group-by')).toBe('image');
    expect(await monitor<boolean>('hasNode', node.id)).toBe(true);
    expect(await monitor<boolean>('hasNode', 'cluster:image:postgres:16')).toBe(true);
    const last = app.socketQueries[app.socketQueries.length - 1];
    expect(last).toEqual({ topology: 'containers', query: { filter: ['pod_namespace=payments'], groupBy: 'image', expand: ['cluster:image:nginx:1.27'] } });
  }
  await open(`${query}&mode=table`);
  await page.waitForSelector(`#table .tr.selected[data-id="${node.id}"]`);
});

it('takes an access token from the URL once, sends it with every call, and keeps it out of the address bar', async () => {
  const guarded = await startFixtureApp(uiDir, [hostsTopology(5)], { apiToken: 's3cret' });
  try {
    await page.goto(`${guarded.url}/?topology=hosts&access_token=s3cret`);
    await page.waitForFunction(() => (window as any).__monitor?.firstRender !== undefined);
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
  app.setUnavailable(true);
  await page.goto(`${app.url}/?topology=hosts`);
  await page.waitForSelector('[data-state=unreachable]');
  expect(await page.getAttribute('#status', 'data-status')).toBe('offline');
  app.setUnavailable(false);
  await page.waitForFunction(() => (window as any).__monitor.firstRender !== undefined, null, { timeout: 20_000 });
  await page.waitForSelector('#status[data-status=live]', { timeout: 20_000 });
  await page.waitForSelector('[data-topology=hosts]');
  expect(await page.isHidden('#state')).toBe(true);

  app.setUnavailable(true);
  app.dropSockets();
  await page.waitForSelector('#status[data-status=reconnecting]');
  expect(await page.textContent('#banner')).toContain('reconnecting');
  expect(await page.getAttribute('#graph', 'class')).toContain('stale');
  app.setUnavailable(false);
  await page.waitForSelector('#status[data-status=live]', { timeout: 20_000 });
  expect(await page.isHidden('#banner')).toBe(true);
  // The browser logs each refused request and socket; those were the point here.
  expect(browser.errors.every((e) => e.includes('503') || e.includes('WebSocket connection'))).toBe(true);
  browser.errors.length = 0;

  await page.goto(`${app.url}/?topology=pods`);
  await page.waitForSelector('[data-state=empty]');
  await page.goto(`${app.url}/?topology=hosts&search=no-such-node`);
  await page.waitForSelector('[data-state=no-match]');
});
