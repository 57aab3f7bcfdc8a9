/**
 * Containers: every container a live process is in (from its cgroup), named and labelled by the Docker Engine API
 * when the host has one, with CPU, memory, IO and PIDs from the container's cgroup. Who runs a container is taken
 * from, in order: Docker labels (Kubernetes pod labels), the configured environment Docker's inspect shows (a Mesos
 * task's MESOS_ and MARATHON_ variables), Docker's `mesos-<container id>` names, the processes' own environment, and the
 * `pod<uid>` of a kubepods cgroup.
 */
import { containerId as containerNodeId } from '../../lib/report/node-ids';
import { CONTAINER_LABEL_PREFIX, CONTAINER_LABELS, CONTAINER_METRICS, RUNNER_LABELS, TOPOLOGY } from '../../lib/report/report-keys';
import { REPORT_LIMITS } from '../../lib/report/report-limits';
import { ContainerIdentity } from './cgroup-identity';
import { CgroupMetrics, CgroupUsage } from './cgroup-metrics';
import { CollectionErrors } from './collection-errors';
import { DockerApi, DockerSummary } from './docker-api';
import type { NetNamespace } from './net-namespaces';
import { errorText, isGone } from './proc-files';
import type { ProcessEntry } from './process-reporter';
import { ReportWriter } from './report-writer';
import { runnerLabelsFromEnvList } from './runner-environment';

const REPORTER = TOPOLOGY.container;

/** Kubernetes' Docker labels (dockershim, cri-dockerd) and the runner labels they become. */
const POD_LABELS: Record<string, string> = {
  'io.kubernetes.pod.name': RUNNER_LABELS.podName,
  'io.kubernetes.pod.namespace': RUNNER_LABELS.podNamespace,
  'io.kubernetes.pod.uid': RUNNER_LABELS.podUid,
  'io.kubernetes.container.name': RUNNER_LABELS.podContainerName,
};

/** Docker names the containers of Mesos's Docker containerizer `mesos-<container id>` (older agents: `mesos-<agent>.<container>`). */
const MESOS_NAME = /^mesos-(?:[^.]+\.)?([A-Za-z0-9_-]+)$/;

export interface DockerContainer {
  summary: DockerSummary;
  /** From inspect's Config.Env, read once per container. */
  runner?: Record<string, string>;
}

/** What the Docker API said this collection: containers by id, or why there are none. */
export interface DockerView {
  containers: Map<string, DockerContainer>;
  error?: string;
}

/** The Docker API side: the running list every collection, inspect once per new container. */
export class DockerContainers {
  private readonly runners = new Map<string, Record<string, string>>();

  constructor(
    private readonly api: DockerApi,
    private readonly inspectConcurrency = 4,
  ) {}

  async refresh(): Promise<DockerView> {
    let list: DockerSummary[];
    try {
      list = await this.api.listRunning();
    } catch (err) {
      return { containers: new Map(), error: errorText(err) };
    }
    const containers = new Map<string, DockerContainer>();
    const fresh: string[] = [];
    for (const summary of list) {
      containers.set(summary.Id, { summary, runner: this.runners.get(summary.Id) });
      if (!this.runners.has(summary.Id)) fresh.push(summary.Id);
    }
    for (const id of this.runners.keys()) if (!containers.has(id)) this.runners.delete(id);
    let error: string | undefined;
    // However many containers are new, inspecting them holds this collection up by one deadline at most; the rest
    // are inspected in the next one.
    const deadline = Date.now() + this.api.timeoutMs;
    const next = async (): Promise<void> => {
      for (let id = fresh.pop(); id !== undefined && Date.now() < deadline; id = fresh.pop()) {
        try {
          const inspected = await this.api.inspect(id);
          const runner = runnerLabelsFromEnvList(inspected.Config?.Env);
          this.runners.set(id, runner);
          containers.get(id)!.runner = runner;
        } catch (err) {
          // Gone since the list, or the daemon stopped answering: try again next collection.
          error = errorText(err);
          if (/did not answer/.test(error)) fresh.length = 0;
        }
      }
    };
    await Promise.all(Array.from({ length: this.inspectConcurrency }, next));
    return { containers, error };
  }
}

interface FoundContainer {
  identity?: ContainerIdentity;
  processes: ProcessEntry[];
}

export class ContainerReporter {
  private readonly previousCpu = new Map<string, { seconds: number; timeMs: number }>();

  constructor(private readonly cgroups: CgroupMetrics) {}

  write(writer: ReportWriter, processes: readonly ProcessEntry[], namespaces: readonly NetNamespace[], docker: DockerView, hostNodeId: string, timeMs: number, errors: CollectionErrors): void {
    if (docker.error) errors.fail(REPORTER, `${docker.error}; containers from cgroups alone`);
    const found = new Map<string, FoundContainer>();
    for (const p of processes) {
      const identity = p.facts.container;
      if (!identity) continue;
      let c = found.get(identity.id);
      if (!c) found.set(identity.id, (c = { identity, processes: [] }));
      c.processes.push(p);
    }
    for (const id of docker.containers.keys()) if (!found.has(id)) found.set(id, { processes: [] });
    const nsByInode = new Map<number, NetNamespace>();
    for (const ns of namespaces) nsByInode.set(ns.inode, ns);
    const hostParents = [hostNodeId];
    const seen = new Set<string>();
    writer.beginTopology(TOPOLOGY.container);
    for (const [id, c] of found) {
      seen.add(id);
      const labels = this.labels(id, c, docker.containers.get(id), nsByInode);
      const metrics = c.identity ? this.metrics(id, c.identity, timeMs, errors) : {};
      writer.node(containerNodeId(id), { timestamp: timeMs, labels, metrics, parents: { [TOPOLOGY.host]: hostParents } });
    }
    writer.endTopology();
    this.cgroups.endCollection();
    for (const id of this.previousCpu.keys()) if (!seen.has(id)) this.previousCpu.delete(id);
  }

  private labels(id: string, c: FoundContainer, docker: DockerContainer | undefined, nsByInode: ReadonlyMap<number, NetNamespace>): Record<string, string> {
    const labels: Record<string, string> = {};
    // Lowest priority first; later sources overwrite.
    if (c.identity?.podUid) labels[RUNNER_LABELS.podUid] = c.identity.podUid;
    const sorted = [...c.processes].sort((a, b) => a.pid - b.pid);
    for (let i = sorted.length - 1; i >= 0; i--) Object.assign(labels, sorted[i].facts.runner);
    const summary = docker?.summary;
    const name = summary?.Names?.[0]?.replace(/^\//, '');
    const mesos = name ? MESOS_NAME.exec(name) : null;
    if (mesos) labels[RUNNER_LABELS.mesosContainerId] = mesos[1];
    if (docker?.runner) Object.assign(labels, docker.runner);
    for (const [key, value] of Object.entries(summary?.Labels ?? {})) {
      const runner = POD_LABELS[key];
      if (runner) labels[runner] = value;
      const labelKey = `${CONTAINER_LABEL_PREFIX}${key}`;
      if (labelKey.length <= REPORT_LIMITS.keyLength) labels[labelKey] = value.length > REPORT_LIMITS.labelValueLength ? value.slice(0, REPORT_LIMITS.labelValueLength) : value;
    }
    labels[CONTAINER_LABELS.id] = id;
    labels[CONTAINER_LABELS.name] = name ?? (c.identity?.runtime === 'mesos' ? id : id.slice(0, 12));
    if (summary?.Image) labels[CONTAINER_LABELS.image] = summary.Image;
    labels[CONTAINER_LABELS.state] = summary?.State ?? 'running';
    labels[CONTAINER_LABELS.runtime] = summary ? 'docker' : (c.identity?.runtime ?? 'cgroup');
    if (c.identity) labels[CONTAINER_LABELS.cgroup] = c.identity.cgroup;
    const netns = sorted.find((p) => !p.kernelThread && p.facts.netns !== 0)?.facts.netns;
    const ns = netns === undefined ? undefined : nsByInode.get(netns);
    if (ns) {
      labels[CONTAINER_LABELS.netns] = ns.scope;
      if (!ns.isHost && ns.addresses.length > 0) labels[CONTAINER_LABELS.addresses] = ns.addresses.join(',');
    }
    return labels;
  }

  private metrics(id: string, identity: ContainerIdentity, timeMs: number, errors: CollectionErrors): Record<string, { samples: [number, number][] }> {
    let usage: CgroupUsage;
    try {
      usage = this.cgroups.read(identity.paths);
    } catch (err) {
      if (!isGone(err)) errors.unreadableFile(REPORTER, 'cgroup', err);
      return {};
    }
    const out: Record<string, { samples: [number, number][] }> = {};
    const put = (name: string, value: number | undefined): void => {
      if (value !== undefined && Number.isFinite(value)) out[name] = { samples: [[timeMs, value]] };
    };
    if (usage.cpuSeconds !== undefined) {
      const previous = this.previousCpu.get(id);
      if (previous && timeMs > previous.timeMs) put(CONTAINER_METRICS.cpuPercent, Math.max(0, Math.round(((usage.cpuSeconds - previous.seconds) / ((timeMs - previous.timeMs) / 1000)) * 10000) / 100));
      this.previousCpu.set(id, { seconds: usage.cpuSeconds, timeMs });
    }
    put(CONTAINER_METRICS.memoryUsageBytes, usage.memoryUsageBytes);
    put(CONTAINER_METRICS.memoryWorkingSetBytes, usage.memoryWorkingSetBytes);
    put(CONTAINER_METRICS.memoryLimitBytes, usage.memoryLimitBytes);
    put(CONTAINER_METRICS.ioReadBytes, usage.ioReadBytes);
    put(CONTAINER_METRICS.ioWriteBytes, usage.ioWriteBytes);
    put(CONTAINER_METRICS.pids, usage.pids);
    return out;
  }
}
