/**
 * Synthetic probe reports shaped like a Mesos agent's: one host, its containers (Mesos tasks of Marathon apps, some
 * Kubernetes pods), their processes, and TCP connections between services on different hosts. Deterministic for a
 * seed, and consistent across probes: a client connection one probe reports is the accepted connection another
 * reports, so the app's cross-host edge resolution has real work to do.
 *
 * Used by the benchmark's load generator (its own process) and by the tests that need many nodes.
 */
import { containerId, endpointId, hostId, netnsScope, processId, UNKNOWN_NETNS } from '../../lib/report/node-ids';
import { REPORT_SCHEMA_VERSION, ProbeReportInput, ReportNode } from '../../lib/report/report-schema';
import { seeded } from '../../lib/seeded-random';

export interface FleetShape {
  probes: number;
  containersPerProbe: number;
  processesPerContainer: number;
  /** Client connections each probe opens to services on other hosts. */
  connectionsPerProbe: number;
  /** Distinct images (and Marathon apps) the containers are spread over. */
  images: number;
  /** Samples per metric series in one report (the probe sends the ones since its last report). */
  samplesPerSeries: number;
}

export const BENCH_FLEET: FleetShape = { probes: 1000, containersPerProbe: 10, processesPerContainer: 10, connectionsPerProbe: 500, images: 50, samplesPerSeries: 3 };

const ROOT_NETNS = 4026531840;
const FRAMEWORKS = ['marathon-0001', 'marathon-0002', 'chronos-0001'];
const NAMESPACES = ['default', 'payments', 'search', 'ingest', 'ml'];
const SERVICE_PORT_BASE = 31000;

export function hostName(i: number): string {
  return `agent-${String(i).padStart(4, '0')}`;
}

export function hostAddress(i: number): string {
  return `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}

function hex64(...parts: number[]): string {
  let out = '';
  let h = 2166136261;
  for (let k = 0; out.length < 64; k++) {
    for (const p of [...parts, k]) h = Math.imul(h ^ p, 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

interface ContainerPlan {
  id: string;
  image: number;
  labels: Record<string, string>;
  pids: number[];
}

function containerPlan(shape: FleetShape, probe: number, c: number): ContainerPlan {
  const image = (probe * shape.containersPerProbe + c) % shape.images;
  const id = hex64(probe, c);
  const app = `/team-${image % 7}/svc-${image}`;
  const task = `team-${image % 7}_svc-${image}.${id.slice(0, 8)}-${id.slice(8, 12)}`;
  const labels: Record<string, string> = {
    id,
    name: `mesos-${id.slice(0, 12)}`,
    image: `registry.local/svc-${image}:1.${image % 5}`,
    state: 'running',
    runtime: 'docker',
    cgroup: `/docker/${id}`,
    mesos_task_id: task,
    mesos_framework_id: FRAMEWORKS[image % FRAMEWORKS.length],
    marathon_app_id: app,
    marathon_app_version: '2026-11-30T10:00:00.000Z',
  };
  if (c % 4 === 0) {
    labels.pod_namespace = NAMESPACES[image % NAMESPACES.length];
    labels.pod_name = `svc-${image}-${id.slice(0, 5)}`;
    labels.pod_container_name = `svc-${image}`;
  }
  const pids: number[] = [];
  for (let p = 0; p < shape.processesPerContainer; p++) pids.push(1000 + c * 100 + p);
  return { id, image, labels, pids };
}

/** Connections a client keeps to one backend: a pool, as HTTP and database clients do. */
const POOL = 10;

/**
 * Where client connection `k` of probe `i` goes: another host's container, by the port it serves on. Connection k
 * belongs to container k mod containersPerProbe, and each container's connections form pools of POOL to a few
 * backends, so edges between containers are far fewer than connections (as in a real service mesh).
 */
function connectionTarget(shape: FleetShape, i: number, k: number): { host: number; container: number } {
  const c = k % shape.containersPerProbe;
  const backend = Math.floor(k / shape.containersPerProbe / POOL);
  // Seeded, so two runs send the same fleet.
  const rnd = seeded((i * 7919 + c) * 104729 + backend);
  let host = Math.floor(rnd() * shape.probes);
  if (shape.probes > 1 && host === i) host = (host + 1) % shape.probes;
  return { host, container: Math.floor(rnd() * shape.containersPerProbe) };
}

function series(base: number, samples: number, t: number, stepMs: number): { samples: [number, number][] } {
  const out: [number, number][] = [];
  for (let s = samples - 1; s >= 0; s--) out.push([t - s * stepMs, Math.round((base + s * 0.37) * 100) / 100]);
  return { samples: out };
}

/**
 * Probe `i`'s report at time `t` (ms). Connections that target probe `i` are found by scanning the other probes'
 * plans, which is O(probes × connections) for the whole fleet: call `fleetReports` to build them all at once.
 */
export function probeReport(shape: FleetShape, i: number, t: number, inbound: InboundIndex = inboundIndex(shape)): ProbeReportInput {
  const host = hostName(i);
  const hid = hostId(host);
  const ns = netnsScope(host, ROOT_NETNS);
  const address = hostAddress(i);
  const step = 15_000 / Math.max(1, shape.samplesPerSeries);
  const nodeTs = t + 40;
  const topologies: Record<string, Record<string, ReportNode>> = { host: {}, container: {}, process: {}, endpoint: {} };
  topologies.host[hid] = node(nodeTs, { name: host, kernel: '6.1.0-28-amd64', os: 'Debian GNU/Linux 12 (bookworm)', interfaces: 'lo,eth0', addresses: address, netns: ns }, {
    cpu_usage_percent: series(20 + (i % 50), shape.samplesPerSeries, t, step),
    memory_usage_bytes: series(8e9 + i * 1e6, shape.samplesPerSeries, t, step),
    memory_total_bytes: series(64e9, shape.samplesPerSeries, t, step),
    load1: series(1.5, shape.samplesPerSeries, t, step),
  });
  const containers: ContainerPlan[] = [];
  for (let c = 0; c < shape.containersPerProbe; c++) {
    const plan = containerPlan(shape, i, c);
    containers.push(plan);
    const cid = containerId(plan.id);
    topologies.container[cid] = node(nodeTs, { ...plan.labels, netns: ns }, {
      cpu_usage_percent: series(3 + c, shape.samplesPerSeries, t, step),
      memory_working_set_bytes: series(2e8 + c * 1e7, shape.samplesPerSeries, t, step),
      memory_limit_bytes: series(1e9, shape.samplesPerSeries, t, step),
      pids: series(shape.processesPerContainer, shape.samplesPerSeries, t, step),
    }, [], { host: [hid] });
    plan.pids.forEach((pid, p) => {
      const runner: Record<string, string> = {};
      for (const k of ['mesos_task_id', 'mesos_framework_id', 'marathon_app_id']) runner[k] = plan.labels[k];
      const name = p === 0 ? `svc-${plan.image}` : p === 1 ? 'mesos-executor' : `worker-${p}`;
      topologies.process[processId(host, pid, 5000 + pid)] = node(nodeTs, {
        ...runner,
        pid: String(pid),
        ppid: String(p === 0 ? 1 : plan.pids[0]),
        name,
        cmdline: `/usr/bin/${name} --config /etc/svc-${plan.image}/config.yaml --port ${SERVICE_PORT_BASE + c} --threads 8 --log-level info`,
        user: 'nobody',
        uid: '65534',
      }, {
        cpu_usage_percent: series(0.5 + p, 1, t, step),
        memory_rss_bytes: series(5e7 + p * 1e6, 1, t, step),
        threads: series(8, 1, t, step),
        open_files: series(40 + p, 1, t, step),
      }, [], { host: [hid], container: [cid] });
    });
  }
  const parentsOf = (c: number) => ({ host: [hid], container: [containerId(containers[c].id)], process: [processId(host, containers[c].pids[0], 5000 + containers[c].pids[0])] });
  // Every container's main process listens on its service port and has one accepted-connection endpoint per port.
  for (let c = 0; c < shape.containersPerProbe; c++) {
    const port = SERVICE_PORT_BASE + c;
    topologies.endpoint[endpointId(ns, '0.0.0.0', port)] = node(nodeTs, { ip: '0.0.0.0', port: String(port), netns: ns, family: '4', state: 'listen', role: 'listen' }, {}, [], parentsOf(c));
    const peers = (inbound.get(i * shape.containersPerProbe + c) ?? []).map(([from, k]) => endpointId(UNKNOWN_NETNS, hostAddress(from), ephemeralPort(k)));
    if (peers.length > 0) topologies.endpoint[endpointId(ns, address, port)] = node(nodeTs, { ip: address, port: String(port), netns: ns, family: '4', state: 'established', role: 'server' }, {}, peers, parentsOf(c));
  }
  for (let k = 0; k < shape.connectionsPerProbe; k++) {
    const target = connectionTarget(shape, i, k);
    const c = k % shape.containersPerProbe;
    const peer = endpointId(UNKNOWN_NETNS, hostAddress(target.host), SERVICE_PORT_BASE + target.container);
    topologies.endpoint[endpointId(ns, address, ephemeralPort(k))] = node(nodeTs, { ip: address, port: String(ephemeralPort(k)), netns: ns, family: '4', state: 'established', role: 'client' }, {}, [peer], parentsOf(c));
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    probe: { id: host, version: '0.1.0' },
    host,
    timestamp: t,
    intervalSeconds: 15,
    topologies,
    stats: { droppedReports: 0, collectionErrors: {}, collectionCpuSeconds: 0.05 },
  };
}

function ephemeralPort(k: number): number {
  return 40000 + k;
}

function node(timestamp: number, labels: Record<string, string>, metrics: ReportNode['metrics'] = {}, adjacency: string[] = [], parents: Record<string, string[]> = {}): ReportNode {
  return { timestamp, labels, metrics, adjacency, parents };
}

/** For each target container (probe × containersPerProbe + container): the [probe, connection] pairs that reach it. */
export type InboundIndex = Map<number, Array<[number, number]>>;

export function inboundIndex(shape: FleetShape): InboundIndex {
  const index: InboundIndex = new Map();
  for (let i = 0; i < shape.probes; i++) {
    for (let k = 0; k < shape.connectionsPerProbe; k++) {
      const target = connectionTarget(shape, i, k);
      const key = target.host * shape.containersPerProbe + target.container;
      let list = index.get(key);
      if (!list) index.set(key, (list = []));
      list.push([i, k]);
    }
  }
  return index;
}

/** Every probe's report at time `t`. */
export function fleetReports(shape: FleetShape, t: number): ProbeReportInput[] {
  const inbound = inboundIndex(shape);
  const out: ProbeReportInput[] = [];
  for (let i = 0; i < shape.probes; i++) out.push(probeReport(shape, i, t, inbound));
  return out;
}
