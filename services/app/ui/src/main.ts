/**
 * The monitor's entry point, bundled by build-ui.ts into app.js. `window.__monitor` is a read-only window onto the
 * page for the Chromium tests and the benchmark: where a node is drawn and how long the first render and each diff
 * took. It changes nothing.
 */
import { takeAccessToken } from './api-client';
import { MonitorPage } from './monitor-page';

// Before the page reads its state from the URL, so the token never becomes part of it.
takeAccessToken();
const page = new MonitorPage();

const inspect = {
  get state() {
    return page.state;
  },
  get socketStatus() {
    return page.socketStatus;
  },
  get firstRender() {
    return page.firstRender;
  },
  get diffTimings() {
    return page.diffTimings;
  },
  nodeCount: () => page.model.nodes.size,
  edgeCount: () => page.model.edges.size,
  hasNode: (id: string) => page.model.nodes.has(id),
  nodeIds: () => [...page.model.nodes.keys()],
  /** CSS pixels relative to the page's viewport, or undefined when not drawn. */
  screenPosition(id: string) {
    const p = page.graph?.graph.screenPosition(id);
    if (!p) return undefined;
    const box = document.getElementById('graph')!.getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  },
  worldPosition: (id: string) => page.graph?.graph.worldPosition(id),
  tableRenderedRows: () => page.table.renderedRows(),
  coveredPixels: () => page.graph?.graph.coveredPixels() ?? 0,
};

(window as unknown as { __monitor: typeof inspect }).__monitor = inspect;
page.start();
