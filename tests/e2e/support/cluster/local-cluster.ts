/**
 * A real Kubernetes control plane on loopback, for the end-to-end tier and for `npm run up:local`: etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler and kwok (the kubelet of fake nodes) in one directory,
 * on free ports, with the nodes, storage and upstream CRDs the stacks need, and an admin kubeconfig.
 *
 * What is real: the API server (validation, admission, RBAC, CRD schemas), etcd, every controller (StatefulSet,
 * DaemonSet, Deployment, endpoints, PV binding, namespace deletion, garbage collection) and the scheduler (affinity,
 * taints, volume topology). What is not: no kubelet, so no container runs; kwok marks scheduled pods Running and Ready.
 *
 * Everything the cluster writes stays in its directory; `stop()` ends each process by pid, kwok first and etcd last,
 * then removes the directory. Unless started `detached`, a watchdog does the same if this process dies first.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../support/zookeeper-server';
import { REPO_ROOT, toolBinary } from '../pinned-tools';
import { apiserverArgs, ClusterLayout, ClusterPorts, controllerManagerArgs, etcdArgs, kwokArgs, schedulerArgs } from './control-plane-args';
import { DEFAULT_LAYOUT, fakeNodes, NodeLayout } from './fake-nodes';
import { waitFor, waitHealthy } from './health';
import { Kubectl, writeKubeconfig } from './kubectl';
import { localVolumes, storageClasses } from './local-volumes';
import { writeClusterPki } from './pki';
import { logTail, StartedProcess, startProcess, startWatchdog, stopInReverse } from './processes';

export interface LocalClusterOptions {
  /** Fake nodes per pool (default: three platform nodes and three agent nodes). */
  layout?: NodeLayout;
  /** Local volumes of each StorageClass per platform node (default 4). */
  volumesPerNode?: number;
  /** Keep running after this process exits (the up:local main job). Default: a watchdog stops it when this process dies. */
  detached?: boolean;
  /** Directory to keep the cluster in (must not exist yet); default a fresh one under the system temp dir. */
  dir?: string;
  /** Bound on the whole start, default 3 minutes (14–19 s idle; much longer with both cores busy). */
  startTimeoutMs?: number;
}

/** What `cluster.json` records, so another process (`npm run down:local`) can find and stop the cluster. */
export interface ClusterState {
  dir: string;
  server: string;
  kubeconfig: string;
  /** In start order; stopped in reverse. */
  processes: StartedProcess[];
  watchdogPid?: number;
}

export const CRD_DIR = join(REPO_ROOT, 'tests', 'e2e', 'crds');
const KWOK_STAGE_DIR = join(REPO_ROOT, 'tests', 'e2e', 'kwok');
const STATE_FILE = 'cluster.json';

export class LocalCluster {
  readonly kubectl: Kubectl;

  private constructor(readonly state: ClusterState) {
    this.kubectl = new Kubectl(state.kubeconfig, join(state.dir, 'kubectl-cache'));
  }

  get dir(): string {
    return this.state.dir;
  }

  /** Admin kubeconfig (token user in `system:masters`). */
  get kubeconfig(): string {
    return this.state.kubeconfig;
  }

  /** Starts a cluster and resolves once nodes are Ready and the CRDs are established; cleans up after itself on failure. */
  static async start(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
    const deadline = Date.now() + (opts.startTimeoutMs ?? 180_000);
    const binaries = controlPlaneBinaries();
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'orchestrator-cluster-'));
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const state: ClusterState = { dir, server: '', kubeconfig: join(dir, 'kubeconfig'), processes: [] };
    if (!opts.detached) state.watchdogPid = startWatchdog(process.pid, join(dir, 'stop-order'), dir);
    const cluster = new LocalCluster(state);
    try {
      await cluster.boot(binaries, opts.layout ?? DEFAULT_LAYOUT, opts.volumesPerNode ?? 4, deadline);
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** The cluster recorded in `dir` by a `start` in another process (possibly cut short), or undefined if none is. */
  static attach(dir: string): LocalCluster | undefined {
    const file = join(dir, STATE_FILE);
    return existsSync(file) ? new LocalCluster(JSON.parse(readFileSync(file, 'utf8')) as ClusterState) : undefined;
  }

  /** Stops every process by pid (kwok, scheduler, controller-manager, API server, etcd) and removes the directory. */
  async stop(): Promise<void> {
    // The watchdog first, so it does not race this stop; it runs in its own group with the `sleep` it waits in.
    if (this.state.watchdogPid !== undefined) {
      try {
        process.kill(-this.state.watchdogPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await stopInReverse(this.state.processes);
    rmSync(this.state.dir, { recursive: true, force: true });
  }

  private async boot(bin: ControlPlaneBinaries, nodes: NodeLayout, volumesPerNode: number, deadline: number): Promise<void> {
    const layout = await this.writeLayout();
    const ca = readFileSync(layout.pki.caCert);
    const adminToken = readFileSync(join(this.dir, 'admin.token'), 'utf8');

    await this.run('etcd', bin.etcd, etcdArgs(layout), () =>
      waitHealthy('etcd', { url: `http://127.0.0.1:${layout.ports.etcdClient}/health` }, deadline),
    );
    await this.run('kube-apiserver', bin.apiserver, apiserverArgs(layout), () =>
      waitHealthy('kube-apiserver', { url: `${this.state.server}/readyz`, ca, token: adminToken }, deadline),
    );
    // The controllers and the scheduler start while the cluster's objects go in; neither needs the other.
    await Promise.all([
      this.run('kube-controller-manager', bin.controllerManager, controllerManagerArgs(layout), () =>
        waitHealthy('kube-controller-manager', { url: `https://127.0.0.1:${layout.ports.controllerManager}/healthz` }, deadline),
      ),
      this.run('kube-scheduler', bin.scheduler, schedulerArgs(layout), () =>
        waitHealthy('kube-scheduler', { url: `https://127.0.0.1:${layout.ports.scheduler}/healthz` }, deadline),
      ),
      this.installClusterObjects(nodes, volumesPerNode, deadline),
    ]);
    await this.run('kwok', bin.kwok, kwokArgs(layout), () => waitHealthy('kwok', { url: `http://127.0.0.1:${layout.ports.kwok}/healthz` }, deadline), {
      // kwok would also load ~/.kwok/kwok.yaml if one exists; its work dir is the cluster's.
      KWOK_WORKDIR: join(this.dir, 'kwok'),
    });
    await this.waitNodesReady(nodes.platform + nodes.agent, deadline);
  }

  /** Starts one process, records it for the stop order, and waits for `ready`; on failure says why, with its log. */
  private async run(name: string, binary: string, args: string[], ready: () => Promise<void>, env?: NodeJS.ProcessEnv): Promise<void> {
    const proc = startProcess(name, binary, args, { logDir: join(this.dir, 'logs'), cwd: this.dir, env });
    this.state.processes.push(proc);
    // Recorded at once, so a start cut short (^C during up:local) can still be stopped by down:local or the watchdog.
    writeFileSync(join(this.dir, STATE_FILE), `${JSON.stringify(this.state, null, 2)}\n`);
    // First to stop first: the reverse of the start order, as the watchdog reads it.
    writeFileSync(join(this.dir, 'stop-order'), [...this.state.processes].reverse().map((p) => `${p.pid} ${p.binary}\n`).join(''));
    try {
      await ready();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- last lines of ${proc.log}:\n${logTail(proc)}`);
    }
  }

  /** Ports, PKI, tokens, kubeconfigs and kwok's stages, written under the cluster's directory. */
  private async writeLayout(): Promise<ClusterLayout> {
    const ports = await distinctFreePorts(['etcdClient', 'etcdPeer', 'apiserver', 'controllerManager', 'scheduler', 'kwok']);
    const pki = writeClusterPki(join(this.dir, 'pki'));
    this.state.server = `https://127.0.0.1:${ports.apiserver}`;

    // One static token per identity. kwok plays the kubelet of every fake node (their status, leases, pod status and
    // deletion); the Node authorizer would confine a kubelet to its own node, so kwok runs as an administrator, as
    // kwokctl sets it up. The controller-manager and the scheduler get the users RBAC bootstraps roles for.
    const identities = {
      admin: { user: 'orchestrator-admin', groups: 'system:masters' },
      controllerManager: { user: 'system:kube-controller-manager', groups: '' },
      scheduler: { user: 'system:kube-scheduler', groups: '' },
      kwok: { user: 'kwok-controller', groups: 'system:masters' },
    };
    const tokens = Object.fromEntries(Object.keys(identities).map((id) => [id, randomBytes(24).toString('hex')])) as Record<keyof typeof identities, string>;
    const tokenFile = join(this.dir, 'tokens.csv');
    writeFileSync(tokenFile, Object.entries(identities).map(([id, { user, groups }]) => `${tokens[id as keyof typeof identities]},${user},${user},"${groups}"\n`).join(''), { mode: 0o600 });
    writeFileSync(join(this.dir, 'admin.token'), tokens.admin, { mode: 0o600 });

    const kubeconfigFor = (id: keyof typeof identities, path: string) => {
      writeKubeconfig(path, { server: this.state.server, caFile: pki.caCert, user: identities[id].user, token: tokens[id] });
      return path;
    };
    kubeconfigFor('admin', this.state.kubeconfig);
    const kubeconfigs = {
      controllerManager: kubeconfigFor('controllerManager', join(this.dir, 'controller-manager.kubeconfig')),
      scheduler: kubeconfigFor('scheduler', join(this.dir, 'scheduler.kubeconfig')),
      kwok: kubeconfigFor('kwok', join(this.dir, 'kwok.kubeconfig')),
    };

    const kwokConfig = join(this.dir, 'kwok.yaml');
    const stages = readdirSync(KWOK_STAGE_DIR).filter((f) => f.endsWith('.yaml')).sort();
    writeFileSync(kwokConfig, stages.map((f) => readFileSync(join(KWOK_STAGE_DIR, f), 'utf8')).join('\n---\n'));
    return { dir: this.dir, ports, pki, tokenFile, kubeconfigs, kwokConfig };
  }

  /** Upstream CRDs, StorageClasses, local volumes and the fake Node objects. */
  private async installClusterObjects(nodes: NodeLayout, volumesPerNode: number, deadline: number): Promise<void> {
    await this.kubectl.run(['apply', '--server-side', '--field-manager=orchestrator-local-cluster', '-f', CRD_DIR]);
    await this.kubectl.apply([...storageClasses(), ...localVolumes(nodes, volumesPerNode), ...fakeNodes(nodes)]);
    const seconds = Math.max(1, Math.round((deadline - Date.now()) / 1000));
    await this.kubectl.run(['wait', '--for=condition=Established', 'crd', '--all', `--timeout=${seconds}s`], { timeoutMs: seconds * 1000 + 5000 });
  }

  private waitNodesReady(count: number, deadline: number): Promise<void> {
    return waitFor(`${count} kwok nodes Ready`, deadline, async () => {
      const nodes = await this.kubectl.getJson(['nodes']);
      const ready = nodes.items.filter((n: any) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === count ? true : `${ready.length} of ${count} Ready`;
    }, 250);
  }
}

type ControlPlaneBinaries = Record<'etcd' | 'apiserver' | 'controllerManager' | 'scheduler' | 'kwok' | 'kubectl', string>;

/** Every binary the cluster runs, resolved before anything is started, so a missing build fails at once and clean. */
function controlPlaneBinaries(): ControlPlaneBinaries {
  return {
    etcd: toolBinary('etcd', 'etcd'),
    apiserver: toolBinary('kubernetes', 'kube-apiserver'),
    controllerManager: toolBinary('kubernetes', 'kube-controller-manager'),
    scheduler: toolBinary('kubernetes', 'kube-scheduler'),
    kwok: toolBinary('kwok', 'kwok'),
    kubectl: toolBinary('kubernetes', 'kubectl'),
  };
}

/** Free loopback ports, one per name, none the same. */
async function distinctFreePorts<K extends keyof ClusterPorts>(names: K[]): Promise<ClusterPorts> {
  const taken = new Set<number>();
  const ports: Partial<ClusterPorts> = {};
  for (const name of names) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    ports[name] = port;
  }
  return ports as ClusterPorts;
}
