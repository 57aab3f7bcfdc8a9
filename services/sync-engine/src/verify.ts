/**
 * `verify`: are the two trees the same (paths, data, ACLs; persistent nodes only, sequential ones by name)? Both
 * trees are read in parallel — bounded depth-first walks (tree-walk.ts) whose reads each side's wire session
 * batches into multiReads (wire-session.ts) — into Merkle hash trees, then compared from the root down,
 * descending only into subtrees whose hashes differ. Each side's session syncs first, so a lagging server is not
 * read.
 */
import type { ZkAcl } from '../../lib/zk-client';
import type { EnsembleSide } from './ensemble-side';
import type { PathFilter } from './path-filter';
import { retryOnConnectionLoss } from './retry';
import { compareHashTrees, computeSubtreeHashes, Difference, HashTree, hashedNode } from './tree-hash';
import { childRel, Rel } from './tree-paths';
import { walkTree } from './tree-walk';

/** Lets a caller present a side's ACL as it should be compared (a frozen source shows its pre-freeze ACLs). */
export type AclView = (side: EnsembleSide, rel: Rel, acl: ZkAcl[]) => ZkAcl[];

export interface VerifyOptions {
  source: EnsembleSide;
  target: EnsembleSide;
  filter: PathFilter;
  maxInFlight?: number;
  aclView?: AclView;
  /**
   * A side whose ACLs are known without reading them, and what they are (as compared): a side the engine froze
   * itself, on which nobody else holds ADMIN to change one (see the cutover's drain). Its getAcl per node — a
   * request ZooKeeper cannot batch — is skipped.
   */
  knownAcls?: { side: EnsembleSide; acl: (rel: Rel) => ZkAcl[] };
  /** Paths left out of the comparison (the heartbeat, which changes all the time). */
  ignore?: Set<Rel>;
}

export interface VerifyReport {
  equal: boolean;
  sourceNodes: number;
  targetNodes: number;
  differences: Difference[];
  durationMs: number;
}

export async function verifyTrees(options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const [a, b] = await Promise.all([readHashTree(options.source, options), readHashTree(options.target, options)]);
  const differences = a.size > 0 && b.size > 0 ? compareHashTrees(a, b) : a.size === b.size ? [] : [{ path: '/', kind: a.size ? ('missing-on-target' as const) : ('missing-on-source' as const) }];
  return { equal: differences.length === 0, sourceNodes: a.size, targetNodes: b.size, differences, durationMs: Date.now() - started };
}

/** Reads a side's tree (filtered, ephemerals left out) into a hash tree with subtree hashes computed. */
export async function readHashTree(side: EnsembleSide, options: Pick<VerifyOptions, 'filter' | 'maxInFlight' | 'aclView' | 'ignore' | 'knownAcls'>): Promise<HashTree> {
  const run = <T>(op: () => Promise<T>): Promise<T> => retryOnConnectionLoss(side, op);
  const tree: HashTree = new Map();
  const known = options.knownAcls?.side === side ? options.knownAcls.acl : undefined;
  const view = (rel: Rel, acl: ZkAcl[]): ZkAcl[] => (options.aclView ? options.aclView(side, rel, acl) : acl);

  const enter = async (rel: Rel): Promise<{ children: string[]; value: { data: Buffer; acl: ZkAcl[] } } | null> => {
    const [node, acl] = await Promise.all([run(() => side.read(rel)), known ? null : run(() => side.acl(rel))]);
    if (!node || (!known && !acl) || node.stat.ephemeralOwner !== '0') return null;
    const children = node.children.filter((name) => {
      const child = childRel(rel, name);
      return options.filter.inScope(child) && !options.ignore?.has(child);
    });
    return { children, value: { data: node.data, acl: known ? known(rel) : view(rel, acl!.acl) } };
  };
  const leave = (rel: Rel, node: { data: Buffer; acl: ZkAcl[] }, present: string[]): void => {
    tree.set(rel, hashedNode(node.data, node.acl, present));
  };

  await run(() => side.sync());
  if (await walkTree('', { enter, leave }, options.maxInFlight ?? 1000)) computeSubtreeHashes(tree);
  return tree;
}
