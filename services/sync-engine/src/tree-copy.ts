/**
 * Bulk copy of a subtree from one ensemble to another: data and ACLs, ephemerals skipped and listed, sequential
 * nodes created under their exact names. The walk (tree-walk.ts) keeps up to `maxInFlight` nodes in progress, depth
 * first: children are created as soon as their parent exists, and memory stays bounded however wide the tree is.
 * Requests go through each side's wire session, which batches the reads of a turn into one multiRead and the
 * creates into one multi transaction (wire-session.ts) — ZooKeeper's per-request cost is what bounds a copy.
 *
 * Idempotent and resumable: an existing target node is compared and only fixed where it differs, so a second run
 * or a run after a crash writes only what is missing. A parent is created world-open and gets its real ACL after
 * its children are copied (a restrictive ACL could otherwise stop the engine creating them); a crash in between
 * leaves an open ACL that the next run finds, because it re-checks ACLs of existing nodes. A node without children
 * to copy is created with its real ACL.
 */
import { isZkError, OPEN_ACL_UNSAFE, ZkAcl, ZkCode, ZkStat } from '../../lib/zk-client';
import type { Logger } from '../../lib/logger';
import type { EnsembleSide } from './ensemble-side';
import type { PathFilter } from './path-filter';
import { retryOnConnectionLoss } from './retry';
import { aclEqual, aclRedacted, readableAclEntries } from './tree-hash';
import { childRel, displayRel, Rel } from './tree-paths';
import { walkTree } from './tree-walk';

export interface CopyOptions {
  source: EnsembleSide;
  target: EnsembleSide;
  filter: PathFilter;
  /** Requests in flight at once, both sides together. */
  maxInFlight?: number;
  logger: Logger;
  /** Called after each node, for progress reporting and metrics. */
  onNode?: (outcome: 'created' | 'updated' | 'unchanged') => void;
  /**
   * Only create what the target lacks; nodes it has are neither read nor changed (and count as unchanged). The
   * sync's first start uses this: creating a missing node is what its initial compare would do under any policy,
   * while a node on both sides that differs is the compare's to decide — and to record as a conflict.
   */
  missingOnly?: boolean;
  /**
   * Called for each node the copy created: the source node's Stat as copied, and its ACL with its version when
   * the target got that exact ACL in the create (null for a parent, which gets it after its children, or a
   * redacted ACL copied in part). The sync's first start records these as synced, so its initial compare need not
   * read their ACLs again.
   */
  onCreated?: (rel: Rel, source: ZkStat, acl: { acl: ZkAcl[]; aversion: number } | null) => void;
}

export interface CopyReport {
  scanned: number;
  created: number;
  updated: number;
  unchanged: number;
  aclsSet: number;
  skippedEphemerals: string[];
  /** Nodes whose digest ACL ZooKeeper redacted for lack of ADMIN: copied with only the readable entries. */
  redactedAcls: string[];
  durationMs: number;
}

export async function copyTree(options: CopyOptions): Promise<CopyReport> {
  const { source, target, filter } = options;
  const report: CopyReport = { scanned: 0, created: 0, updated: 0, unchanged: 0, aclsSet: 0, skippedEphemerals: [], redactedAcls: [], durationMs: 0 };
  const started = Date.now();
  const onSource = <T>(op: () => Promise<T>): Promise<T> => retryOnConnectionLoss(source, op);
  const onTarget = <T>(op: () => Promise<T>): Promise<T> => retryOnConnectionLoss(target, op);

  await retryOnConnectionLoss(target, () => target.client.mkdirp(target.root));

  /** Copies one node; the value is the ACL to set once its children exist (none when the ACL is already right). */
  const enter = async (rel: Rel): Promise<{ children: string[]; value: ZkAcl[] | undefined } | null> => {
    const [node, acl] = await Promise.all([onSource(() => source.read(rel)), onSource(() => source.acl(rel))]);
    if (!node || !acl) return null; // deleted while we walked
    if (node.stat.ephemeralOwner !== '0') {
      report.skippedEphemerals.push(displayRel(rel));
      return null;
    }
    report.scanned++;
    const redacted = aclRedacted(acl.acl);
    if (redacted) {
      report.redactedAcls.push(displayRel(rel));
      acl.acl = readableAclEntries(acl.acl);
    }
    const children = node.children.filter((name) => filter.inScope(childRel(rel, name)));
    // A node without children to copy can be created with its real ACL at once; a parent gets it after them.
    const aclAtCreate = children.length === 0 && acl.acl.length > 0 ? acl.acl : OPEN_ACL_UNSAFE;

    let aclWanted: ZkAcl[] | undefined;
    const created = rel !== '' && (await onTarget(() => createIfMissing(target, rel, node.data, aclAtCreate)));
    if (created) {
      report.created++;
      options.onNode?.('created');
      if (!aclEqual(acl.acl, aclAtCreate)) aclWanted = acl.acl;
      // A redacted ACL was copied only in part: the two sides' ACLs are not the same.
      options.onCreated?.(rel, node.stat, !aclWanted && !redacted ? { acl: acl.acl, aversion: acl.stat.aversion } : null);
    } else if (options.missingOnly) {
      report.unchanged++;
      options.onNode?.('unchanged');
    } else {
      const [existing, existingAcl] = await Promise.all([onTarget(() => target.read(rel)), onTarget(() => target.acl(rel))]);
      if (!existing || !existingAcl) throw new Error(`target node ${target.abs(rel)} vanished during the copy; is another writer deleting it?`);
      if (!existing.data.equals(node.data)) {
        await onTarget(() => target.setData(rel, node.data));
        report.updated++;
        options.onNode?.('updated');
      } else {
        report.unchanged++;
        options.onNode?.('unchanged');
      }
      if (!aclEqual(existingAcl.acl, acl.acl)) aclWanted = acl.acl;
    }
    return { children, value: aclWanted };
  };

  const leave = async (rel: Rel, aclWanted: ZkAcl[] | undefined): Promise<void> => {
    if (!aclWanted) return;
    await onTarget(() => target.setAcl(rel, aclWanted));
    report.aclsSet++;
  };

  // Each node's requests run one after another, so the walk's concurrency bounds the requests in flight.
  await walkTree('', { enter, leave }, options.maxInFlight ?? 1000);
  report.durationMs = Date.now() - started;
  options.logger.info({ ...report, skippedEphemerals: report.skippedEphemerals.length, redactedAcls: report.redactedAcls.length }, 'copy finished');
  if (report.redactedAcls.length) options.logger.warn({ paths: report.redactedAcls.slice(0, 100) }, 'digest ACLs were redacted by the source; pass --source-auth to copy them in full');
  return report;
}

/** Creates the node; false if it already exists. Retried creates that find their own earlier attempt count as existing. */
async function createIfMissing(side: EnsembleSide, rel: Rel, data: Buffer, acl: ZkAcl[]): Promise<boolean> {
  try {
    await side.create(rel, data, acl);
    return true;
  } catch (err) {
    if (isZkError(err, ZkCode.NODEEXISTS)) return false;
    // A parent whose (copied) ACL denies CREATE answers NOAUTH even when the child exists: an earlier run's work.
    if (isZkError(err, ZkCode.NOAUTH) && (await side.read(rel))) return false;
    if (isZkError(err, ZkCode.NOAUTH)) throw new Error(`cannot create ${side.abs(rel)}: the target parent's ACL denies CREATE to the engine; pass --target-auth with credentials it grants`);
    throw err;
  }
}
