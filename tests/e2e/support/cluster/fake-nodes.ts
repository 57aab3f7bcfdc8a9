/**
 * The local cluster's nodes: Node objects that kwok plays the kubelet for. Two pools, shaped like the clusters the
 * stacks are written for: platform nodes (untainted, where ZooKeeper, the Mesos masters and Marathon run) and agent
 * nodes, labelled `orchestrator/mesos-agent=true` and tainted `orchestrator/mesos-agent:NoSchedule` the way prod
 * dedicates hosts to Mesos tasks. prod's required anti-affinity needs three platform nodes with distinct
 * `kubernetes.io/hostname`s; its agent DaemonSet selects the label and tolerates the taint, so it lands on the agent
 * pool and only there, while dev's (no selector, no toleration) lands on the platform pool.
 */

/** The label prod's agents select and the taint key they tolerate (Pulumi.prod.yaml). */
export const AGENT_LABEL = 'orchestrator/mesos-agent';

export type NodePool = 'platform' | 'agent';

export interface NodeLayout {
  /** Untainted nodes for the platform's quorum parts; prod needs three. */
  platform: number;
  /** Labelled and tainted Mesos agent nodes. */
  agent: number;
}

export const DEFAULT_LAYOUT: NodeLayout = { platform: 3, agent: 3 };

// Roomy enough for prod's requests on every node (3 CPUs, 6Gi of quorum parts) plus a rolling update's surge and the
// companion services, so scheduling is decided by affinity, selectors and taints rather than by capacity.
const CAPACITY = { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '200Gi' };

export function nodeName(pool: NodePool, index: number): string {
  return `${pool}-${index}`;
}

export function nodeNames(layout: NodeLayout, pool: NodePool): string[] {
  return Array.from({ length: layout[pool] }, (_, i) => nodeName(pool, i));
}

/** The Node objects for `layout`; kwok makes each Ready with this capacity (see tests/e2e/kwok/). */
export function fakeNodes(layout: NodeLayout): object[] {
  const pools: NodePool[] = ['platform', 'agent'];
  return pools.flatMap((pool) =>
    nodeNames(layout, pool).map((name) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        // kwok is started to manage only nodes with this annotation.
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/pool': pool,
          type: 'kwok',
          ...(pool === 'agent' ? { [AGENT_LABEL]: 'true' } : {}),
        },
      },
      spec: pool === 'agent' ? { taints: [{ key: AGENT_LABEL, value: 'true', effect: 'NoSchedule' }] } : {},
      status: { capacity: CAPACITY, allocatable: CAPACITY },
    })),
  );
}
