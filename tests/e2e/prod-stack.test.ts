/**
 * The prod stack through the real engine against a control plane shaped like prod's: three untainted platform nodes
 * for the quorum parts (required anti-affinity, one per node), three agent nodes labelled and tainted for Mesos, and a
 * `fast-ssd` class. Then the cluster's own stop, which every run relies on to leave nothing behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isRunning } from './support/cluster/processes';
import { declaredObjects } from './support/declared-objects';
import { documentedOutputs } from './support/documented-outputs';
import { changes, claimBindings, leftoversOfInstance, objectsDifferingFromDeclared, previewAgainstDeclared } from './support/stack-checks';
import { stackOnLocalCluster } from './support/stack-on-cluster';
import { podPlacements, unreadyWorkloads } from './support/workload-status';

const NS = 'orchestrator';
const PLATFORM_NODES = ['platform-0', 'platform-1', 'platform-2'];
const AGENT_NODES = ['agent-0', 'agent-1', 'agent-2'];

const env = stackOnLocalCluster('prod');

test('preview plans exactly the resources the program declares, each one a create', async () => {
  const { planned, declared, ops } = await previewAgainstDeclared(env.ws);
  expect(planned).toEqual(declared);
  expect(ops).toEqual(['create']);
});

test('up passes the policy pack and brings every workload to ready: each quorum part once per platform node, an agent on every agent node and only there', async () => {
  const { stdout } = await env.ws.upOk();
  expect(stdout).toMatch(/Policy Packs run:\s+Name\s+Version\s+orchestrator\|local\|\S+\/policy /);
  expect(await unreadyWorkloads(env.cluster.kubectl, NS)).toEqual([]);
  const pods = await podPlacements(env.cluster.kubectl, NS);
  expect(pods.filter((p) => !p.ready)).toEqual([]);
  const nodesOf = (app: string) => pods.filter((p) => p.app === app).map((p) => p.node).sort();
  for (const app of ['zookeeper', 'mesos-master', 'marathon']) expect([app, nodesOf(app)]).toEqual([app, PLATFORM_NODES]);
  expect(nodesOf('mesos-agent')).toEqual(AGENT_NODES);
});

test('every ZooKeeper and Mesos master claim is bound to a fast-ssd volume on its pod\'s node', async () => {
  const claims = await claimBindings(env.cluster.kubectl, NS);
  expect(claims).toHaveLength(6);
  expect(claims.filter((c) => c.phase !== 'Bound' || c.storageClass !== 'fast-ssd' || !c.onPodsNode)).toEqual([]);
});

test('the outputs are the README\'s documented contract: three servers, quorums of two', async () => {
  const out = await env.ws.outputs();
  expect(Object.keys(out).sort()).toEqual(documentedOutputs());
  expect(out.namespace).toBe(NS);
  expect(String(out.zookeeperConnectString).split(',')).toEqual([0, 1, 2].map((i) => `zookeeper-${i}.zookeeper-headless.${NS}.svc.cluster.local:2181`));
  expect([out.zookeeperQuorum, out.mesosQuorum]).toEqual([2, 2]);
  expect(out.mesosZkUrl).toBe(`zk://${out.zookeeperConnectString}/mesos`);
});

test('every object the program declared is in the API server with every field it declared', async () => {
  expect(await objectsDifferingFromDeclared(env.ws, env.cluster.kubectl)).toEqual([]);
});

test('a second preview of the applied stack plans no change', async () => {
  expect(changes(await env.ws.preview())).toEqual([]);
});

test('destroy removes the namespace and everything in it, and nothing of the stack is left in the cluster', async () => {
  const types = declaredObjects(await env.ws.exportState()).map((d) => d.type);
  await env.ws.destroy();
  expect(await env.cluster.kubectl.getOptional('namespace', NS)).toBeUndefined();
  expect(await leftoversOfInstance(env.cluster.kubectl, types, 'orchestrator-prod')).toEqual([]);
});

test('stopping the cluster ends every one of its processes and removes its directory', async () => {
  const { processes, dir } = env.cluster.state;
  expect(processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']);
  expect(processes.filter((p) => !isRunning(p.pid, p.binary))).toEqual([]);
  await env.cluster.stop();
  expect(processes.filter((p) => isRunning(p.pid, p.binary))).toEqual([]);
  expect(existsSync(dir)).toBe(false);
  // Nothing else of ours listens: the watchdog is gone too.
  expect(existsSync(`/proc/${env.cluster.state.watchdogPid}/cmdline`) && readFileSync(`/proc/${env.cluster.state.watchdogPid}/cmdline`, 'utf8').includes('local-cluster-watchdog')).toBe(false);
});
