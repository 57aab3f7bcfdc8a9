/** Policies every object of both stacks must satisfy. */
import { kubernetesObjects, ofKind, ProgramRun, runProgram, stackFileConfig, withSyncEngine } from './support/program';
import { containers, env, matches, workloads } from './support/pods';

import { PROBE } from '../../services/lib/contract';

const COMMON_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/part-of', 'app.kubernetes.io/managed-by'];
// The two documented exceptions to "no root, no privilege, no host access":
// - the Mesos agent is a container runtime: privileged, see the comment in components/mesos/agents.ts;
// - the probe reads every process's /proc entries, fd tables and sockets: root, because Kubernetes grants added
//   capabilities to uid 0 only, with all capabilities dropped but SYS_PTRACE (another user's fd and environ pass
//   the kernel's ptrace access check) and DAC_READ_SEARCH (their mode-0500 directories); the host's PID namespace;
//   its three host mounts read-only; never privileged (services/lib/contract.ts PROBE).
const PRIVILEGED_EXCEPTION = { workloadApp: 'mesos-agent', container: 'mesos-agent' };
const PROBE_EXCEPTION = { workloadApp: 'probe', container: 'probe' };

const RUNS: [string, string, () => Record<string, string>][] = [
  ['dev', 'dev', () => stackFileConfig('dev')],
  ['prod', 'prod', () => stackFileConfig('prod')],
  ['dev with the sync-engine enabled', 'dev', () => withSyncEngine('dev')],
];

describe.each(RUNS)('policy over the %s stack', (_label, stack, config) => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(stack, config());
  });

  test('every image is pinned to a tag, never latest or untagged', () => {
    for (const { container } of containers(run)) {
      expect(container.image).toMatch(/^[^:@]+(:\d+)?(\/[^:@]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]*(@sha256:[a-f0-9]{64})?$/);
      expect(container.image).not.toMatch(/:latest(@|$)/);
    }
  });

  test('every container has cpu and memory requests and limits', () => {
    for (const { container } of containers(run)) {
      expect(Object.keys(container.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(container.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
    }
  });

  test('every long-running container has readiness and liveness probes', () => {
    for (const { container, init } of containers(run)) {
      if (init) continue; // Kubernetes forbids probes on init containers: they run to completion.
      expect(container.readinessProbe).toBeDefined();
      expect(container.livenessProbe).toBeDefined();
    }
  });

  test('every container runs as non-root without privilege, except the documented Mesos agent and probe', () => {
    const exceptions: string[] = [];
    for (const { workload, container, podSpec } of containers(run)) {
      const app = workload.inputs.metadata.labels['app.kubernetes.io/name'];
      const effective = { ...podSpec.securityContext, ...container.securityContext };
      if (app === PRIVILEGED_EXCEPTION.workloadApp && container.name === PRIVILEGED_EXCEPTION.container) {
        exceptions.push(`${app}/${container.name}`);
        continue;
      }
      if (app === PROBE_EXCEPTION.workloadApp && container.name === PROBE_EXCEPTION.container) {
        exceptions.push(`${app}/${container.name}`);
        expect(effective).toMatchObject({ runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
        expect(effective.privileged).not.toBe(true);
        expect(container.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['SYS_PTRACE', 'DAC_READ_SEARCH'] });
        continue;
      }
      expect({ container: container.name, runAsNonRoot: effective.runAsNonRoot }).toEqual({ container: container.name, runAsNonRoot: true });
      expect(effective.runAsUser).toBeGreaterThan(0);
      expect(effective.privileged).not.toBe(true);
      expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
      expect(container.securityContext?.capabilities?.drop).toEqual(['ALL']);
      expect(container.securityContext?.capabilities?.add).toBeUndefined();
    }
    expect(exceptions.sort()).toEqual(['mesos-agent/mesos-agent', 'probe/probe']);
  });

  test('only the Mesos agent and the probe reach the host: the agent its socket, cgroups and work dir; the probe its three read-only mounts and the PID namespace', () => {
    for (const w of workloads(run)) {
      const spec = w.inputs.spec.template.spec;
      const hostPaths = (spec.volumes ?? []).filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path);
      const app = w.inputs.metadata.labels['app.kubernetes.io/name'];
      if (app === 'mesos-agent') {
        expect(hostPaths.sort()).toEqual(['/sys/fs/cgroup', '/var/lib/mesos/agent', '/var/run/docker.sock']);
        expect(spec.hostPID).toBeUndefined();
      } else if (app === 'probe') {
        expect(hostPaths.sort()).toEqual(['/proc', '/sys/fs/cgroup', '/var/run/docker.sock']);
        expect(spec.hostPID).toBe(true);
        expect(spec.hostNetwork).toBeUndefined();
        const hostVolumes = new Set(spec.volumes.filter((v: any) => v.hostPath).map((v: any) => v.name));
        const mounts = spec.containers.flatMap((c: any) => c.volumeMounts ?? []).filter((m: any) => hostVolumes.has(m.name));
        expect(mounts.map((m: any) => [m.mountPath, m.readOnly]).sort()).toEqual(PROBE.hostMounts.map((m) => [m.mountPath, true]).sort());
      } else {
        expect(hostPaths).toEqual([]);
        expect(spec.hostNetwork).toBeUndefined();
        expect(spec.hostPID).toBeUndefined();
      }
    }
  });

  test('every object, pod template and volume claim carries the common labels', () => {
    const labelled = [
      ...kubernetesObjects(run).map((r) => ({ what: `${r.inputs.kind} ${r.name}`, labels: r.inputs.metadata.labels })),
      ...workloads(run).map((w) => ({ what: `pod template of ${w.name}`, labels: w.inputs.spec.template.metadata.labels })),
      ...workloads(run).flatMap((w) => (w.inputs.spec.volumeClaimTemplates ?? []).map((t: any) => ({ what: `claim ${t.metadata.name} of ${w.name}`, labels: t.metadata.labels }))),
    ];
    for (const { what, labels } of labelled) {
      expect({ what, keys: COMMON_LABELS.filter((k) => labels?.[k]) }).toEqual({ what, keys: COMMON_LABELS });
      expect(labels['app.kubernetes.io/part-of']).toBe('orchestrator');
      expect(labels['app.kubernetes.io/managed-by']).toBe('pulumi');
      expect(labels['app.kubernetes.io/instance']).toBe(`orchestrator-${stack}`);
    }
  });

  test('every StatefulSet and Deployment is covered by a PodDisruptionBudget selecting its pods', () => {
    const pdbs = ofKind(run, 'PodDisruptionBudget');
    for (const w of workloads(run).filter((w) => w.inputs.kind !== 'DaemonSet')) {
      const podLabels = w.inputs.spec.template.metadata.labels;
      expect({ workload: w.name, pdbs: pdbs.filter((p) => matches(p.inputs.spec.selector.matchLabels, podLabels)).length }).toEqual({ workload: w.name, pdbs: 1 });
    }
  });

  test('every Service selects the pods of exactly one workload', () => {
    for (const svc of ofKind(run, 'Service')) {
      const selected = workloads(run).filter((w) => matches(svc.inputs.spec.selector, w.inputs.spec.template.metadata.labels));
      expect({ service: svc.name, selected: selected.length }).toEqual({ service: svc.name, selected: 1 });
    }
  });

  test('every object lives in the stack namespace', () => {
    const ns = ofKind(run, 'Namespace')[0].inputs.metadata.name;
    for (const r of kubernetesObjects(run).filter((r) => r.inputs.kind !== 'Namespace')) expect(r.inputs.metadata.namespace).toBe(ns);
  });

  test('no pod mounts a Kubernetes API token it does not use', () => {
    for (const w of workloads(run)) expect(w.inputs.spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  test('Mesos and Marathon find each other and ZooKeeper through zk:// URLs over the ensemble', () => {
    for (const { container, init } of containers(run)) {
      if (init) continue;
      const vars = env(container);
      for (const key of ['MESOS_ZK', 'MESOS_MASTER', 'MARATHON_MASTER']) if (vars[key]) expect(vars[key]).toBe(run.outputs.mesosZkUrl);
      if (vars.MARATHON_ZK) expect(vars.MARATHON_ZK).toBe(run.outputs.marathonZkUrl);
    }
  });
});
