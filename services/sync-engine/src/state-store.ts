/**
 * Where the engine keeps what must survive a crash — the cutover phase, the freeze credentials and original ACLs,
 * the sync ledger, the conflict record — outside the synced tree so replication never touches it: a directory
 * (in Kubernetes, a small persistent volume). Each file is replaced atomically (write, fsync, rename), so a crash
 * leaves the previous version or the new one, never half of one.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export class StateStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  readBuffer(name: string): Buffer | undefined {
    try {
      return readFileSync(join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  writeBuffer(name: string, data: Buffer | string): void {
    const path = join(this.dir, name);
    const tmp = `${path}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }

  /** `writeBuffer` off the event loop, for large files written while the engine replicates (the ledger). */
  async writeBufferAsync(name: string, data: Buffer): Promise<void> {
    const path = join(this.dir, name);
    const tmp = `${path}.tmp-${process.pid}-async`;
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  }

  readJson<T>(name: string): T | undefined {
    const buffer = this.readBuffer(name);
    return buffer ? (JSON.parse(buffer.toString('utf8')) as T) : undefined;
  }

  writeJson(name: string, value: unknown): void {
    this.writeBuffer(name, JSON.stringify(value, null, 2) + '\n');
  }

  appendLine(name: string, line: string): void {
    appendFileSync(join(this.dir, name), line + '\n');
  }

  readLines(name: string): string[] {
    const buffer = this.readBuffer(name);
    return buffer ? buffer.toString('utf8').split('\n').filter(Boolean) : [];
  }
}
