/**
 * Merkle hashes over a znode tree and the comparison that walks two of them. A node's digest covers its data and
 * its ACL; a subtree's hash covers the node's digest and its children's names and subtree hashes, so two equal
 * subtree hashes prove the whole subtree equal and the comparison descends only where hashes differ. Sequential
 * nodes are compared by name, which is what "kept their names" means; ephemerals are not part of either tree.
 */
import { createHash, hash } from 'node:crypto';
import type { ZkAcl } from '../../lib/zk-client';
import { childRel, displayRel, Rel } from './tree-paths';

/**
 * Digests are kept as 20-character latin1 strings, not Buffers: a verify of 100,000 nodes per side holds several
 * hundred thousand of them, and a small Buffer costs the garbage collector far more than a short string.
 */
export interface HashedNode {
  data: string;
  acl: string;
  children: string[];
  subtree?: string;
}

export type HashTree = Map<Rel, HashedNode>;

export type DifferenceKind = 'missing-on-target' | 'missing-on-source' | 'data' | 'acl';

export interface Difference {
  path: string;
  kind: DifferenceKind;
}

function digest(input: Buffer | string): string {
  return hash('sha1', input, 'binary'); // 'binary' is latin1: one char per byte
}

/** ACLs in a canonical order, so the same entries listed differently hash the same (ZooKeeper treats them as a set). */
export function canonicalAcl(acl: ZkAcl[]): string {
  return acl
    .map((a) => `${a.scheme}:${a.auth}:${a.perms}`)
    .sort()
    .join(',');
}

/**
 * ZooKeeper (since the CVE-2019-0201 fix) shows digest ACL entries as `user:x` to a session without ADMIN on the
 * node. Such an ACL cannot be copied faithfully; the engine needs credentials (`--source-auth`).
 */
export function aclRedacted(acl: ZkAcl[]): boolean {
  return acl.some((a) => a.scheme === 'digest' && a.auth.endsWith(':x'));
}

/** The entries of a redacted ACL that can be copied: failing closed beats a world-open copy of a guarded node. */
export function readableAclEntries(acl: ZkAcl[]): ZkAcl[] {
  return acl.filter((a) => !(a.scheme === 'digest' && a.auth.endsWith(':x')));
}

export function aclEqual(a: ZkAcl[], b: ZkAcl[]): boolean {
  return canonicalAcl(a) === canonicalAcl(b);
}

export function hashedNode(data: Buffer, acl: ZkAcl[], children: string[]): HashedNode {
  return { data: digest(data), acl: digest(canonicalAcl(acl)), children: [...children].sort() };
}

/**
 * Fills in every subtree hash under `rel` and returns `rel`'s. Iterative, as the comparison below: a tree may be
 * deeper than the JavaScript stack (ZooKeeper bounds a path's length only by its 1 MB request size). Nodes are
 * listed in pre-order and hashed in reverse, which puts every child before its parent.
 */
export function computeSubtreeHashes(tree: HashTree, rel: Rel = ''): string {
  const order: Rel[] = [];
  const stack: Rel[] = [rel];
  while (stack.length > 0) {
    const at = stack.pop()!;
    const node = tree.get(at);
    if (!node) throw new Error(`hash tree has no node ${displayRel(at)}`);
    order.push(at);
    for (const name of node.children) stack.push(childRel(at, name));
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const at = order[i];
    const node = tree.get(at)!;
    const h = createHash('sha1');
    h.update(node.data, 'latin1');
    h.update(node.acl, 'latin1');
    for (const name of node.children) {
      h.update(name);
      h.update('\0');
      h.update(tree.get(childRel(at, name))!.subtree!, 'latin1');
    }
    node.subtree = h.digest('binary');
  }
  return tree.get(rel)!.subtree!;
}

/**
 * The paths where `target` differs from `source`, in pre-order with children by name. A subtree missing on one
 * side is reported once, at its top. Both trees must have had `computeSubtreeHashes` run.
 */
export function compareHashTrees(source: HashTree, target: HashTree, rel: Rel = ''): Difference[] {
  const out: Difference[] = [];
  const stack: Rel[] = [rel];
  while (stack.length > 0) {
    const at = stack.pop()!;
    const a = source.get(at);
    const b = target.get(at);
    if (!a || !b) {
      if (a || b) out.push({ path: displayRel(at), kind: a ? 'missing-on-target' : 'missing-on-source' });
      continue;
    }
    if (a.subtree !== undefined && a.subtree === b.subtree) continue;
    if (a.data !== b.data) out.push({ path: displayRel(at), kind: 'data' });
    if (a.acl !== b.acl) out.push({ path: displayRel(at), kind: 'acl' });
    const names = [...new Set([...a.children, ...b.children])].sort();
    for (let i = names.length - 1; i >= 0; i--) stack.push(childRel(at, names[i]));
  }
  return out;
}
