/** Policies every object of both stacks must satisfy. */
import { kubernetesObjects, ofKind, ProgramRun, runProgram, stackFileConfig } from './support/program';
import { containers, env, matches, workloads } from './support/pods';

const COMMON_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/part-of', 'app.kubernetes.io/managed-by'];
// The one documented exception to "no root, no privilege": see the comment in components/mesos/agents.ts.
const PRIVILEGED_EXCEPTION = { workloadApp: 'mesos-agent', container: 'mesos-agent' };

describe.each(['dev', 'prod'])('policy over the %s stack', (stack) => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(stack, stackFileConfig(stack));
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

  test('every container runs as non-root without privilege, except the documented Mesos agent', () => {
    const privileged: string[] = [];
    for (const { workload, container, podSpec } of containers(run)) {
      const app = workload.inputs.metadata.labels['app.kubernetes.io/name'];
      const effective = { ...podSpec.securityContext, ...container.securityContext };
      if (app === PRIVILEGED_EXCEPTION.workloadApp && container.name === PRIVILEGED_EXCEPTION.container) {
        privileged.push(`${app}/${container.name}`);
        continue;
      }
      expect({ container: container.name, runAsNonRoot: effective.runAsNonRoot }).toEqual({ container: container.name, runAsNonRoot: true });
      expect(effective.runAsUser).toBeGreaterThan(0);
      expect(effective.privileged).not.toBe(true);
      expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
      expect(container.securityContext?.capabilities?.drop).toEqual(['ALL']);
    }
    expect(privileged).toEqual(['mesos-agent/mesos-agent']);
  });

  test('only the Mesos agent mounts host paths, and only the docker socket, the cgroup tree and its work dir', () => {
    for (const w of workloads(run)) {
      const hostPaths = (w.inputs.spec.template.spec.volumes ?? []).filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path);
      if (w.inputs.metadata.labels['app.kubernetes.io/name'] === 'mesos-agent') {
        expect(hostPaths.sort()).toEqual(['/sys/fs/cgroup', '/var/lib/mesos/agent', '/var/run/docker.sock']);
      } else {
        expect(hostPaths).toEqual([]);
        expect(w.inputs.spec.template.spec.hostNetwork).toBeUndefined();
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
