/**
 * Freezing a tree: every node's ACL becomes "world may read, the engine may do anything", so clients can no longer
 * write while the engine still can (to drain, to reverse-sync, to unfreeze). ZooKeeper ACLs are per node and not
 * inherited, so the whole subtree is walked top down (depth first, bounded): a node's children are listed after
 * the node is frozen, and once it is frozen nobody can add a child to it, so that listing is final.
 *
 * Crash safety: the original ACL of every node whose ACL is not world-open is written to the state store before
 * that node's ACL is changed (nodes read in the same event-loop turn share one write), and a node already carrying
 * the freeze ACL is skipped, so a rerun after a crash neither loses an original nor records the freeze ACL as one.
 *
 * Cost: ZooKeeper has no batched ACL read or write, so freezing is one getAcl and one setAcl per node on the side
 * being frozen — which, during a cutover, is the busiest server. Where the replica's copy of the ACL is known to be
 * the same (`replicaAcl`), the original is read there instead and the freeze is conditional on the ACL version the
 * frozen side's batched read returned, so an ACL changed in between fails the write and the node is read again
 * from the frozen side itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isZkError, OPEN_ACL_UNSAFE, ZkAcl, ZkCode, ZkPerm } from '../../lib/zk-client';
import type { EnsembleSide } from './ensemble-side';
import type { PathFilter } from './path-filter';
import { retryOnConnectionLoss } from './retry';
import type { AclLens } from './replicator';
import { aclEqual, aclRedacted } from './tree-hash';
import { childRel, Rel } from './tree-paths';
import { walkTree } from './tree-walk';

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
  /**
   * The node's ACL as the other side holds it, if that is known to equal this side's ACL at ACL version `aversion`
   * (the replicator's ledger vouches for both); null when it cannot say, and the node's own ACL is read.
   */
  replicaAcl?: (rel: Rel, aversion: number) => Promise<ZkAcl[] | null>;
}

/** Freezes every node of the tree; returns how many ACLs it changed. */
export async function freezeTree(options: FreezeOptions): Promise<number> {
  const { side, record } = options;
  const frozen = freezeAcl(record.credentials);
  await authenticate(side, record.credentials);
  // Originals are persisted before the nodes they belong to are frozen; nodes read in the same turn share a write.
  let flush: Promise<void> | undefined;
  const persistSoon = (): Promise<void> =>
    (flush ??= new Promise((resolve, reject) =>
      setImmediate(() => {
        flush = undefined;
        try {
          options.persist(record);
          resolve();
        } catch (err) {
          reject(err);
        }
      }),
    ));
  let changed = 0;
  const readAcl = options.replicaAcl && replicaFirst(side, options.replicaAcl);
  await walkAcls(
    options,
    async (rel, acl, aversion) => {
      if (aclEqual(acl, frozen)) return 'unchanged';
      if (aclRedacted(acl)) throw new Error(`cannot freeze ${side.abs(rel)}: its digest ACL is redacted (no ADMIN), so it could not be restored; pass --${side.name}-auth`);
      if (!aclEqual(acl, OPEN_ACL_UNSAFE)) {
        record.originals[rel] = acl;
        await persistSoon();
      }
      try {
        await retryOnConnectionLoss(side, () => side.setAcl(rel, frozen, aversion).catch(ignoreMissing));
      } catch (err) {
        // The ACL changed since the version the original was taken at: take it again, from this side.
        if (isZkError(err, ZkCode.BADVERSION)) {
          delete record.originals[rel];
          return 'stale';
        }
        throw err;
      }
      changed++;
      return 'changed';
    },
    readAcl,
  );
  return changed;
}

/**
 * Reads a node's ACL from the replica where it can vouch for it: the frozen side's batched read gives the ACL
 * version, the replica the ACL. Otherwise (or when the node is gone) from the side itself, unconditionally.
 */
function replicaFirst(side: EnsembleSide, replicaAcl: NonNullable<FreezeOptions['replicaAcl']>): AclReader {
  return async (rel) => {
    const node = await retryOnConnectionLoss(side, () => side.readData(rel));
    const acl = node && (await replicaAcl(rel, node.stat.aversion));
    return acl ? { acl, aversion: node.stat.aversion, numChildren: node.stat.numChildren } : ownAcl(side, rel);
  };
}

type AclReader = (rel: Rel) => Promise<{ acl: ZkAcl[]; aversion: number; numChildren: number } | null>;

/** The node's ACL read from `side` itself; a freeze then writes unconditionally (version -1). */
async function ownAcl(side: EnsembleSide, rel: Rel): Promise<{ acl: ZkAcl[]; aversion: number; numChildren: number } | null> {
  const current = await retryOnConnectionLoss(side, () => side.acl(rel));
  return current && { acl: current.acl, aversion: -1, numChildren: current.stat.numChildren };
}

/** Gives every frozen node back its original ACL (world-open unless recorded otherwise). */
export async function unfreezeTree(options: Omit<FreezeOptions, 'persist'>): Promise<number> {
  const { side, record } = options;
  const frozen = freezeAcl(record.credentials);
  await authenticate(side, record.credentials);
  let changed = 0;
  await walkAcls(options, async (rel, acl) => {
    if (!aclEqual(acl, frozen)) return 'unchanged';
    await retryOnConnectionLoss(side, () => side.setAcl(rel, record.originals[rel] ?? OPEN_ACL_UNSAFE).catch(ignoreMissing));
    changed++;
    return 'changed';
  });
  return changed;
}

/**
 * Walks the tree top down (tree-walk.ts), reading each node's ACL (by `readAcl`, or from the side) and handing it to
 * `visit` before the node's children are listed; `aversion` is the ACL version a write may be conditional on (-1:
 * none), and a visit that answers 'stale' gets the node again, read from the side. A node `visit` changed is
 * listed after the change, not from the Stat read before it: a child added in between would otherwise be missed —
 * and stay writable through a freeze.
 */
async function walkAcls(
  options: Pick<FreezeOptions, 'side' | 'filter' | 'maxInFlight'>,
  visit: (rel: Rel, acl: ZkAcl[], aversion: number) => Promise<'changed' | 'unchanged' | 'stale'>,
  readAcl: AclReader = (rel) => ownAcl(options.side, rel),
): Promise<void> {
  const { side, filter } = options;
  await walkTree(
    '',
    {
      enter: async (rel) => {
        let current = await readAcl(rel);
        if (!current) return null;
        let outcome = await visit(rel, current.acl, current.aversion);
        if (outcome === 'stale') {
          current = await ownAcl(side, rel);
          if (!current) return null;
          outcome = await visit(rel, current.acl, -1);
        }
        // On the data session, like the setAcl, so the listing is ordered after the freeze.
        const names = outcome === 'changed' || current.numChildren > 0 ? ((await retryOnConnectionLoss(side, () => side.read(rel)))?.children ?? []) : [];
        return { children: names.filter((name) => filter.inScope(childRel(rel, name))), value: undefined };
      },
    },
    options.maxInFlight ?? 1000,
  );
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
