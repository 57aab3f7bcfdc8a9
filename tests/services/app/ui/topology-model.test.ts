import { TopologyModel } from '../../../../services/app/ui/src/topology-model';
import { containerNode, containersTopology, queryView } from './support/fixture-views';

describe('topology model', () => {
  it('applies a diff: added, updated and removed nodes, and drops the edges of a removed node', () => {
    const t = containersTopology(50);
    const model = new TopologyModel();
    model.replace(queryView(t, {}));
    const gone = t.edges[0].source;
    const updated = { ...t.nodes[5], metrics: { cpu_usage_percent: 99 } };
    const added = containerNode(1000, 5);
    const changes = model.apply({ type: 'diff', seq: 2, generatedAt: 1, totalNodes: 50, matchedNodes: 50, nodes: { added: [added], updated: [updated], removed: [gone] }, edges: { added: [], updated: [], removed: [] } });
    expect(changes.edgesChanged).toBe(true);
    expect(model.nodes.has(gone)).toBe(false);
    expect(model.nodes.get(added.id)).toBe(added);
    expect(model.nodes.get(updated.id)!.metrics.cpu_usage_percent).toBe(99);
    expect([...model.edges.values()].some((e) => e.source === gone || e.target === gone)).toBe(false);
    expect(model.neighbours(gone)).toEqual([]);
  });

  it('takes a new snapshot as the difference from what it held', () => {
    const t = containersTopology(20);
    const model = new TopologyModel();
    model.replace(queryView(t, {}));
    const changes = model.replace({ ...queryView(t, {}), nodes: t.nodes.slice(0, 15) });
    expect(changes.removed).toEqual(t.nodes.slice(15).map((n) => n.id));
    expect(changes.added).toEqual([]);
    expect(changes.updated).toHaveLength(15);
  });
});
