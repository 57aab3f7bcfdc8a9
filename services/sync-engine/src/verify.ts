/**
 * `verify`: are the two trees the same (paths, data, ACLs; persistent nodes only, sequential ones by name)? Both
 * trees are read in parallel with pipelined requests into Merkle hash trees, then compared from the root down,
 * descending only into subtrees whose hashes differ.
 */
import type { ZkAcl } from '../../lib/zk-client';
import type { EnsembleSide } from './ensemble-side';
import { InFlightLimiter } from './in-flight-limiter';
import type { PathFilter } from './path-filter';
import { retryOnConnectionLoss } from './retry';
import { compareHashTrees, computeSubtreeHashes, Difference, HashTree, hashedNode } from './tree-hash';
import { childRel, Rel } from './tree-paths';

/** Lets a caller present a side's ACL as it should be compared (a frozen source shows its pre-freeze ACLs). */
export type AclView = (side: EnsembleSide, rel: Rel, acl: ZkAcl[]) => ZkAcl[];

export interface VerifyOptions {
  source: EnsembleSide;
  target: EnsembleSide;
  filter: PathFilter;
  maxInFlight?: number;
  aclView?: AclView;
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
export async function readHashTree(side: EnsembleSide, options: Pick<VerifyOptions, 'filter' | 'maxInFlight' | 'aclView' | 'ignore'>): Promise<HashTree> {
  const limiter = new InFlightLimiter(options.maxInFlight ?? 1000);
  const run = <T>(op: () => Promise<T>): Promise<T> => limiter.run(() => retryOnConnectionLoss(side, op));
  const tree: HashTree = new Map();

  const visit = async (rel: Rel): Promise<boolean> => {
    const node = await run(() => side.get(rel));
    const acl = node && (await run(() => side.acl(rel)));
    if (!node || !acl || node.stat.ephemeralOwner !== '0') return false;
    const names = node.stat.numChildren > 0 ? ((await run(() => side.children(rel))) ?? []) : [];
    const wanted = names.filter((name) => {
      const child = childRel(rel, name);
      return options.filter.inScope(child) && !options.ignore?.has(child);
    });
    const settled = await Promise.allSettled(wanted.map((name) => visit(childRel(rel, name))));
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    const present = settled.map((r) => (r as PromiseFulfilledResult<boolean>).value);
    const view = options.aclView ? options.aclView(side, rel, acl.acl) : acl.acl;
    tree.set(
      rel,
      hashedNode(
        node.data,
        view,
        wanted.filter((_, i) => present[i]),
      ),
    );
    return true;
  };

  if (await visit('')) computeSubtreeHashes(tree);
  return tree;
}
