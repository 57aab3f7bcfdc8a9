/**
 * Freezing a tree: every node's ACL becomes "world may read, the engine may do anything", so clients can no longer
 * write while the engine still can (to drain, to reverse-sync, to unfreeze). ZooKeeper ACLs are per node and not
 * inherited, so the whole subtree is walked — top-down, level by level: once a node is frozen nobody can add a
 * child to it, so the children listed after that are final.
 *
 * Crash safety: the original ACL of every node whose ACL is not world-open is written to the state store before
 * that node's ACL is changed, and a node already carrying the freeze ACL is skipped, so a rerun after a crash
 * neither loses an original nor records the freeze ACL as one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { OPEN_ACL_UNSAFE, ZkAcl, ZkPerm } from '../../lib/zk-client';
import type { EnsembleSide } from './ensemble-side';
import { InFlightLimiter } from './in-flight-limiter';
import type { PathFilter } from './path-filter';
import { retryOnConnectionLoss } from './retry';
import type { AclLens } from './replicator';
import { aclEqual, aclRedacted } from './tree-hash';
import { childRel, Rel } from './tree-paths';

export interface FreezeCredentials {
  user: string;
  password: string;
}

export interface FreezeRecord {
  credentials: FreezeCredentials;
  /** Original ACLs of nodes that were not world-open, by relative path. */
  originals: Record<Rel, ZkAcl[]>;
}

export function newFreezeCredentials(job: string): FreezeCredentials {
  return { user: `sync-engine-${job}`, password: randomBytes(18).toString('base64url') };
}

/** The ACL a frozen node carries. ZooKeeper's digest scheme stores base64(sha1("user:password")). */
export function freezeAcl(credentials: FreezeCredentials): ZkAcl[] {
  const digest = createHash('sha1').update(`${credentials.user}:${credentials.password}`).digest('base64');
  return [
    { perms: ZkPerm.READ, scheme: 'world', auth: 'anyone' },
    { perms: ZkPerm.ALL, scheme: 'digest', auth: `${credentials.user}:${digest}` },
  ];
}

export async function authenticate(side: EnsembleSide, credentials: FreezeCredentials): Promise<void> {
  await side.addAuth('digest', `${credentials.user}:${credentials.password}`);
}

export interface FreezeOptions {
  side: EnsembleSide;
  filter: PathFilter;
  record: FreezeRecord;
  /** Persists the record; called before any node whose original is new in it is frozen. */
  persist: (record: FreezeRecord) => void;
  maxInFlight?: number;
}

/** Freezes every node of the tree; returns how many ACLs it changed. */
export async function freezeTree(options: FreezeOptions): Promise<number> {
  const { side, filter, record } = options;
  const frozen = freezeAcl(record.credentials);
  const limiter = new InFlightLimiter(options.maxInFlight ?? 1000);
  const run = <T>(op: () => Promise<T>): Promise<T> => limiter.run(() => retryOnConnectionLoss(side, op));
  await authenticate(side, record.credentials);
  let changed = 0;
  let level: Rel[] = [''];
  while (level.length > 0) {
    const acls = await Promise.all(level.map((rel) => aclIfExists(side, rel, run)));
    let newOriginals = false;
    const toFreeze: Rel[] = [];
    level.forEach((rel, i) => {
      const current = acls[i];
      if (!current || aclEqual(current.acl, frozen)) return;
      if (aclRedacted(current.acl)) throw new Error(`cannot freeze ${side.abs(rel)}: its digest ACL is redacted (no ADMIN), so it could not be restored; pass --${side.name}-auth`);
      toFreeze.push(rel);
      if (!aclEqual(current.acl, OPEN_ACL_UNSAFE)) {
        record.originals[rel] = current.acl;
        newOriginals = true;
      }
    });
    if (newOriginals) options.persist(record);
    await Promise.all(toFreeze.map((rel) => run(() => side.client.setAcl(side.abs(rel), frozen).catch(ignoreMissing))));
    changed += toFreeze.length;
    const children = await Promise.all(level.map((rel, i) => (acls[i] && acls[i]!.stat.numChildren > 0 ? run(() => side.children(rel)) : Promise.resolve([] as string[]))));
    level = level.flatMap((rel, i) => (children[i] ?? []).map((name) => childRel(rel, name)).filter((child) => filter.inScope(child)));
  }
  return changed;
}

/** Gives every frozen node back its original ACL (world-open unless recorded otherwise). */
export async function unfreezeTree(options: Omit<FreezeOptions, 'persist'>): Promise<number> {
  const { side, filter, record } = options;
  const frozen = freezeAcl(record.credentials);
  const limiter = new InFlightLimiter(options.maxInFlight ?? 1000);
  const run = <T>(op: () => Promise<T>): Promise<T> => limiter.run(() => retryOnConnectionLoss(side, op));
  await authenticate(side, record.credentials);
  let changed = 0;
  let level: Rel[] = [''];
  while (level.length > 0) {
    const acls = await Promise.all(level.map((rel) => aclIfExists(side, rel, run)));
    const toRestore = level.filter((_, i) => acls[i] && aclEqual(acls[i]!.acl, frozen));
    await Promise.all(toRestore.map((rel) => run(() => side.client.setAcl(side.abs(rel), record.originals[rel] ?? OPEN_ACL_UNSAFE).catch(ignoreMissing))));
    changed += toRestore.length;
    const children = await Promise.all(level.map((rel, i) => (acls[i] && acls[i]!.stat.numChildren > 0 ? run(() => side.children(rel)) : Promise.resolve([] as string[]))));
    level = level.flatMap((rel, i) => (children[i] ?? []).map((name) => childRel(rel, name)).filter((child) => filter.inScope(child)));
  }
  return changed;
}

/** Compares and writes a frozen side as if it were not frozen, so replication and verify see the real ACLs. */
export function freezeLens(frozenSide: EnsembleSide, record: FreezeRecord): AclLens {
  const frozen = freezeAcl(record.credentials);
  return {
    view: (side, rel, acl) => (side === frozenSide && aclEqual(acl, frozen) ? (record.originals[rel] ?? OPEN_ACL_UNSAFE) : acl),
    write: (side, rel, acl) => {
      if (side !== frozenSide) return acl;
      // A node the engine creates on the frozen side is frozen too; its real ACL is remembered for an unfreeze.
      if (!aclEqual(acl, OPEN_ACL_UNSAFE)) record.originals[rel] = acl;
      return frozen;
    },
  };
}

function ignoreMissing(err: { code?: number }): void {
  if (err.code !== -101) throw err;
}

/** Existence first: a getAcl that fails crashes the native client (see EnsembleSide.acl). */
async function aclIfExists(side: EnsembleSide, rel: Rel, run: <T>(op: () => Promise<T>) => Promise<T>): Promise<{ acl: ZkAcl[]; stat: { numChildren: number } } | null> {
  const stat = await run(() => side.client.exists(side.abs(rel)));
  return stat ? run(() => side.acl(rel)) : null;
}
