/**
 * Small fixed reports built with the contract's types and ids, validated by `parseProbeReport`: two hosts of a
 * Mesos cluster and the connections between their services, so every renderer and the resolver have a known answer.
 *
 *   node-a (10.0.0.1)                               node-b (10.0.0.2)
 *     container web (nginx:1.27, Marathon /shop/web)   container api (registry.local/api:2.1, Marathon /shop/api)
 *       nginx pid 100 ──3 connections to 10.0.0.2:8080──▶ java pid 200, listening 0.0.0.0:8080
 *       nginx ──1 to 93.184.216.34:443 (the internet)       java ──1 to 10.0.0.2:5432 (same host, placed)──▶
 *     sshd pid 50, uncontained, listening 0.0.0.0:22      container db (postgres:16, pod payments/db-0)
 *       ◀── 1 from 203.0.113.9 (the internet)               postgres pid 300, listening 10.0.0.2:5432
 */
import { containerId, endpointId, hostId, netnsScope, processId, UNKNOWN_NETNS } from '../../../../services/lib/report/node-ids';
import { parseProbeReport, ProbeReport, ProbeReportInput, REPORT_SCHEMA_VERSION } from '../../../../services/lib/report/report-schema';
import { MergedMaps } from '../../../../services/app/src/merged-maps';
import { compactReport } from '../../../../services/app/src/report-compaction';
import { ReportWindow } from '../../../../services/app/src/report-window';

export const T0 = 1_800_000_000_000;
export const NS_A = netnsScope('node-a', 4026531840);
export const NS_B = netnsScope('node-b', 4026531840);

export const IDS = {
  hostA: hostId('node-a'),
  hostB: hostId('node-b'),
  web: containerId('a'.repeat(64)),
  api: containerId('b'.repeat(64)),
  db: containerId('c'.repeat(64)),
  nginx: processId('node-a', 100, 9100),
  sshd: processId('node-a', 50, 9050),
  java: processId('node-b', 200, 9200),
  postgres: processId('node-b', 300, 9300),
};

type NodeInput = NonNullable<ProbeReportInput['topologies'][string]>[string];

function node(labels: Record<string, string>, parents: Record<string, string[]> = {}, extra: Partial<NodeInput> = {}, at = T0): NodeInput {
  return { timestamp: at, labels, parents, ...extra };
}

/** Samples 5 s apart, the last at `at`. */
const series = (at: number, ...values: number[]) => ({ samples: values.map((v, i) => [at - (values.length - 1 - i) * 5000, v] as [number, number]) });

function endpoint(ns: string, ip: string, port: number, role: 'listen' | 'server' | 'client', owner: { process: string; container?: string; host: string }, peers: string[] = []): [string, NodeInput] {
  const parents: Record<string, string[]> = { process: [owner.process], host: [owner.host] };
  if (owner.container) parents.container = [owner.container];
  return [endpointId(ns, ip, port), node({ ip, port: String(port), netns: ns, family: ip.includes(':') ? '6' : '4', state: role === 'listen' ? 'listen' : 'established', role }, parents, { adjacency: peers })];
}

function probeReport(host: string, at: number, topologies: ProbeReportInput['topologies']): ProbeReportInput {
  return { schemaVersion: REPORT_SCHEMA_VERSION, probe: { id: host, version: '0.1.0' }, host, timestamp: at, intervalSeconds: 15, topologies };
}

export function reportA(at = T0): ProbeReportInput {
  const nginx = { process: IDS.nginx, container: IDS.web, host: IDS.hostA };
  const sshd = { process: IDS.sshd, host: IDS.hostA };
  return probeReport('node-a', at, {
    host: { [IDS.hostA]: node({ name: 'node-a', os: 'Debian GNU/Linux 12 (bookworm)', addresses: '10.0.0.1', netns: NS_A }, {}, { metrics: { cpu_usage_percent: series(at, 10, 20, 30), memory_usage_bytes: series(at, 1000) } }, at) },
    container: {
      [IDS.web]: node(
        { id: 'a'.repeat(64), name: '/web', image: 'nginx:1.27', state: 'running', runtime: 'docker', netns: NS_A, mesos_task_id: 'shop_web.1', mesos_framework_id: 'fw-marathon', marathon_app_id: '/shop/web' },
        { host: [IDS.hostA] },
        { metrics: { cpu_usage_percent: series(at, 2, 4), memory_working_set_bytes: series(at, 100) } },
        at,
      ),
    },
    process: {
      [IDS.nginx]: node({ pid: '100', ppid: '1', name: 'nginx', cmdline: 'nginx -g daemon off;', mesos_task_id: 'shop_web.1', marathon_app_id: '/shop/web', mesos_framework_id: 'fw-marathon' }, { host: [IDS.hostA], container: [IDS.web] }, { metrics: { cpu_usage_percent: series(at, 1.5) } }, at),
      [IDS.sshd]: node({ pid: '50', ppid: '1', name: 'sshd', cmdline: '/usr/sbin/sshd -D' }, { host: [IDS.hostA] }, {}, at),
    },
    endpoint: Object.fromEntries([
      endpoint(NS_A, '10.0.0.1', 40001, 'client', nginx, [endpointId(UNKNOWN_NETNS, '10.0.0.2', 8080)]),
      endpoint(NS_A, '10.0.0.1', 40002, 'client', nginx, [endpointId(UNKNOWN_NETNS, '10.0.0.2', 8080)]),
      endpoint(NS_A, '10.0.0.1', 40003, 'client', nginx, [endpointId(UNKNOWN_NETNS, '10.0.0.2', 8080)]),
      endpoint(NS_A, '10.0.0.1', 40004, 'client', nginx, [endpointId(UNKNOWN_NETNS, '93.184.216.34', 443)]),
      endpoint(NS_A, '0.0.0.0', 22, 'listen', sshd),
      endpoint(NS_A, '10.0.0.1', 22, 'server', sshd, [endpointId(UNKNOWN_NETNS, '203.0.113.9', 50000)]),
    ]),
  });
}

export function reportB(at = T0): ProbeReportInput {
  const java = { process: IDS.java, container: IDS.api, host: IDS.hostB };
  const postgres = { process: IDS.postgres, container: IDS.db, host: IDS.hostB };
  return probeReport('node-b', at, {
    host: { [IDS.hostB]: node({ name: 'node-b', os: 'Debian GNU/Linux 12 (bookworm)', addresses: '10.0.0.2', netns: NS_B }, {}, { metrics: { cpu_usage_percent: series(at, 50) } }, at) },
    container: {
      [IDS.api]: node(
        { id: 'b'.repeat(64), name: '/api', image: 'registry.local/api:2.1', state: 'running', runtime: 'docker', netns: NS_B, mesos_task_id: 'shop_api.1', mesos_framework_id: 'fw-marathon', marathon_app_id: '/shop/api' },
        { host: [IDS.hostB] },
        { metrics: { cpu_usage_percent: series(at, 8) } },
        at,
      ),
      [IDS.db]: node(
        { id: 'c'.repeat(64), name: 'db', image: 'postgres:16', state: 'running', runtime: 'containerd', netns: NS_B, pod_namespace: 'payments', pod_name: 'db-0', pod_uid: 'uid-db-0' },
        { host: [IDS.hostB] },
        { metrics: { cpu_usage_percent: series(at, 5) } },
        at,
      ),
    },
    process: {
      [IDS.java]: node({ pid: '200', ppid: '1', name: 'java', cmdline: 'java -jar api.jar', mesos_task_id: 'shop_api.1', marathon_app_id: '/shop/api', mesos_framework_id: 'fw-marathon' }, { host: [IDS.hostB], container: [IDS.api] }, {}, at),
      [IDS.postgres]: node({ pid: '300', ppid: '1', name: 'postgres', cmdline: 'postgres -D /data' }, { host: [IDS.hostB], container: [IDS.db] }, {}, at),
    },
    endpoint: Object.fromEntries([
      endpoint(NS_B, '0.0.0.0', 8080, 'listen', java),
      endpoint(NS_B, '10.0.0.2', 8080, 'server', java, [40001, 40002, 40003].map((p) => endpointId(UNKNOWN_NETNS, '10.0.0.1', p))),
      endpoint(NS_B, '10.0.0.2', 41000, 'client', java, [endpointId(NS_B, '10.0.0.2', 5432)]),
      // Bound to one address, the listening socket and the connections it accepts share an id: one node.
      endpoint(NS_B, '10.0.0.2', 5432, 'listen', postgres, [endpointId(NS_B, '10.0.0.2', 41000)]),
    ]),
  });
}

/** The reports as a probe would send them, validated as the app's contract requires. */
export function fixedReports(at = T0): ProbeReport[] {
  return [parseProbeReport(reportA(at)), parseProbeReport(reportB(at))];
}

/** The merged report of `reports` as the app's window makes it. */
export function merged(reports: ProbeReport[] = fixedReports(), now = T0 + 1000): MergedMaps {
  const window = new ReportWindow({ windowMs: 15_000, clock: () => now });
  for (const r of reports) window.add(compactReport(r, window.previous(r.probe.id)));
  return window.advance().report;
}
