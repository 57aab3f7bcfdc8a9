/**
 * Retries a ZooKeeper operation through connection loss. Every operation the engine retries is safe to repeat:
 * reads are, and writes are either conditional or checked (NODEEXISTS / NONODE are treated as answers by callers).
 */
import { ZkError } from '../../lib/zk-client';
import type { EnsembleSide } from './ensemble-side';

export async function retryOnConnectionLoss<T>(side: EnsembleSide, op: () => Promise<T>, attempts = 40): Promise<T> {
  let delay = 50;
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof ZkError) || !err.isConnectionProblem || i >= attempts) throw err;
      await side.whenConnected();
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }
}
