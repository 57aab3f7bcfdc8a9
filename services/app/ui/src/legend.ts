/** The legend: the kinds of node in the view now, with their colours and counts (a cluster counts its members). */
import { h } from './dom';
import { kindStyle } from './node-kinds';
import type { TopologyModel } from './topology-model';

export function renderLegend(root: HTMLElement, model: TopologyModel): void {
  const counts = new Map<string, number>();
  let clusters = 0;
  for (const n of model.nodes.values()) {
    if (n.cluster) clusters++;
    else counts.set(n.kind, (counts.get(n.kind) ?? 0) + 1);
  }
  const rows = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => h('div', { class: 'legend-row', 'data-kind': kind }, h('span', { class: 'swatch', style: `--kind:${kindStyle(kind).color}` }), kindStyle(kind).title, h('span', { class: 'n' }, n.toLocaleString('en-US'))));
  if (clusters > 0) {
    const style = kindStyle('cluster');
    rows.push(h('div', { class: 'legend-row', 'data-kind': 'cluster' }, h('span', { class: 'swatch cluster', style: `--kind:${style.color}` }), style.title, h('span', { class: 'n' }, clusters.toLocaleString('en-US'))));
  }
  root.replaceChildren(...(rows.length ? [h('h4', {}, 'Legend'), ...rows] : []));
}
