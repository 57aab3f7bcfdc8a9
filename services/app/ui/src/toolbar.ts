/**
 * The controls above the graph: topology tabs, search (with a list of matching nodes to jump to), filter chips,
 * expanded-cluster chips, group-by and the graph/table switch. It holds no state of its own: it shows a ViewState
 * and reports what the operator asked for.
 */
import type { TopologyDescriptor, ViewNode } from '../../src/api-shapes';
import { byId, h } from './dom';
import { kindStyle } from './node-kinds';
import type { ViewMode, ViewState } from './view-state';

export interface ToolbarActions {
  topology(name: string): void;
  search(text: string): void;
  /** Enter or a click in the match list: go to that node. */
  pick(id: string): void;
  filters(filters: string[]): void;
  collapse(clusterId: string): void;
  groupBy(dimension: string | undefined): void;
  mode(mode: ViewMode): void;
  /** Nodes of the current view matching the search text, best first. */
  matches(text: string, limit: number): ViewNode[];
}

/** The filter forms the API takes: `key=value`, `key!=value`, `key~text`, `metric>n`, `metric<n`. */
export const FILTER_PATTERN = /^[^\s=!~<>]+(=|!=|~)\S.*$|^[^\s=!~<>]+[<>]-?\d+(\.\d+)?$/;

const SEARCH_DEBOUNCE_MS = 250;
const MATCH_LIMIT = 8;

export class Toolbar {
  private readonly tabs = byId('topologies');
  private readonly searchInput = byId<HTMLInputElement>('search');
  private readonly matchList = byId<HTMLUListElement>('matches');
  private readonly filterBox = byId('filters');
  private readonly filterInput = byId<HTMLInputElement>('filter-input');
  private readonly groupSelect = byId<HTMLSelectElement>('group-by');
  private readonly modeButtons = Array.from(byId('mode').querySelectorAll<HTMLButtonElement>('button'));
  private state?: ViewState;
  private searchTimer?: ReturnType<typeof setTimeout>;
  private activeMatch = 0;

  constructor(private readonly on: ToolbarActions) {
    this.searchInput.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.on.search(this.searchInput.value.trim()), SEARCH_DEBOUNCE_MS);
      this.showMatches();
    });
    this.searchInput.addEventListener('keydown', (e) => this.searchKey(e));
    this.searchInput.addEventListener('blur', () => setTimeout(() => (this.matchList.hidden = true), 150));
    this.searchInput.addEventListener('focus', () => this.showMatches());
    this.filterInput.addEventListener('keydown', (e) => this.filterKey(e));
    this.filterInput.addEventListener('input', () => this.filterInput.classList.remove('invalid'));
    this.groupSelect.addEventListener('change', () => this.on.groupBy(this.groupSelect.value || undefined));
    for (const b of this.modeButtons) b.addEventListener('click', () => this.on.mode(b.dataset.mode as ViewMode));
    // Tabs that do not fit scroll sideways; a mouse wheel scrolls them too, and the edge fades while more lie beyond.
    this.tabs.addEventListener('scroll', () => this.markTabOverflow(), { passive: true });
    this.tabs.addEventListener('wheel', (e) => {
      if (Math.abs(e.deltaY) <= Math.abs(e.deltaX) || this.tabs.scrollWidth <= this.tabs.clientWidth) return;
      e.preventDefault();
      this.tabs.scrollLeft += e.deltaY;
    }, { passive: false });
    window.addEventListener('resize', () => this.markTabOverflow());
    document.addEventListener('keydown', (e) => {
      if (e.key === '/' && document.activeElement?.tagName !== 'INPUT') {
        e.preventDefault();
        this.searchInput.focus();
      }
    });
  }

  render(state: ViewState, topologies: TopologyDescriptor[]): void {
    this.state = state;
    this.renderTabs(state, topologies);
    if (document.activeElement !== this.searchInput) this.searchInput.value = state.search;
    this.renderChips(state);
    const descriptor = topologies.find((t) => t.name === state.topology);
    const dims = descriptor?.groupBy ?? [];
    const def = descriptor?.defaultGroupBy;
    this.groupSelect.replaceChildren(h('option', { value: '' }, def ? `${def} (default)` : 'none'), ...dims.filter((d) => d !== def).map((d) => h('option', { value: d }, d.replace(/_/g, ' '))));
    this.groupSelect.value = state.groupBy && dims.includes(state.groupBy) && state.groupBy !== def ? state.groupBy : '';
    this.groupSelect.disabled = dims.length === 0;
    for (const b of this.modeButtons) b.setAttribute('aria-pressed', String(b.dataset.mode === state.mode));
  }

  /** Refreshes the match list after the view changed under an open search. */
  refreshMatches(): void {
    if (document.activeElement === this.searchInput) this.showMatches();
  }

  private renderTabs(state: ViewState, topologies: TopologyDescriptor[]): void {
    const tabs = topologies.map((t) => {
      const tab = h('button', { class: 'tab', role: 'tab', 'aria-selected': String(t.name === state.topology), 'data-topology': t.name, title: t.description }, t.title, h('span', { class: 'count' }, t.nodeCount.toLocaleString('en-US')));
      tab.onclick = () => this.on.topology(t.name);
      return tab;
    });
    this.tabs.replaceChildren(...tabs);
    this.tabs.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    this.markTabOverflow();
  }

  private markTabOverflow(): void {
    const { scrollWidth, clientWidth, scrollLeft } = this.tabs;
    this.tabs.classList.toggle('overflowing', scrollWidth > clientWidth);
    this.tabs.classList.toggle('scrolled-end', scrollLeft + clientWidth >= scrollWidth - 1);
  }

  private renderChips(state: ViewState): void {
    for (const chip of Array.from(this.filterBox.querySelectorAll('.chip'))) chip.remove();
    const chips = [
      ...state.filters.map((f) => this.chip(f, 'filter', () => this.on.filters(state.filters.filter((x) => x !== f)))),
      ...state.expand.map((id) => this.chip(`expanded ${id.split(':').slice(2).join(':') || id}`, 'expand', () => this.on.collapse(id), id)),
    ];
    for (const chip of chips) this.filterBox.insertBefore(chip, this.filterInput);
  }

  private chip(text: string, kind: string, remove: () => void, title = text): HTMLElement {
    const x = h('button', { title: kind === 'expand' ? 'Collapse' : 'Remove filter', 'aria-label': `remove ${text}` }, '×');
    x.onclick = remove;
    return h('span', { class: `chip ${kind}`, title, 'data-chip': kind }, text, x);
  }

  private showMatches(): void {
    const text = this.searchInput.value.trim();
    const found = text ? this.on.matches(text, MATCH_LIMIT) : [];
    this.activeMatch = 0;
    this.matchList.replaceChildren(
      ...found.map((n, i) => {
        const li = h('li', { class: i === 0 ? 'active' : '', 'data-id': n.id }, h('span', { class: 'dot', style: `--kind:${kindStyle(n.kind).color}` }), h('span', {}, n.label), h('span', { class: 'sub' }, n.sublabel ?? kindStyle(n.kind).title));
        li.onmousedown = (e) => {
          e.preventDefault();
          this.pickMatch(n.id);
        };
        return li;
      }),
    );
    this.matchList.hidden = found.length === 0;
  }

  private pickMatch(id: string): void {
    this.matchList.hidden = true;
    clearTimeout(this.searchTimer);
    const text = this.searchInput.value.trim();
    if (text !== (this.state?.search ?? '')) this.on.search(text);
    this.on.pick(id);
  }

  private searchKey(e: KeyboardEvent): void {
    const items = Array.from(this.matchList.querySelectorAll<HTMLElement>('li'));
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (items.length === 0) return;
      this.activeMatch = (this.activeMatch + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      items.forEach((li, i) => li.classList.toggle('active', i === this.activeMatch));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const id = items[this.activeMatch]?.dataset.id;
      if (id) this.pickMatch(id);
      else {
        clearTimeout(this.searchTimer);
        this.on.search(this.searchInput.value.trim());
      }
    } else if (e.key === 'Escape') {
      this.matchList.hidden = true;
    }
  }

  private filterKey(e: KeyboardEvent): void {
    if (e.key === 'Backspace' && this.filterInput.value === '' && this.state?.filters.length) {
      this.on.filters(this.state.filters.slice(0, -1));
      return;
    }
    if (e.key !== 'Enter') return;
    const text = this.filterInput.value.trim();
    if (!text) return;
    if (!FILTER_PATTERN.test(text)) {
      this.filterInput.classList.add('invalid');
      this.filterInput.title = 'Use key=value, key!=value, key~text, metric>number or metric<number';
      return;
    }
    this.filterInput.value = '';
    const filters = this.state?.filters ?? [];
    if (!filters.includes(text)) this.on.filters([...filters, text]);
  }
}
