/**
 * The one path by which HTTP handlers change allocator state: validate-and-apply through the replica, wait until the
 * change is durable, and turn the core's refusals into HTTP errors that name the field and the rule.
 */
import { HttpError } from '../../lib/service-http';
import type { Allocator } from './allocator';
import { AllocatorError } from './errors';
import type { Op } from './model';
import { NotLeaderError, Replica } from './replica';
import { StoreFailedError } from './state-store';

/** Runs a change through the replica, mapping the core's refusals to HTTP errors. */
export async function run<T>(replica: Replica, change: (a: Allocator) => { ops: Op[]; result: T }, options?: { cycleNow?: boolean }): Promise<T> {
  try {
    return await replica.commit(change, options);
  } catch (err) {
    throw toHttpError(err);
  }
}

export function toHttpError(err: unknown): unknown {
  if (err instanceof AllocatorError) return new HttpError(err.status, err.message);
  if (err instanceof NotLeaderError) return new HttpError(503, 'this replica stopped leading; retry to reach the new leader');
  if (err instanceof StoreFailedError) return new HttpError(503, 'the change could not be made durable in ZooKeeper; this replica is stepping down, retry to reach the new leader');
  return err;
}
