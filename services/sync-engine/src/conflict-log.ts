/**
 * Every conflict the engine resolved, newest last: logged as it happens, counted in metrics, kept here for the
 * status API and appended to the state store so the record survives a restart.
 */
import type { ConflictKind, ConflictPolicy } from './conflict-policy';

export interface ConflictRecord {
  at: string;
  path: string;
  kind: ConflictKind;
  policy: ConflictPolicy;
  winner: 'source' | 'target';
  source: { exists: boolean; version?: number; mtime?: string; bytes?: number };
  target: { exists: boolean; version?: number; mtime?: string; bytes?: number };
}

export interface ConflictQuery {
  /** Only conflicts at or under this path. */
  path?: string;
  /** Only conflicts at or after this ISO time. */
  since?: string;
  limit?: number;
}

export class ConflictLog {
  private readonly records: ConflictRecord[] = [];
  private total = 0;

  constructor(
    private readonly capacity = 10_000,
    private readonly onRecord?: (record: ConflictRecord) => void,
  ) {}

  get count(): number {
    return this.total;
  }

  add(record: ConflictRecord): void {
    this.total++;
    this.records.push(record);
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
    this.onRecord?.(record);
  }

  /** Restores records written by an earlier run (oldest first). */
  load(records: ConflictRecord[]): void {
    for (const r of records) this.records.push(r);
    this.total += records.length;
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
  }

  /** Matching records, newest first. */
  query(q: ConflictQuery = {}): ConflictRecord[] {
    const out: ConflictRecord[] = [];
    const limit = q.limit ?? 100;
    for (let i = this.records.length - 1; i >= 0 && out.length < limit; i--) {
      const r = this.records[i];
      if (q.path && q.path !== '/' && r.path !== q.path && !r.path.startsWith(q.path + '/')) continue;
      if (q.since && r.at < q.since) continue;
      out.push(r);
    }
    return out;
  }
}
