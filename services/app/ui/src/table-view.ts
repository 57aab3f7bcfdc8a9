/**
 * The view as a table that copes with 10,000 rows: only the rows in sight (plus a margin) exist in the DOM, laid on
 * a spacer as tall as all of them, and they are rewritten as the operator scrolls. Sorting is by any column;
 * clicking a row selects its node like a click in the graph.
 */
import type { ViewNode } from '../../src/api-shapes';
import { h } from './dom';
import { formatMetric } from './metric-format';
import { kindStyle } from './node-kinds';
import type { TopologyModel } from './topology-model';

const ROW_HEIGHT = 28;
const OVERSCAN = 8;

interface Column {
  key: string;
  title: string;
  width: string;
  value(node: ViewNode, model: TopologyModel): string | number;
  render?(node: ViewNode, model: TopologyModel): Node | string;
  numeric?: boolean;
}

function metricColumn(name: string, title: string): Column {
  return {
    key: `metric:${name}`,
    title,
    width: '110px',
    numeric: true,
    value: (n) => n.metrics[name] ?? -Infinity,
    render: (n) => (n.metrics[name] === undefined ? '' : formatMetric(name, n.metrics[name])),
  };
}

function columnsFor(dimensions: string[], metrics: string[]): Column[] {
  return [
    {
      key: 'label',
      title: 'Name',
      width: 'minmax(240px, 3fr)',
      value: (n) => n.label.toLowerCase(),
      // The second line of a graph label (a container's image, a process's host) has its own column here.
      render: (n) => h('span', { class: 'cell-name', title: n.sublabel ? `${n.label} · ${n.sublabel}` : n.label }, h('span', { class: 'dot', style: `--kind:${kindStyle(n.kind).color}` }), h('span', { class: 'cell-label' }, n.label)),
    },
    { key: 'kind', title: 'Kind', width: '120px', value: (n) => kindStyle(n.kind).title },
    ...dimensions.map<Column>((d) => ({ key: `group:${d}`, title: d.replace(/_/g, ' '), width: 'minmax(110px, 1fr)', value: (n) => n.group[d] ?? '' })),
    ...metrics.map((m) => metricColumn(m, m === 'cpu_usage_percent' ? 'CPU' : m.includes('memory') ? 'Memory' : m)),
    { key: 'degree', title: 'Edges', width: '70px', numeric: true, value: (n, model) => model.degree(n.id) },
  ];
}

/** The first memory metric and CPU, whichever the view's nodes carry. */
function pickMetrics(nodes: Iterable<ViewNode>): string[] {
  const seen = new Set<string>();
  let i = 0;
  for (const n of nodes) {
    for (const k of Object.keys(n.metrics)) seen.add(k);
    if (++i > 200) break;
  }
  const out: string[] = [];
  if (seen.has('cpu_usage_percent')) out.push('cpu_usage_percent');
  const memory = ['memory_working_set_bytes', 'memory_rss_bytes', 'memory_usage_bytes'].find((m) => seen.has(m));
  if (memory) out.push(memory);
  return out;
}

export class TableView {
  private readonly head: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly body: HTMLElement;
  private columns: Column[] = [];
  private rows: ViewNode[] = [];
  private sort = { key: 'label', descending: false };
  private selected?: string;
  private model?: TopologyModel;
  private frame = 0;

  constructor(
    root: HTMLElement,
    private readonly onSelect: (id: string) => void,
  ) {
    this.head = h('div', { class: 'table-head', role: 'row' });
    this.body = h('div', { class: 'table-rows' });
    this.spacer = h('div', { class: 'table-spacer' }, this.body);
    this.scroller = h('div', { class: 'table-scroll', tabindex: 0 }, this.spacer);
    root.replaceChildren(h('div', { class: 'table', role: 'table' }, this.head, this.scroller));
    this.scroller.addEventListener('scroll', () => this.schedule());
    this.body.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('[data-id]');
      if (row) this.onSelect(row.dataset.id!);
    });
  }

  /** Takes the model's nodes now; call again after a change (cheap for a few thousand rows, sorted once). */
  setModel(model: TopologyModel, dimensions: string[]): void {
    this.model = model;
    this.columns = columnsFor(dimensions, pickMetrics(model.nodes.values()));
    if (!this.columns.some((c) => c.key === this.sort.key)) this.sort = { key: 'label', descending: false };
    this.rows = [...model.nodes.values()];
    this.sortRows();
    this.renderHead();
    // Now, not at the next frame: a selection revealed before then scrolls within the full height.
    this.spacer.style.height = `${this.rows.length * ROW_HEIGHT}px`;
    this.schedule();
  }

  select(id: string | undefined, reveal = true): void {
    this.selected = id;
    if (id && reveal) {
      const i = this.rows.findIndex((n) => n.id === id);
      if (i >= 0) {
        const top = i * ROW_HEIGHT;
        if (top < this.scroller.scrollTop || top > this.scroller.scrollTop + this.scroller.clientHeight - ROW_HEIGHT) this.scroller.scrollTop = top - this.scroller.clientHeight / 3;
      }
    }
    this.schedule();
  }

  /** Rows in the DOM now: the test of virtualisation. */
  renderedRows(): number {
    return this.body.childElementCount;
  }

  private sortRows(): void {
    const col = this.columns.find((c) => c.key === this.sort.key)!;
    const model = this.model!;
    const keyed = this.rows.map((n) => ({ n, k: col.value(n, model) }));
    const dir = this.sort.descending ? -1 : 1;
    keyed.sort((a, b) => (a.k < b.k ? -dir : a.k > b.k ? dir : a.n.id < b.n.id ? -1 : 1));
    this.rows = keyed.map((r) => r.n);
  }

  private gridTemplate(): string {
    return this.columns.map((c) => c.width).join(' ');
  }

  private renderHead(): void {
    const cells = this.columns.map((c) => {
      const active = c.key === this.sort.key;
      const cell = h('button', { class: `th${c.numeric ? ' num' : ''}${active ? ' active' : ''}`, 'data-key': c.key, title: `Sort by ${c.title}` }, c.title, active ? (this.sort.descending ? ' ▾' : ' ▴') : '');
      cell.onclick = () => {
        this.sort = { key: c.key, descending: active ? !this.sort.descending : !!c.numeric };
        this.sortRows();
        this.renderHead();
        this.schedule();
      };
      return cell;
    });
    this.head.style.gridTemplateColumns = this.gridTemplate();
    this.head.replaceChildren(...cells);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderRows();
    });
  }

  private renderRows(): void {
    if (!this.model) return;
    this.spacer.style.height = `${this.rows.length * ROW_HEIGHT}px`;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((this.scroller.scrollTop + this.scroller.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const template = this.gridTemplate();
    const out: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const n = this.rows[i];
      const cells = this.columns.map((c) => h('div', { class: `td${c.numeric ? ' num' : ''}` }, c.render ? c.render(n, this.model!) : String(c.value(n, this.model!))));
      const row = h('div', { class: `tr${n.id === this.selected ? ' selected' : ''}`, role: 'row', 'data-id': n.id, style: `top:${i * ROW_HEIGHT}px;grid-template-columns:${template}` }, ...cells);
      out.push(row);
    }
    this.body.replaceChildren(...out);
  }
}
