/**
 * What went wrong in one collection, by reporter: the report's `stats.collectionErrors`. A reporter that cannot
 * read some files still reports what it could; the error says what is missing so an operator can tell a probe
 * without SYS_PTRACE from a host without Docker.
 */
import { errorText } from './proc-files';

export class CollectionErrors {
  private readonly errors: Record<string, string> = {};
  /** Files of one kind a reporter could not read, counted: `process` → `environ` → { count, example }. */
  private readonly unreadable = new Map<string, Map<string, { count: number; example: string }>>();

  /** The reporter failed at something as a whole (its last such error is kept). */
  fail(reporter: string, message: string): void {
    this.errors[reporter] = message.length > 1000 ? `${message.slice(0, 997)}...` : message;
  }

  /** One file of `kind` was unreadable for a reason other than its process being gone. */
  unreadableFile(reporter: string, kind: string, err: unknown): void {
    let kinds = this.unreadable.get(reporter);
    if (!kinds) this.unreadable.set(reporter, (kinds = new Map()));
    const seen = kinds.get(kind);
    if (seen) seen.count++;
    else kinds.set(kind, { count: 1, example: errorText(err) });
  }

  /** By reporter, the way the report carries them. */
  toRecord(): Record<string, string> {
    const out = { ...this.errors };
    for (const [reporter, kinds] of this.unreadable) {
      const parts = [...kinds].map(([kind, { count, example }]) => `${kind} unreadable for ${count} (e.g. ${example})`);
      out[reporter] = out[reporter] ? `${out[reporter]}; ${parts.join('; ')}` : parts.join('; ');
    }
    return out;
  }

  get count(): number {
    return Object.keys(this.toRecord()).length;
  }
}
