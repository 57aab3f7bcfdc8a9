/**
 * User names for uids. The probe's own /etc/passwd is the image's, not the host's; the host's is reachable as
 * `<procRoot>/1/root/etc/passwd` (pid 1's root, readable with SYS_PTRACE in the host's PID namespace). A probe run
 * on the host itself (procRoot `/proc`) whose pid 1 is out of reach falls back to /etc/passwd, which is then the
 * host's. Re-read only when its modification time changes. Without either, processes carry their uid alone.
 */
import { statSync } from 'node:fs';
import { FileReader } from './proc-files';

export class UserNames {
  private names = new Map<number, string>();
  private mtimeMs = -1;
  /** Changes whenever the table does, so labels made from it can be cached. */
  version = 0;

  constructor(
    private readonly passwdPaths: readonly string[],
    private readonly reader: FileReader,
  ) {}

  /** Re-reads the file if it changed; call once per collection. Throws what the read throws (a missing file is fine). */
  refresh(): void {
    let mtimeMs = -1;
    let path = '';
    for (const candidate of this.passwdPaths) {
      try {
        mtimeMs = statSync(candidate).mtimeMs;
        path = candidate;
        break;
      } catch {
        // the next candidate
      }
    }
    if (!path) {
      if (this.mtimeMs !== -1) this.version++;
      this.names.clear();
      this.mtimeMs = -1;
      return;
    }
    if (mtimeMs === this.mtimeMs) return;
    const text = this.reader.text(path) ?? '';
    this.names = parsePasswd(text);
    this.mtimeMs = mtimeMs;
    this.version++;
  }

  name(uid: number): string | undefined {
    return this.names.get(uid);
  }
}

export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || line.startsWith('#')) continue;
    const uid = Number(fields[2]);
    if (Number.isInteger(uid) && !names.has(uid)) names.set(uid, fields[0]);
  }
  return names;
}
