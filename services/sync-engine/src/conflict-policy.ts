/**
 * What to do with one znode, given what each side holds now and what the engine recorded at the last sync.
 *
 * zxids and mtimes are not comparable across ensembles, so "who changed it" is answered per side: a side changed
 * the node if its (czxid, version) differs from the pair the engine recorded when it last saw both sides equal.
 * A conflict is both sides changing (or one deleting while the other updates) since then; the policy picks the
 * winner. This module is pure so the whole decision table is tested directly and by property.
 */

export type ConflictPolicy = 'source-wins' | 'target-wins' | 'newest-wins';
export const CONFLICT_POLICIES: readonly ConflictPolicy[] = ['source-wins', 'target-wins', 'newest-wins'];

/** Which way changes flow: one way from the source (a) or from the target (b), or both ways. */
export type Direction = 'a-to-b' | 'b-to-a' | 'two-way';

/** One side's node as read just now; `data` equality is decided by the caller (`equal`). */
export type NodeState = { exists: false } | { exists: true; czxid: number; version: number; mtime: number };

/**
 * A node's identity on one side. czxid -1: not known yet (created by the engine, not read since). `aversion`, when
 * present, is the ACL version at which its ACL last matched the other side's.
 */
export interface NodeIdentity {
  czxid: number;
  version: number;
  aversion?: number;
}

/** The node's identity on each side when the engine last saw both equal. */
export interface LedgerEntry {
  a: NodeIdentity;
  b: NodeIdentity;
  /**
   * With both ACL versions recorded: the ACLs were world-open (as compared) at those versions. Most trees' nodes
   * are, so a cutover's freeze knows their originals without reading them.
   */
  openAcl?: true;
}

export type Action = 'in-sync' | 'forget' | 'copy-to-b' | 'copy-to-a' | 'delete-b' | 'delete-a';

/**
 * `recreated-overwritten` is not decided here: the replicator records it when a forwarded change landed on a node
 * the other side had deleted and created again meanwhile (ZooKeeper's conditional write checks versions only).
 */
export const CONFLICT_KINDS = ['update-update', 'delete-update', 'no-history', 'recreated-overwritten'] as const;
export type ConflictKind = (typeof CONFLICT_KINDS)[number];

export interface Decision {
  action: Action;
  conflict?: { kind: ConflictKind; winner: 'source' | 'target' };
}

export function changedSince(node: { czxid: number; version: number }, recorded: { czxid: number; version: number } | undefined): boolean {
  if (!recorded) return true;
  return node.version !== recorded.version || (recorded.czxid !== -1 && node.czxid !== recorded.czxid);
}

/**
 * Decides the action for one node. `equal` says whether both sides' content (data, and ACLs when compared) match;
 * it is only consulted when both exist.
 */
export function decide(a: NodeState, b: NodeState, equal: boolean, entry: LedgerEntry | undefined, direction: Direction, policy: ConflictPolicy): Decision {
  if (direction === 'b-to-a') return mirror(decide(b, a, equal, entry && { a: entry.b, b: entry.a }, 'a-to-b', policy));
  if (!a.exists && !b.exists) return { action: 'forget' };
  if (a.exists && b.exists && equal) return { action: 'in-sync' };

  if (direction === 'a-to-b') {
    // The target is a replica: whatever differs is made like the source. A target-side change since the last sync
    // that gets overwritten is still a conflict worth recording.
    const action: Action = a.exists ? 'copy-to-b' : 'delete-b';
    const aChanged = a.exists ? changedSince(a, entry?.a) : true;
    const bChanged = b.exists ? changedSince(b, entry?.b) : true;
    if (entry && aChanged && bChanged && b.exists) return { action, conflict: { kind: a.exists ? 'update-update' : 'delete-update', winner: 'source' } };
    return { action };
  }

  if (a.exists && b.exists) {
    if (!entry) return resolveUpdate('no-history', a, b, policy);
    const aChanged = changedSince(a, entry.a);
    const bChanged = changedSince(b, entry.b);
    if (aChanged && !bChanged) return { action: 'copy-to-b' };
    if (bChanged && !aChanged) return { action: 'copy-to-a' };
    return resolveUpdate('update-update', a, b, policy);
  }
  if (a.exists) {
    // Only the source has it: new on the source, or deleted on the target since the last sync.
    if (!entry) return { action: 'copy-to-b' };
    if (!changedSince(a, entry.a)) return { action: 'delete-a' };
    return resolveDelete('target', policy);
  }
  if (!entry) return { action: 'copy-to-a' };
  if (!changedSince(b as { czxid: number; version: number }, entry.b)) return { action: 'delete-b' };
  return resolveDelete('source', policy);
}

function resolveUpdate(kind: ConflictKind, a: { mtime: number }, b: { mtime: number }, policy: ConflictPolicy): Decision {
  const winner = policy === 'source-wins' ? 'source' : policy === 'target-wins' ? 'target' : a.mtime >= b.mtime ? 'source' : 'target';
  return { action: winner === 'source' ? 'copy-to-b' : 'copy-to-a', conflict: { kind, winner } };
}

/**
 * One side deleted the node while the other updated it. A delete carries no mtime, so newest-wins keeps the update
 * (the update is known to be after the last sync; the delete's time is not known at all).
 */
function resolveDelete(deleter: 'source' | 'target', policy: ConflictPolicy): Decision {
  const updater = deleter === 'source' ? 'target' : 'source';
  const winner = policy === 'source-wins' ? 'source' : policy === 'target-wins' ? 'target' : updater;
  if (winner === deleter) return { action: deleter === 'source' ? 'delete-b' : 'delete-a', conflict: { kind: 'delete-update', winner } };
  return { action: updater === 'source' ? 'copy-to-b' : 'copy-to-a', conflict: { kind: 'delete-update', winner } };
}

const MIRRORED: Record<Action, Action> = { 'in-sync': 'in-sync', forget: 'forget', 'copy-to-b': 'copy-to-a', 'copy-to-a': 'copy-to-b', 'delete-b': 'delete-a', 'delete-a': 'delete-b' };

function mirror(d: Decision): Decision {
  return { action: MIRRORED[d.action], conflict: d.conflict && { kind: d.conflict.kind, winner: d.conflict.winner === 'source' ? 'target' : 'source' } };
}
