/**
 * Pure builders for the Mesos master, the Mesos agents and Marathon: their environment (each flag `--x` is read
 * from `MESOS_X` / `MARATHON_X`) and the quorum they derive from replica counts.
 */
import type * as k8s from '@pulumi/kubernetes';
import { PLATFORM_PORTS } from '../../services/lib/contract';
import { EnvVar, fieldEnv, NON_ROOT_UID, restrictedContainerSecurity } from '../pod-spec';
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
    // Prometheus text at /metrics/prometheus. On by default in 1.11; set so a changed default cannot silently turn
    // the platform's Marathon metrics off. Marathon takes a boolean flag as its variable with an empty value.
    { name: 'MARATHON_METRICS_PROMETHEUS', value: '' },
    // Followers proxy API calls to the leader by this address.
    fieldEnv('MARATHON_HOSTNAME', 'status.podIP'),
  ];
}

/** Which Mesos daemon an exporter reads: mesos_exporter takes the daemon's URL as `-master` or `-slave`. */
export type MesosRole = 'master' | 'slave';

/** The exporter's own footprint: one HTTP poll of /metrics/snapshot per scrape, a few MB of Go heap. */
const EXPORTER_RESOURCES = { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } };

/**
 * A sidecar that turns the daemon's `/metrics/snapshot` (JSON, not the Prometheus text format) into Prometheus
 * metrics on `:9105/metrics`: mesos/mesos_exporter, one per daemon, so a degraded cluster can still be watched
 * master by master and agent by agent. The daemon listens only on the address it advertises (`MESOS_IP`), so the
 * exporter is pointed there rather than at loopback: `address.fieldPath` is the pod field the daemon binds to.
 */
export function metricsExporterContainer(role: MesosRole, image: string, address: { fieldPath: 'status.podIP' | 'status.hostIP'; port: number }): k8s.types.input.core.v1.Container {
  const probe = { httpGet: { path: '/', port: PLATFORM_PORTS.mesosExporter }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 };
  return {
    name: 'metrics-exporter',
    image,
    imagePullPolicy: 'IfNotPresent',
    // $(DAEMON_ADDRESS) is expanded by the kubelet from the env entry below.
    args: [`-${role}=http://$(DAEMON_ADDRESS):${address.port}`, `-addr=:${PLATFORM_PORTS.mesosExporter}`, '-timeout=5s', '-logLevel=warn'],
    env: [fieldEnv('DAEMON_ADDRESS', address.fieldPath)],
    ports: [{ name: 'metrics', containerPort: PLATFORM_PORTS.mesosExporter }],
    resources: EXPORTER_RESOURCES,
    securityContext: { ...restrictedContainerSecurity(), runAsNonRoot: true, runAsUser: NON_ROOT_UID, readOnlyRootFilesystem: true },
    readinessProbe: { ...probe, initialDelaySeconds: 5 },
    livenessProbe: { ...probe, initialDelaySeconds: 30 },
  };
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
