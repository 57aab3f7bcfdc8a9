/**
 * The side panel for one node: what it is, its metrics as sparklines, its labels, what it belongs to and holds, and
 * who it talks to. A cluster gets a summary and an Expand button instead (the API has no details for a cluster).
 */
import type { ConnectionSummary, NodeDetails, ViewNode } from '../../src/api-shapes';
import { h } from './dom';
import { formatMetric, metricTitle } from './metric-format';
import { kindStyle } from './node-kinds';
import { drawSparkline } from './sparkline';

export interface DetailsActions {
  close(): void;
  select(id: string): void;
  expand(clusterId: string): void;
  /** Whether a node id is in the view now, so links to it can be offered. */
  inView(id: string): boolean;
}

const SPARK = { width: 132, height: 34 };

export class DetailsPanel {
  constructor(
    private readonly root: HTMLElement,
    private readonly actions: DetailsActions,
  ) {}

  /** The node whose details are on show, if any. */
  get shownNode(): string | undefined {
    return this.root.hidden ? undefined : this.root.dataset.node;
  }

  hide(): void {
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  loading(node: ViewNode): void {
    this.render(node, [h('p', { class: 'muted' }, 'Loading details…')]);
  }

  failed(node: ViewNode, message: string): void {
    this.render(node, [this.latest(node), h('p', { class: 'error-text' }, `Details unavailable: ${message}`)]);
  }

  cluster(node: ViewNode): void {
    const c = node.cluster!;
    this.render(node, [
      h('p', {}, `${c.size.toLocaleString('en-US')} nodes with ${c.dimension} = `, h('code', {}, c.value), '.'),
      h('button', { class: 'primary', 'data-action': 'expand' }, `Expand ${c.value}`),
      // The app sums its members' latest metrics onto the cluster: the group's total CPU and memory at a glance.
      ...(Object.keys(node.metrics).length ? [this.latest(node, 'Members’ total')] : []),
    ]);
    this.root.querySelector<HTMLButtonElement>('[data-action=expand]')!.onclick = () => this.actions.expand(node.id);
  }

  details(d: NodeDetails): void {
    const sections: HTMLElement[] = [this.metrics(d), this.labels(d.node)];
    const belongs = this.nodeList('Belongs to', d.parents);
    const holds = this.nodeList('Holds', d.children);
    const inbound = this.connections('Inbound', d.connections.inbound);
    const outbound = this.connections('Outbound', d.connections.outbound);
    for (const s of [belongs, holds, inbound, outbound]) if (s) sections.push(s);
    this.render(d.node, sections);
  }

  private render(node: ViewNode, body: HTMLElement[]): void {
    const style = kindStyle(node.kind);
    const close = h('button', { class: 'icon', title: 'Close (Esc)', 'aria-label': 'Close details' }, '×');
    close.onclick = () => this.actions.close();
    this.root.replaceChildren(
      h(
        'header',
        { class: 'details-head' },
        h('div', { class: 'kind-badge', style: `--kind:${style.color}` }, style.title),
        close,
        h('h2', { class: 'details-title', title: node.label }, node.label),
        node.sublabel ? h('div', { class: 'details-sub' }, node.sublabel) : null,
        h('div', { class: 'details-id', title: node.id }, node.id),
      ),
      ...body,
    );
    this.root.dataset.node = node.id;
    this.root.hidden = false;
  }

  private latest(node: ViewNode, title = 'Latest'): HTMLElement {
    const rows = Object.entries(node.metrics).map(([k, v]) => h('tr', {}, h('th', {}, metricTitle(k)), h('td', {}, formatMetric(k, v))));
    return h('section', {}, h('h3', {}, title), h('table', { class: 'kv' }, ...rows));
  }

  private metrics(d: NodeDetails): HTMLElement {
    const names = [...new Set([...Object.keys(d.series), ...Object.keys(d.node.metrics)])].sort();
    if (names.length === 0) return h('section', {}, h('h3', {}, 'Metrics'), h('p', { class: 'muted' }, 'No metrics reported.'));
    const color = kindStyle(d.node.kind).color;
    const cards = names.map((name) => {
      const series = d.series[name] ?? [];
      const latest = d.node.metrics[name] ?? series[series.length - 1]?.[1];
      const canvas = h('canvas', { class: 'spark', 'data-metric': name });
      drawSparkline(canvas, series, { ...SPARK, color });
      return h('div', { class: 'metric-card' }, h('div', { class: 'metric-name' }, metricTitle(name)), h('div', { class: 'metric-value' }, latest === undefined ? '–' : formatMetric(name, latest)), canvas);
    });
    return h('section', {}, h('h3', {}, 'Metrics'), h('div', { class: 'metric-grid' }, ...cards));
  }

  private labels(node: ViewNode): HTMLElement {
    const rows = Object.entries(node.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', { title: v }, v)));
    return h('section', {}, h('h3', {}, 'Labels'), rows.length ? h('table', { class: 'kv' }, ...rows) : h('p', { class: 'muted' }, 'None.'));
  }

  private link(id: string, text: string): HTMLElement {
    if (!this.actions.inView(id)) return h('span', { title: id }, text);
    const a = h('a', { href: '#', title: id }, text);
    a.onclick = (e) => {
      e.preventDefault();
      this.actions.select(id);
    };
    return a;
  }

  private nodeList(title: string, nodes: NodeDetails['parents']): HTMLElement | undefined {
    if (nodes.length === 0) return undefined;
    const items = nodes.map((n) => h('li', {}, h('span', { class: 'dot', style: `--kind:${kindStyle(n.kind).color}` }), this.link(n.id, n.label)));
    return h('section', {}, h('h3', {}, title), h('ul', { class: 'node-list' }, ...items));
  }

  private connections(title: string, list: ConnectionSummary[]): HTMLElement | undefined {
    if (list.length === 0) return undefined;
    const sorted = [...list].sort((a, b) => b.count - a.count);
    const rows = sorted.slice(0, 50).map((c) => h('tr', {}, h('td', {}, this.link(c.node, c.label)), h('td', { class: 'num' }, c.port === undefined ? '' : `:${c.port}`), h('td', { class: 'num' }, `${c.count}×`)));
    const more = sorted.length > 50 ? h('p', { class: 'muted' }, `and ${sorted.length - 50} more`) : null;
    return h('section', {}, h('h3', {}, `${title} (${list.length})`), h('table', { class: 'conn' }, ...rows), more);
  }
}
