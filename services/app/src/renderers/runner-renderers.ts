/**
 * What runs the containers, as the platform sees it: Marathon apps (app → tasks → containers) and Mesos frameworks.
 * A task is known by the labels the probe copies from the executor's environment onto its container and processes;
 * a task's process outside any reported container stands for the task itself.
 */
import { RUNNER_LABELS, TOPOLOGY } from '../../../lib/report/report-keys';
import { MergedMaps, nodesOf } from '../merged-maps';
import type { ReportNode } from '../../../lib/report/report-schema';
import type { EndpointOwner, ResolvedConnection } from '../connection-resolution';
import { marathonAppId } from './container-renderers';
import { addLatest, containerName, definedValues, NodeRef, RenderedNode, RenderedTopology, StepBudget, steppedRenderer, TopologyBuilder, TopologyRenderer } from './render-model';

const R = RUNNER_LABELS;

interface Runner {
  id: string;
  node: ReportNode;
  kind: 'container' | 'process';
}

/** Containers, and the processes of tasks that run in no reported container. */
function* runners(report: MergedMaps, budget: StepBudget): Generator<void, Runner[]> {
  const out: Runner[] = [];
  const containers = nodesOf(report, TOPOLOGY.container);
  for (const [id, node] of containers) {
    out.push({ id, node, kind: 'container' });
    if (budget.spent()) yield;
  }
  const processes = nodesOf(report, TOPOLOGY.process);
  for (const [id, node] of processes) {
    const container = node.parents.container?.[0];
    if (node.labels[R.mesosTaskId] !== undefined && (container === undefined || containers.get(container) === undefined)) out.push({ id, node, kind: 'process' });
    if (budget.spent()) yield;
  }
  return out;
}

/** The labels that say what runs an end of a connection: its container's, else its process's. */
function runnerLabels(report: MergedMaps, owner: EndpointOwner): Record<string, string> | undefined {
  if (owner.container !== undefined) {
    const container = nodesOf(report, TOPOLOGY.container).get(owner.container);
    if (container) return container.labels;
  }
  return owner.process === undefined ? undefined : nodesOf(report, TOPOLOGY.process).get(owner.process)?.labels;
}

interface Group {
  members: Runner[];
  metrics: Record<string, number>;
  tasks: Set<string>;
  hosts: Set<string>;
  related: Set<string>;
  versions: Set<string>;
}

function* groupRunners(
  list: Runner[],
  keyOf: (labels: Record<string, string>) => string | undefined,
  relatedOf: (labels: Record<string, string>) => string | undefined,
  budget: StepBudget,
): Generator<void, Map<string, Group>> {
  const groups = new Map<string, Group>();
  for (const runner of list) {
    if (budget.spent()) yield;
    const key = keyOf(runner.node.labels);
    if (key === undefined) continue;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { members: [], metrics: {}, tasks: new Set(), hosts: new Set(), related: new Set(), versions: new Set() }));
    g.members.push(runner);
    // A task's process and its container both carry the task's metrics; only containers and lone processes count.
    addLatest(g.metrics, runner.node);
    const labels = runner.node.labels;
    if (labels[R.mesosTaskId] !== undefined) g.tasks.add(labels[R.mesosTaskId]);
    if (labels[R.marathonAppVersion] !== undefined) g.versions.add(labels[R.marathonAppVersion]);
    const related = relatedOf(labels);
    if (related !== undefined) g.related.add(related);
    const host = runner.node.parents.host?.[0];
    if (host !== undefined) g.hosts.add(host);
  }
  return groups;
}

const sortedList = (set: Set<string>) => [...set].sort();
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A group's tasks, then its containers (and lone task processes). */
function taskRefs(group: { members: Runner[] }): NodeRef[] {
  const tasks = new Map<string, NodeRef>();
  const rest: NodeRef[] = [];
  for (const m of group.members) {
    const task = m.node.labels[R.mesosTaskId];
    if (task !== undefined && !tasks.has(task)) tasks.set(task, { id: `mesos-task:${task}`, label: task, kind: 'mesos-task' });
    rest.push({ id: m.id, label: m.kind === 'container' ? containerName(m.node, m.id) : m.node.labels.name ?? m.id, kind: m.kind });
  }
  return [...[...tasks.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), ...rest];
}

function frameworkId(labels: Record<string, string>): string | undefined {
  const fw = labels[R.mesosFrameworkId];
  return fw === undefined ? undefined : `mesos-framework:${fw}`;
}

/** Builds one runner topology: nodes from the groups, edges through the runner labels of each end. */
function* renderRunners(
  name: string,
  report: MergedMaps,
  connections: readonly ResolvedConnection[],
  budget: StepBudget,
  keyOf: (labels: Record<string, string>) => string | undefined,
  node: (id: string, group: Group) => RenderedNode,
  relations: (node: RenderedNode, group: Group) => { parents: NodeRef[]; children: NodeRef[] },
  relatedOf: (labels: Record<string, string>) => string | undefined,
): Generator<void, RenderedTopology> {
  const builder = new TopologyBuilder(name, report, 'outside any task');
  const groups = yield* groupRunners(yield* runners(report, budget), keyOf, relatedOf, budget);
  for (const [id, group] of groups) {
    builder.add(node(id, group));
    if (budget.spent()) yield;
  }
  yield* builder.connect(
    connections,
    (owner) => {
      const labels = runnerLabels(report, owner);
      return labels === undefined ? undefined : keyOf(labels);
    },
    budget,
  );
  return builder.build((n) => {
    const group = groups.get(n.view.id);
    return group ? relations(n, group) : { parents: [], children: [] };
  });
}

export const marathonAppsRenderer: TopologyRenderer = steppedRenderer(
  { name: 'marathon-apps', title: 'Marathon apps', description: 'Marathon apps, their Mesos tasks and the containers they run in', groupBy: ['mesos_framework'] },
  (report, connections, budget) =>
    renderRunners(
      'marathon-apps',
      report,
      connections,
      budget,
      marathonAppId,
      (id, g) => {
        const app = id.slice('marathon-app:'.length);
        const frameworks = sortedList(g.related);
        return {
          view: {
            id,
            label: app,
            sublabel: plural(g.tasks.size, 'task'),
            kind: 'marathon-app',
            labels: definedValues({ [R.marathonAppId]: app, [R.mesosFrameworkId]: frameworks.join(','), [R.marathonAppVersion]: sortedList(g.versions).join(','), tasks: String(g.tasks.size), containers: String(g.members.filter((m) => m.kind === 'container').length), hosts: String(g.hosts.size) }),
            metrics: g.metrics,
            group: definedValues({ mesos_framework: frameworks[0] }),
          },
          members: g.members.map((m) => m.id),
        };
      },
      (_n, g) => ({ parents: sortedList(g.related).map((fw) => ({ id: `mesos-framework:${fw}`, label: fw, kind: 'mesos-framework' })), children: taskRefs(g) }),
      (labels) => labels[R.mesosFrameworkId],
    ),
);

export const mesosFrameworksRenderer: TopologyRenderer = steppedRenderer(
  { name: 'mesos-frameworks', title: 'Mesos frameworks', description: 'Mesos frameworks and the tasks they run', groupBy: [] },
  (report, connections, budget) =>
    renderRunners(
      'mesos-frameworks',
      report,
      connections,
      budget,
      frameworkId,
      (id, g) => {
        const fw = id.slice('mesos-framework:'.length);
        return {
          view: {
            id,
            label: fw,
            sublabel: plural(g.tasks.size, 'task'),
            kind: 'mesos-framework',
            labels: { [R.mesosFrameworkId]: fw, tasks: String(g.tasks.size), marathon_apps: String(g.related.size), hosts: String(g.hosts.size) },
            metrics: g.metrics,
            group: {},
          },
          members: g.members.map((m) => m.id),
        };
      },
      (_n, g) => ({ parents: [], children: [...sortedList(g.related).map((app) => ({ id: `marathon-app:${app}`, label: app, kind: 'marathon-app' })), ...taskRefs(g)] }),
      (labels) => labels[R.marathonAppId],
    ),
);
