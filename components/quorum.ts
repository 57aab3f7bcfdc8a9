/** Majority of `n` voters: floor(n/2)+1. ZooKeeper, the Mesos replicated log and PDBs all derive from this. */
export function quorumSize(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`quorum of ${n} voters is undefined: need a whole number of at least 1`);
  return Math.floor(n / 2) + 1;
}

/** How many voters may be down while a majority still stands. */
export function toleratedFailures(n: number): number {
  return n - quorumSize(n);
}
