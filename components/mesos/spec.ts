/**
 * Pure builders for the Mesos master, the Mesos agents and Marathon: their environment (each flag `--x` is read
 * from `MESOS_X` / `MARATHON_X`) and the quorum they derive from replica counts.
 */
import type * as k8s from '@pulumi/kubernetes';
import { PLATFORM_PORTS } from '../../services/lib/contract';
import { EnvVar, fieldEnv } from '../pod-spec';
import { quorumSize } from '../quorum';

export const MASTER_WORK_DIR = '/var/lib/mesos/master';
export const MESOS_LOG_DIR = '/var/log/mesos';

export interface MasterEnvArgs {
  /** `zk://…/mesos`: where masters elect a leader and frameworks find it. */
  zkUrl: string;
  replicas: number;
  cluster: string;
}

/**
 * The master's flags. `MESOS_QUORUM` is derived, never set by hand: the replicated log needs a majority of the
 * masters, and a hand-set value that disagrees with the replica count either loses writes or blocks forever.
 */
export function masterEnv(a: MasterEnvArgs): EnvVar[] {
  return [
    { name: 'MESOS_ZK', value: a.zkUrl },
    { name: 'MESOS_QUORUM', value: String(quorumSize(a.replicas)) },
    { name: 'MESOS_REGISTRY', value: 'replicated_log' },
    { name: 'MESOS_WORK_DIR', value: MASTER_WORK_DIR },
    { name: 'MESOS_LOG_DIR', value: MESOS_LOG_DIR },
    { name: 'MESOS_PORT', value: String(PLATFORM_PORTS.mesosMaster) },
    { name: 'MESOS_CLUSTER', value: a.cluster },
    // Advertise the pod IP: the leader's address is what agents and frameworks connect back to.
    fieldEnv('MESOS_IP', 'status.podIP'),
    fieldEnv('MESOS_HOSTNAME', 'status.podIP'),
  ];
}

export interface AgentEnvArgs {
  /** `zk://…/mesos`, so agents follow the leading master through failovers. */
  masterZkUrl: string;
  workDir: string;
  /** The agent's own image: executors are launched in it when the agent itself runs in a container. */
  image: string;
}

export function agentEnv(a: AgentEnvArgs): EnvVar[] {
  return [
    { name: 'MESOS_MASTER', value: a.masterZkUrl },
    { name: 'MESOS_CONTAINERIZERS', value: 'docker,mesos' },
    { name: 'MESOS_ISOLATION', value: 'cgroups/cpu,cgroups/mem' },
    { name: 'MESOS_WORK_DIR', value: a.workDir },
    { name: 'MESOS_LOG_DIR', value: MESOS_LOG_DIR },
    { name: 'MESOS_PORT', value: String(PLATFORM_PORTS.mesosAgent) },
    { name: 'MESOS_DOCKER_MESOS_IMAGE', value: a.image },
    // Inside a container there is no systemd to delegate executor cgroups to.
    { name: 'MESOS_SYSTEMD_ENABLE_SUPPORT', value: 'false' },
    // First pulls of large task images can be slow; pre-pulled images make this rarely matter.
    { name: 'MESOS_EXECUTOR_REGISTRATION_TIMEOUT', value: '5mins' },
    fieldEnv('MESOS_IP', 'status.hostIP'),
    fieldEnv('MESOS_HOSTNAME', 'spec.nodeName'),
  ];
}

export interface MarathonEnvArgs {
  /** `zk://…/mesos`: Marathon finds the leading master there. */
  masterZkUrl: string;
  /** `zk://…/marathon`: Marathon's own state and leader election. */
  stateZkUrl: string;
}

export function marathonEnv(a: MarathonEnvArgs): EnvVar[] {
  return [
    { name: 'MARATHON_MASTER', value: a.masterZkUrl },
    { name: 'MARATHON_ZK', value: a.stateZkUrl },
    { name: 'MARATHON_HTTP_PORT', value: String(PLATFORM_PORTS.marathon) },
    { name: 'MARATHON_FRAMEWORK_NAME', value: 'marathon' },
    // Followers proxy API calls to the leader by this address.
    fieldEnv('MARATHON_HOSTNAME', 'status.podIP'),
  ];
}

/** Annotations the Prometheus kubernetes-pods job discovers targets by. */
export function prometheusScrape(port: number, path: string): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': path };
}

/**
 * Init containers that pull each image and exit, so the images are on the node before the agent registers and
 * task containers start without a pull. Each image must ship `/bin/sh` (the same requirement JupyterHub's
 * pre-puller has); the container runs unprivileged and does nothing else.
 */
export function prePullContainers(images: string[], securityContext: k8s.types.input.core.v1.SecurityContext): k8s.types.input.core.v1.Container[] {
  return images.map((image, i) => ({
    name: `prepull-${i}`,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', '-c', 'exit 0'],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
    securityContext,
  }));
}
