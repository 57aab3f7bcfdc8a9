/**
 * Policy over both stacks. The rules every object must satisfy live once, in the CrossGuard pack (policy/), which
 * runs here over everything the program emits, the way `pulumi preview --policy-pack policy` runs it; what stays
 * here is how this program wires its own parts together.
 */
import { PackResource, runPack } from '../support/policy-pack';
import { kubernetesObjects, ofKind, ProgramRun, runProgram, stackFileConfig, withSyncEngine } from './support/program';
import { containers, env, matches, workloads } from './support/pods';

const packInputs = (run: ProgramRun): PackResource[] => run.resources.map(({ type, name, inputs, outputs }) => ({ type, name, inputs, outputs }));

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

  test('the policy pack finds nothing to object to in any resource or in the stack', async () => {
    expect(await runPack(packInputs(run), stack)).toEqual([]);
  });

  test('the policy pack objects once the Marathon PodDisruptionBudget is gone', async () => {
    const withoutBudget = packInputs(run).filter((r) => r.name !== 'marathon-pdb');
    expect((await runPack(withoutBudget, stack)).map((d) => `${d.policy}: ${d.message}`)).toEqual([
      expect.stringMatching(/^disruption-budget-per-replicated-workload: Deployment marathon-[0-9a-f]+: no PodDisruptionBudget selects its pods$/),
    ]);
  });

  test('every object carries this installation\'s instance label', () => {
    for (const r of kubernetesObjects(run)) expect({ object: r.name, instance: r.inputs.metadata.labels['app.kubernetes.io/instance'] }).toEqual({ object: r.name, instance: `orchestrator-${stack}` });
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

  test('Mesos and Marathon find each other and ZooKeeper through zk:// URLs over the ensemble', () => {
    for (const { container, init } of containers(run)) {
      if (init) continue;
      const vars = env(container);
      for (const key of ['MESOS_ZK', 'MESOS_MASTER', 'MARATHON_MASTER']) if (vars[key]) expect(vars[key]).toBe(run.outputs.mesosZkUrl);
      if (vars.MARATHON_ZK) expect(vars.MARATHON_ZK).toBe(run.outputs.marathonZkUrl);
    }
  });
});
