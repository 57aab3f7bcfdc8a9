/**
 * The page: keeps the ViewState (and so the URL) and the model, opens the topology's WebSocket for the current
 * query, and hands each snapshot and diff to the graph, the table, the legend and the details panel. It also says,
 * loudly, when the app cannot be reached or the live stream is down.
 */
import type { NodeDetails, TopologyDescriptor, TopologyDiff, TopologySnapshot, ViewNode } from '../../src/api-shapes';
import * as api from './api-client';
import { DetailsPanel } from './details-panel';
import { byId, h } from './dom';
import { GraphView } from './graph-view';
import { renderLegend } from './legend';
import { LiveSocket, SocketStatus } from './live-socket';
import { kindStyle } from './node-kinds';
import { TableView } from './table-view';
import { Toolbar } from './toolbar';
import { TopologyModel } from './topology-model';
import { ViewMode, ViewState, layoutKey, readViewState, topologyQuery, writeViewState } from './view-state';

/** When the first snapshot's graph was drawn: what the benchmark reads (performance.now() ms). */
export interface FirstRender {
  snapshotReceived: number;
  graphDrawn: number;
  graphPresented?: number;
  nodes: number;
  edges: number;
}

/** One diff's cost: received (before parsing) → applied to model and buffers → drawn → on screen. */
export interface DiffTiming {
  seq: number;
  changedNodes: number;
  received: number;
  applied: number;
  /** Whether it changed anything drawn (and so cost a frame). */
  redrawn: boolean;
  drawn?: number;
  presented?: number;
}

const LIST_REFRESH_MS = 15_000;
const TABLE_REFRESH_MS = 500;
const DETAILS_REFRESH_MS = 5_000;

export class MonitorPage {
  state: ViewState = readViewState(location.search);
  topologies: TopologyDescriptor[] = [];
  readonly model = new TopologyModel();
  readonly graph?: GraphView;
  readonly table: TableView;
  firstRender?: FirstRender;
  readonly diffTimings: DiffTiming[] = [];
  /** What the status pill says: the socket's state, or 'offline' while the app does not answer its topology list. */
  socketStatus: SocketStatus | 'offline' = 'connecting';
  private socketState: { status: SocketStatus; attempt: number } = { status: 'connecting', attempt: 0 };
  private readonly details: DetailsPanel;
  private readonly toolbar: Toolbar;
  private readonly graphPane = byId('graph');
  private readonly tablePane = byId('table');
  private readonly stateBox = byId('state');
  private readonly banner = byId('banner');
  private readonly statusPill = byId('status');
  private readonly tooltip = byId('tooltip');
  private socket?: LiveSocket;
  private socketKey = '';
  private layoutKey = '';
  private snapshotAt?: number;
  private awaitingDraw: DiffTiming[] = [];
  private detailsAbort?: AbortController;
  private detailsFetchedAt = 0;
  private tableTimer?: ReturnType<typeof setTimeout>;
  private listAttempt = 0;
  private listLoaded = false;
  /** A snapshot that came before the topology list: its layout needs the topology's default grouping. */
  private pendingSnapshot?: { message: TopologySnapshot; receivedAt: number };

  constructor() {
    this.details = new DetailsPanel(byId('details'), {
      close: () => this.select(undefined),
      select: (id) => this.select(id, true),
      expand: (id) => this.expand(id),
      inView: (id) => this.model.nodes.has(id),
    });
    this.table = new TableView(this.tablePane, (id) => this.select(id, false));
    this.toolbar = new Toolbar({
      topology: (name) => this.change({ topology: name, search: '', filters: [], groupBy: undefined, expand: [], node: undefined }, true),
      search: (search) => this.change({ search }),
      pick: (id) => this.select(id, true),
      filters: (filters) => this.change({ filters }),
      collapse: (id) => this.change({ expand: this.state.expand.filter((e) => e !== id) }),
      groupBy: (groupBy) => this.change({ groupBy, expand: [] }),
      mode: (mode) => this.setMode(mode),
      matches: (text, limit) => this.matches(text, limit),
    });
    // A link that names its topology need not wait for anything: the socket opens first, so the app builds the
    // snapshot while this thread compiles the WebGL program and fetches the topology list.
    if (this.state.topology) this.connect();
    try {
      this.graph = new GraphView(this.graphPane, {
        click: (id) => this.graphClick(id),
        hover: (id, x, y) => this.hover(id, x, y),
        drawn: () => this.drawn(),
      });
    } catch (err) {
      this.graphPane.append(h('div', { class: 'state' }, h('div', { class: 'state-card error' }, h('h2', {}, 'The graph cannot be drawn here'), h('p', {}, (err as Error).message), h('p', {}, 'The table view shows the same nodes.'))));
    }
    byId('zoom-in').onclick = () => this.graph?.graph.zoomBy(1.5);
    byId('zoom-out').onclick = () => this.graph?.graph.zoomBy(1 / 1.5);
    byId('zoom-fit').onclick = () => this.graph?.graph.fit();
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && document.activeElement?.tagName !== 'INPUT') this.select(undefined);
    });
    window.addEventListener('popstate', () => this.restore(readViewState(location.search)));
  }

  start(): void {
    this.applyMode();
    this.showState('loading');
    void this.loadTopologies();
    setInterval(() => void this.refreshList(), LIST_REFRESH_MS);
  }

  // ── topology list and socket ────────────────────────────────────────

  private async loadTopologies(): Promise<void> {
    try {
      this.topologies = (await api.topologies()).topologies;
      this.listAttempt = 0;
      this.listLoaded = true;
      this.renderStatus();
    } catch (err) {
      this.flushPendingSnapshot();
      this.listAttempt++;
      const delay = Math.min(10_000, 1000 * 2 ** (this.listAttempt - 1));
      this.renderStatus();
      if (err instanceof api.ApiError && err.status === 401) this.showState('unauthorized');
      else this.showState('unreachable', `${(err as Error).message}. Retrying in ${Math.round(delay / 1000)} s…`);
      setTimeout(() => void this.loadTopologies(), delay);
      return;
    }
    if (this.topologies.length === 0) {
      this.showState('no-topologies');
      setTimeout(() => void this.loadTopologies(), 5000);
      return;
    }
    if (!this.state.topology || !this.topologies.some((t) => t.name === this.state.topology)) {
      const preferred = this.topologies.find((t) => t.nodeCount > 0) ?? this.topologies[0];
      this.state = { ...this.state, topology: preferred.name };
      history.replaceState(null, '', writeViewState(this.state) || location.pathname);
    }
    this.connect();
    this.flushPendingSnapshot();
    this.toolbar.render(this.state, this.topologies);
  }

  private flushPendingSnapshot(): void {
    const pending = this.pendingSnapshot;
    this.pendingSnapshot = undefined;
    if (pending && pending.message.view.topology === this.state.topology) this.onSnapshot(pending.message, pending.receivedAt);
  }

  private async refreshList(): Promise<void> {
    if (this.topologies.length === 0) return;
    try {
      this.topologies = (await api.topologies()).topologies;
      this.toolbar.render(this.state, this.topologies);
    } catch {
      // The socket's status already tells the operator; the tab counts just stay as they were.
    }
  }

  private descriptor(): TopologyDescriptor | undefined {
    return this.topologies.find((t) => t.name === this.state.topology);
  }

  private connect(): void {
    const name = this.state.topology;
    if (!name) return;
    const query = topologyQuery(this.state);
    const key = JSON.stringify([name, query]);
    if (key === this.socketKey && this.socket) return;
    this.socket?.close();
    this.socketKey = key;
    this.socket = new LiveSocket(api.socketUrl(name, query), {
      snapshot: (m, at) => this.onSnapshot(m, at),
      diff: (m, at) => this.onDiff(m, at),
      status: (s, d) => this.onSocketStatus(s, d),
    });
  }

  private onSnapshot(message: TopologySnapshot, receivedAt: number): void {
    if (!this.listLoaded && this.listAttempt === 0) {
      this.pendingSnapshot = { message, receivedAt };
      return;
    }
    const view = message.view;
    const changes = this.model.replace(view);
    const descriptor = this.descriptor();
    const dimension = view.clustered?.dimension ?? this.state.groupBy ?? descriptor?.defaultGroupBy;
    const key = layoutKey(view.topology, topologyQuery(this.state));
    if (this.graph) {
      if (key !== this.layoutKey || dimension !== this.graph.dimension) this.graph.reset(this.model, dimension);
      else this.graph.update(this.model, changes);
    }
    this.layoutKey = key;
    if (!this.firstRender) this.snapshotAt = receivedAt;
    this.viewChanged(true);
    if (this.state.node) this.restoreSelection(this.state.node);
  }

  private onDiff(diff: TopologyDiff, receivedAt: number): void {
    const changes = this.model.apply(diff);
    const visible = this.graph?.update(this.model, changes) ?? false;
    const applied = performance.now();
    const timing: DiffTiming = { seq: diff.seq, changedNodes: changes.added.length + changes.updated.length + changes.removed.length, received: receivedAt, applied, redrawn: visible };
    this.diffTimings.push(timing);
    if (this.diffTimings.length > 100) this.diffTimings.shift();
    // Nothing drawn changed: the diff is on screen (in the table, the legend, the details) once applied.
    if (visible) this.awaitingDraw.push(timing);
    else timing.drawn = timing.presented = applied;
    const selected = this.state.node;
    if (selected && changes.removed.includes(selected)) this.details.failed(this.model.nodes.get(selected) ?? placeholderNode(selected), 'the node left the view');
    else if (selected && changes.updated.some((n) => n.id === selected) && Date.now() - this.detailsFetchedAt > DETAILS_REFRESH_MS) void this.loadDetails(selected);
    this.viewChanged(false);
  }

  private onSocketStatus(status: SocketStatus, detail: { attempt: number; retryInMs?: number }): void {
    this.socketState = { status, attempt: detail.attempt };
    this.renderStatus();
    if (status === 'reconnecting' && detail.retryInMs !== undefined) {
      const at = this.model.generatedAt ? new Date(this.model.generatedAt).toLocaleTimeString() : 'never';
      this.banner.className = 'banner';
      this.banner.textContent = `Live updates lost — reconnecting in ${Math.max(1, Math.round(detail.retryInMs / 1000))} s (attempt ${detail.attempt}). Showing the view as of ${at}.`;
      this.banner.hidden = false;
      this.graphPane.classList.add('stale');
      if (this.model.nodes.size === 0) this.showState('unreachable', 'The live stream is closed. Reconnecting…');
    } else if (status === 'live') {
      this.banner.hidden = true;
      this.graphPane.classList.remove('stale');
    }
  }

  private renderStatus(): void {
    // While the app does not even answer for its topology list, "unreachable" says more than "reconnecting".
    const status = this.listAttempt > 0 ? 'offline' : this.socketState.status;
    const attempt = this.socketState.attempt;
    this.socketStatus = status;
    this.statusPill.dataset.status = status;
    this.statusPill.textContent = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : status === 'offline' ? 'App unreachable' : `Reconnecting…${attempt ? ` (${attempt})` : ''}`;
  }

  // ── after every change ──────────────────────────────────────────────

  private viewChanged(snapshot: boolean): void {
    renderLegend(byId('legend'), this.model);
    this.renderSummary();
    this.toolbar.refreshMatches();
    if (this.model.nodes.size === 0) this.showState(this.state.search || this.state.filters.length ? 'no-match' : 'empty');
    else this.showState(undefined);
    if (this.state.mode === 'table') this.refreshTable(snapshot);
  }

  private refreshTable(now: boolean): void {
    if (now) {
      clearTimeout(this.tableTimer);
      this.tableTimer = undefined;
      this.table.setModel(this.model, this.descriptor()?.groupBy ?? []);
      this.table.select(this.state.node, false);
      return;
    }
    // Diffs come once a second; re-sorting 10,000 rows for each is fine, for each of several bursts it is not.
    this.tableTimer ??= setTimeout(() => {
      this.tableTimer = undefined;
      this.table.setModel(this.model, this.descriptor()?.groupBy ?? []);
      this.table.select(this.state.node, false);
    }, TABLE_REFRESH_MS);
  }

  /** Called after every frame the graph draws: closes the timings waiting for it. */
  private drawn(): void {
    const now = performance.now();
    if (!this.firstRender && this.snapshotAt !== undefined && this.model.nodes.size > 0) {
      const first: FirstRender = { snapshotReceived: this.snapshotAt, graphDrawn: now, nodes: this.model.nodes.size, edges: this.model.edges.size };
      this.firstRender = first;
      performance.mark('monitor:graph-drawn');
      // The next frame's callback runs once the drawn frame went to the compositor: the graph is on screen.
      requestAnimationFrame(() => {
        first.graphPresented = performance.now();
        performance.mark('monitor:graph-presented');
      });
    }
    if (this.awaitingDraw.length) {
      const done = this.awaitingDraw;
      this.awaitingDraw = [];
      for (const t of done) t.drawn = now;
      requestAnimationFrame(() => {
        const at = performance.now();
        for (const t of done) t.presented = at;
      });
    }
  }

  private renderSummary(): void {
    const m = this.model;
    const parts: (HTMLElement | string)[] = [h('span', {}, h('b', {}, m.nodes.size.toLocaleString('en-US')), ' shown')];
    parts.push(h('span', {}, `${m.matchedNodes.toLocaleString('en-US')} of ${m.totalNodes.toLocaleString('en-US')} nodes match`));
    if (m.clustered) parts.push(h('span', {}, `clustered by ${m.clustered.dimension} above ${m.clustered.threshold.toLocaleString('en-US')}`));
    parts.push(h('span', {}, `${m.edges.size.toLocaleString('en-US')} edges`));
    if (m.generatedAt) parts.push(h('span', {}, `data of ${new Date(m.generatedAt).toLocaleTimeString()}`));
    byId('summary').replaceChildren(...parts);
  }

  private showState(kind: 'loading' | 'unreachable' | 'unauthorized' | 'no-topologies' | 'empty' | 'no-match' | undefined, detail = ''): void {
    if (!kind) {
      this.stateBox.hidden = true;
      return;
    }
    const title = this.descriptor()?.title ?? this.state.topology ?? '';
    let card: HTMLElement;
    if (kind === 'loading') card = h('div', { class: 'state-card' }, h('div', { class: 'spinner' }), h('p', {}, 'Loading the topology…'));
    else if (kind === 'unreachable') card = h('div', { class: 'state-card error' }, h('h2', {}, 'The monitoring app is unreachable'), h('p', {}, detail), h('p', {}, 'The page reconnects by itself.'));
    else if (kind === 'unauthorized') card = h('div', { class: 'state-card error' }, h('h2', {}, 'This app asks for an access token'), h('p', {}, 'Open the page once with ', h('code', {}, '?access_token=<token>'), ' added to its address; the token is kept for this tab and left out of links.'));
    else if (kind === 'no-topologies') card = h('div', { class: 'state-card' }, h('h2', {}, 'No topologies yet'), h('p', {}, 'The app has no topology to show. Is any probe reporting?'));
    else if (kind === 'empty') {
      const probes = h('p', { 'data-probes': '' }, 'Asking the app which probes report…');
      card = h('div', { class: 'state-card' }, h('h2', {}, `No nodes in ${title}`), h('p', {}, 'Nothing has been reported for this topology in the current window. Probes report every 15 s; new nodes appear here as they do.'), probes);
      void this.describeProbes(probes);
    }
    else {
      const clear = h('button', { class: 'primary' }, 'Clear search and filters');
      clear.onclick = () => this.change({ search: '', filters: [] });
      card = h('div', { class: 'state-card' }, h('h2', {}, 'No nodes match'), h('p', {}, `None of the ${this.model.totalNodes.toLocaleString('en-US')} nodes of ${title} match the search and filters.`), clear);
    }
    card.dataset.state = kind;
    this.stateBox.replaceChildren(card);
    this.stateBox.hidden = false;
  }

  /** Says how many probes report: none reporting and some reporting other topologies are different problems. */
  private async describeProbes(into: HTMLElement): Promise<void> {
    try {
      const list = (await api.probes()).probes;
      const ok = list.filter((p) => p.status === 'ok').length;
      const late = list.filter((p) => p.status === 'late').length;
      into.textContent = list.length === 0 ? 'No probe has reported to this app yet.' : `${ok} of ${list.length} probes report on time${late ? `, ${late} late` : ''}.`;
    } catch (err) {
      into.textContent = `The probe list is unavailable: ${(err as Error).message}`;
    }
  }

  // ── what the operator does ──────────────────────────────────────────

  /** Changes the state and the URL; a change of query reopens the socket (the app streams per query). */
  private change(patch: Partial<ViewState>, push = false): void {
    this.state = { ...this.state, ...patch };
    const url = writeViewState(this.state) || location.pathname;
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    this.toolbar.render(this.state, this.topologies);
    if (patch.topology !== undefined) {
      this.select(undefined);
      this.model.replace({ topology: patch.topology, generatedAt: 0, totalNodes: 0, matchedNodes: 0, nodes: [], edges: [] });
      this.graph?.reset(this.model, undefined);
      this.layoutKey = '';
      this.showState('loading');
    }
    this.connect();
  }

  private restore(state: ViewState): void {
    const topologyChanged = state.topology !== this.state.topology;
    this.state = state;
    this.toolbar.render(this.state, this.topologies);
    this.applyMode();
    if (topologyChanged) this.layoutKey = '';
    this.connect();
    if (state.node) this.restoreSelection(state.node);
    else this.select(undefined);
  }

  private setMode(mode: ViewMode): void {
    this.change({ mode });
    this.applyMode();
  }

  private applyMode(): void {
    const table = this.state.mode === 'table' || !this.graph;
    this.graphPane.hidden = table;
    this.tablePane.hidden = !table;
    if (table) this.refreshTable(true);
    else this.graph?.graph.schedule();
  }

  private graphClick(id: string | undefined): void {
    const node = id ? this.model.nodes.get(id) : undefined;
    if (node?.cluster) this.expand(node.id);
    else this.select(id);
  }

  private expand(clusterId: string): void {
    if (!this.state.expand.includes(clusterId)) this.change({ expand: [...this.state.expand, clusterId], node: undefined });
    this.details.hide();
    this.graph?.graph.select(undefined, []);
  }

  /** Selects a node (undefined clears); `focus` also brings it to the centre of the graph. */
  select(id: string | undefined, focus = false): void {
    if (id !== this.state.node) this.change({ node: id });
    this.graph?.graph.select(id, id ? this.model.neighbours(id) : []);
    this.table.select(id, focus);
    if (!id) {
      this.detailsAbort?.abort();
      this.details.hide();
      return;
    }
    if (focus) this.graph?.graph.focus(id);
    const node = this.model.nodes.get(id);
    if (node?.cluster) this.details.cluster(node);
    else {
      this.details.loading(node ?? placeholderNode(id));
      void this.loadDetails(id);
    }
  }

  /** From a URL: the node may be drawn (select and focus it) or hidden in a cluster (the details still load). */
  private restoreSelection(id: string): void {
    if (this.details.shownNode === id) {
      this.graph?.graph.select(id, this.model.neighbours(id));
      return;
    }
    this.select(id, true);
  }

  private async loadDetails(id: string): Promise<void> {
    this.detailsAbort?.abort();
    const abort = new AbortController();
    this.detailsAbort = abort;
    this.detailsFetchedAt = Date.now();
    let d: NodeDetails;
    try {
      d = await api.nodeDetails(this.state.topology!, id, abort.signal);
    } catch (err) {
      if (abort.signal.aborted || this.state.node !== id) return;
      this.details.failed(this.model.nodes.get(id) ?? placeholderNode(id), (err as Error).message);
      return;
    }
    if (this.state.node === id) this.details.details(d);
  }

  private hover(id: string | undefined, x: number, y: number): void {
    const node = id ? this.model.nodes.get(id) : undefined;
    if (!node) {
      this.tooltip.hidden = true;
      return;
    }
    const hint = node.cluster ? `${node.cluster.size.toLocaleString('en-US')} nodes · click to expand` : 'click for details';
    this.tooltip.replaceChildren(h('div', { class: 't-label' }, node.label), h('div', { class: 't-sub' }, `${kindStyle(node.kind).title}${node.sublabel ? ` · ${node.sublabel}` : ''}`), h('div', { class: 't-hint' }, hint));
    this.tooltip.style.left = `${Math.min(x + 14, this.graphPane.clientWidth - 330)}px`;
    this.tooltip.style.top = `${y + 14}px`;
    this.tooltip.hidden = false;
  }

  /** Nodes of the view whose label (first) or id contains the text. */
  private matches(text: string, limit: number): ViewNode[] {
    const t = text.toLowerCase();
    const byLabel: ViewNode[] = [];
    const byOther: ViewNode[] = [];
    for (const n of this.model.nodes.values()) {
      if (n.label.toLowerCase().includes(t)) byLabel.push(n);
      else if (byOther.length < limit && n.id.toLowerCase().includes(t)) byOther.push(n);
      if (byLabel.length >= limit) break;
    }
    return [...byLabel, ...byOther].slice(0, limit);
  }
}

function placeholderNode(id: string): ViewNode {
  return { id, label: id.split(':').slice(1).join(':') || id, kind: id.split(':')[0], labels: {}, metrics: {}, group: {} };
}
