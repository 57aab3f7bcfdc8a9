/**
 * Retries a ZooKeeper operation through connection loss. Every operation the engine retries is safe to repeat:
 * reads are, and writes are either conditional or checked (NODEEXISTS / NONODE are treated as answers by callers).
 */
import { ZkError } from '../../lib/zk-client';

/** Codes that say "this request, now, against this tree, is wrong" — retrying would give the same answer. */
const PERMANENT = new Set([-8 /* BADARGUMENTS */, -101 /* NONODE */, -102 /* NOAUTH */, -103 /* BADVERSION */, -108 /* NOCHILDRENFOREPHEMERALS */, -110 /* NODEEXISTS */, -111 /* NOTEMPTY */, -114 /* INVALIDACL */, -115 /* AUTHFAILED */]);

/**
 * Worth retrying: connection trouble, and the errors the C client reports while it is between connections
 * (RUNTIMEINCONSISTENCY, SYSTEMERROR, MARSHALLINGERROR) which say nothing about the node.
 */
export function isTransient(err: unknown): boolean {
  return err instanceof ZkError && (err.isConnectionProblem || !PERMANENT.has(err.code));
}
import type { EnsembleSide } from './ensemble-side';

export async function retryOnConnectionLoss<T>(side: EnsembleSide, op: () => Promise<T>, attempts = 40): Promise<T> {
  let delay = 50;
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (err) {
      if (!isTransient(err) || i >= attempts) throw err;
      await side.whenConnected();
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }
}
