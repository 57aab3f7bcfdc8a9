import { GroupLayout, discRadius, spreadFor } from '../../../../services/app/ui/src/group-layout';
import type { ViewNode } from '../../../../services/app/src/api-shapes';
import { containersTopology } from './support/fixture-views';

function node(id: string, host: string, cluster?: number): ViewNode {
  return { id, label: id, kind: cluster ? 'cluster' : 'container', labels: {}, metrics: {}, group: { host }, cluster: cluster ? { dimension: 'host', value: host, size: cluster } : undefined };
}

function laidOut(nodes: ViewNode[]): GroupLayout {
  const layout = new GroupLayout('host');
  layout.layout(nodes);
  return layout;
}

describe('group layout', () => {
  it('gives the same view the same positions every time', () => {
    const { nodes } = containersTopology(2000);
    const a = laidOut(nodes);
    const b = laidOut(nodes);
    for (const n of nodes) expect(a.position(n.id)).toEqual(b.position(n.id));
  });

  it('keeps the members of a group on one disc and the discs apart', () => {
    const { nodes } = containersTopology(1000);
    const layout = laidOut(nodes);
    const byHost = new Map<string, ViewNode[]>();
    for (const n of nodes) byHost.set(n.group.host, [...(byHost.get(n.group.host) ?? []), n]);
    const centres = [...byHost.values()].map((members) => {
      const ps = members.map((m) => layout.position(m.id)!);
      return { x: ps.reduce((s, p) => s + p.x, 0) / ps.length, y: ps.reduce((s, p) => s + p.y, 0) / ps.length, n: members.length, ps };
    });
    for (const c of centres) for (const p of c.ps) expect(Math.hypot(p.x - c.x, p.y - c.y)).toBeLessThanOrEqual(discRadius(c.n, spreadFor(1000)));
    // No two nodes share a place.
    const seen = new Set(nodes.map((n) => { const p = layout.position(n.id)!; return `${p.x.toFixed(3)},${p.y.toFixed(3)}`; }));
    expect(seen.size).toBe(nodes.length);
  });

  it('places a node that arrives later near its group without moving any placed node', () => {
    const nodes = Array.from({ length: 30 }, (_, i) => node(`n${i}`, `h${i % 3}`));
    const layout = laidOut(nodes);
    const before = new Map(nodes.map((n) => [n.id, { ...layout.position(n.id)! }]));
    const late = node('late', 'h1');
    const p = layout.place(late);
    for (const n of nodes) expect(layout.position(n.id)).toEqual(before.get(n.id));
    const group = nodes.filter((n) => n.group.host === 'h1').map((n) => layout.position(n.id)!);
    const cx = group.reduce((s, q) => s + q.x, 0) / group.length;
    const cy = group.reduce((s, q) => s + q.y, 0) / group.length;
    expect(Math.hypot(p.x - cx, p.y - cy)).toBeLessThan(discRadius(group.length + 1, spreadFor(30)));
    for (const q of group) expect(Math.hypot(p.x - q.x, p.y - q.y)).toBeGreaterThan(0.5);
  });

  it('reuses a removed node\'s slot for the next node of its group', () => {
    const nodes = Array.from({ length: 10 }, (_, i) => node(`n${i}`, 'h'));
    const layout = laidOut(nodes);
    const freed = layout.position('n4')!;
    layout.remove('n4');
    expect(layout.place(node('new', 'h'))).toEqual(freed);
  });

  it('expands a cluster into the disc it was drawn as', () => {
    const layout = laidOut([node('cluster:host:a', 'a', 40), node('cluster:host:b', 'b', 40)]);
    const centre = layout.position('cluster:host:a')!;
    const radius = layout.clusterRadius('cluster:host:a')!;
    layout.remove('cluster:host:a');
    for (let i = 0; i < 40; i++) {
      const p = layout.place(node(`a${i}`, 'a'));
      expect(Math.hypot(p.x - centre.x, p.y - centre.y)).toBeLessThanOrEqual(radius);
    }
    expect(layout.position('cluster:host:b')).toBeDefined();
  });

  it('spreads a small view out for its labels and packs a large one', () => {
    expect(spreadFor(20)).toBe(2.5);
    expect(spreadFor(10_000)).toBe(1);
  });

  it('lays out 10,000 nodes in one pass', () => {
    const { nodes } = containersTopology(10_000);
    const layout = laidOut(nodes);
    expect(nodes.every((n) => layout.position(n.id) !== undefined)).toBe(true);
  });
});
