/**
 * Reading /proc and cgroup files cheaply. A collection reads tens of thousands of small files; each read goes
 * through one buffer that lives as long as the probe, so the hot path allocates nothing but the values it keeps.
 *
 * Files vanish under a scan all the time (a process exits between readdir and read), so "gone" is a normal answer,
 * `undefined`, and not an error. Anything else (EACCES, EIO) is thrown for the reporter to count.
 */
import { closeSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';

/** Errors that mean the file or its process is gone, not that the probe cannot read it. */
const GONE = new Set(['ENOENT', 'ESRCH', 'ENOTDIR']);

export function isGone(err: unknown): boolean {
  return GONE.has((err as NodeJS.ErrnoException)?.code ?? '');
}

/** An error's short text for a report: `EACCES /proc/1/environ`. */
export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code) return `${e.code} ${e.path ?? ''}`.trim();
  return e instanceof Error ? e.message : String(err);
}

export class FileReader {
  private buf: Buffer;

  /**
   * @param initialBytes what most files fit in; the buffer doubles for a larger one, up to `maxBytes`, and keeps
   * its size (the next large file comes in the next collection). Files are cut at maxBytes: no environment a
   * probe reads is larger, and the large TCP tables are streamed (`lines`).
   */
  constructor(
    initialBytes = 64 * 1024,
    private readonly maxBytes = 1024 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** The shared buffer; valid until the next read. */
  get buffer(): Buffer {
    return this.buf;
  }

  /**
   * Reads the whole file (up to maxBytes) into the shared buffer and returns its length, or undefined if it is gone.
   * @param limit stop after this many bytes (a cmdline longer than a report keeps is not worth reading).
   */
  read(path: string, limit = this.maxBytes): number | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
    try {
      let length = 0;
      for (;;) {
        if (length === this.buf.length) {
          if (length >= limit || length >= this.maxBytes) break;
          this.grow(length);
        }
        const n = readSync(fd, this.buf, length, Math.min(this.buf.length, limit) - length, null);
        if (n === 0) break;
        length += n;
        if (length >= limit) break;
      }
      return length;
    } catch (err) {
      if (isGone(err)) return undefined;
      throw withPath(err, path);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Re-reads an open file from its start (pread at offset 0) into the shared buffer: for /proc files that is a fresh
   * snapshot, without the open and close. Returns the length, or undefined when the process behind it is gone.
   */
  readFd(fd: number): number | undefined {
    try {
      let length = 0;
      for (;;) {
        const n = readSync(fd, this.buf, length, this.buf.length - length, length);
        length += n;
        if (n === 0 || length < this.buf.length || length >= this.maxBytes) return length;
        this.grow(length);
      }
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
  }

  /** Doubles the buffer (up to maxBytes), keeping its first `length` bytes. */
  private grow(length: number): void {
    const grown = Buffer.allocUnsafe(Math.min(this.buf.length * 2, this.maxBytes));
    this.buf.copy(grown, 0, 0, length);
    this.buf = grown;
  }

  /** The file as text (latin1: /proc text is ASCII), or undefined if it is gone. */
  text(path: string, limit?: number): string | undefined {
    const n = this.read(path, limit);
    return n === undefined ? undefined : this.buf.toString('latin1', 0, n);
  }

  /**
   * Streams a large file through a fixed window of the buffer, handing `consume` whole lines only: it returns how
   * far it got (the start of the first incomplete line), and the rest is carried into the next read. Used for
   * /proc/net/tcp, which is ~150 bytes per socket and would otherwise need a buffer as large as the table.
   * Returns false if the file is gone.
   */
  lines(path: string, consume: LineConsumer, window = 256 * 1024): boolean {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (isGone(err)) return false;
      throw err;
    }
    try {
      return this.linesFd(fd, consume, window, false) ?? false;
    } catch (err) {
      throw withPath(err, path);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * `lines` of an open file; `fromStart` reads it with pread from offset 0 (a kept /proc file: a fresh snapshot).
   * Returns undefined if the file is gone.
   */
  linesFd(fd: number, consume: LineConsumer, window = 256 * 1024, fromStart = true): boolean | undefined {
    if (this.buf.length < window) this.buf = Buffer.allocUnsafe(window);
    try {
      let carried = 0;
      let position = 0;
      for (;;) {
        const n = readSync(fd, this.buf, carried, window - carried, fromStart ? position : null);
        position += n;
        const end = carried + n;
        if (n === 0) {
          if (end > 0) consume(this.buf, 0, end);
          return true;
        }
        const used = consume(this.buf, 0, end);
        carried = end - used;
        // A line longer than the window cannot be carried; such a file is not a TCP table.
        if (carried >= window) return true;
        if (carried > 0) this.buf.copy(this.buf, 0, used, end);
      }
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
  }
}

type LineConsumer = (buf: Buffer, start: number, end: number) => number;

/** What a kept descriptor reads once the file behind it is gone: a removed cgroup's files (kernfs) say ENODEV. */
const STALE = new Set(['ENOENT', 'ESRCH', 'ENOTDIR', 'ENODEV']);

/**
 * Files read every collection under keys that name what they show (a process's stat by its pid, a cgroup file by
 * its path, a network namespace's table by the namespace's inode), kept open and re-read with pread: one system
 * call instead of open, read and close, and no path walk. A descriptor that reads an error of a file that is gone,
 * or nothing, is closed and the path opened again, once; a file not read in a collection is closed at `sweep` (a
 * kept /proc/<pid>/net file holds its namespace, so it must not outlive the namespace's last process by more than a
 * collection). When the descriptor limit is reached, files are opened and closed as usual.
 */
export class KeptFiles {
  /**
   * By key: the descriptor × 2 plus the parity of the last collection (sweep count) that read it. Every file is
   * either read in a collection or closed at its sweep, so one bit tells the two apart, and 4,000 kept files cost
   * a small integer each rather than an object.
   */
  private readonly fds = new Map<string, number>();
  private parity = 0;
  private keep = true;

  constructor(
    private readonly reader: FileReader,
    private readonly maxKept = 8192,
  ) {}

  /** The file `key` (at `path`) read into the reader's buffer: its length, or undefined if it is gone. */
  read(key: string, path: string): number | undefined {
    return this.use(key, path, (fd) => this.reader.readFd(fd), () => this.reader.read(path));
  }

  /** As `read`, the file as latin1 text. */
  text(key: string, path: string): string | undefined {
    const n = this.read(key, path);
    return n === undefined ? undefined : this.reader.buffer.toString('latin1', 0, n);
  }

  /** FileReader.lines of the kept file; false if it is gone. */
  lines(key: string, path: string, consume: LineConsumer): boolean {
    return this.use(key, path, (fd) => this.reader.linesFd(fd, consume), () => this.reader.lines(path, consume)) ?? false;
  }

  /** Closes the files not read since the last sweep. */
  sweep(): void {
    // A Map may lose entries while forEach walks it; no copy of 4,000 entries a collection.
    this.fds.forEach((kept, key) => {
      if ((kept & 1) !== this.parity) this.close(key);
    });
    this.parity ^= 1;
  }

  private use<T>(key: string, path: string, readFd: (fd: number) => T | undefined, readPath: () => T | undefined): T | undefined {
    const kept = this.fds.get(key);
    if (kept !== undefined) {
      if ((kept & 1) !== this.parity) this.fds.set(key, kept ^ 1);
      try {
        const value = readFd(kept >> 1);
        // Nothing at all from a kept file that had text is a file emptied and removed (a generated host's /proc).
        if (value !== undefined && value !== 0) return value;
      } catch (err) {
        if (!STALE.has((err as NodeJS.ErrnoException)?.code ?? '')) throw withPath(err, path);
      }
      this.close(key);
    }
    if (!this.keep || this.fds.size >= this.maxKept) return readPath();
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (isGone(err)) return undefined;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EMFILE' && code !== 'ENFILE') throw err;
      // Out of descriptors: give back the kept ones and read the way everyone does.
      this.keep = false;
      for (const k of [...this.fds.keys()]) this.close(k);
      return readPath();
    }
    this.fds.set(key, fd * 2 + this.parity);
    try {
      return readFd(fd);
    } catch (err) {
      throw withPath(err, path);
    }
  }

  private close(key: string): void {
    const kept = this.fds.get(key);
    if (kept === undefined) return;
    this.fds.delete(key);
    try {
      closeSync(kept >> 1);
    } catch {
      // already closed
    }
  }
}

/** readSync's errors name no file; the report should. */
function withPath(err: unknown, path: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && e.path === undefined) e.path = path;
  return err;
}

/** Directory entries, or undefined if the directory is gone. */
export function listDir(path: string): string[] | undefined {
  try {
    return readdirSync(path);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

/** A symlink's target, or undefined if it is gone. */
export function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

/** The inode in a namespace or socket link such as `net:[4026531840]` or `socket:[12345]`; 0 if none. */
export function linkInode(target: string): number {
  const open = target.indexOf('[');
  if (open < 0) return 0;
  const n = Number(target.slice(open + 1, -1));
  return Number.isInteger(n) ? n : 0;
}

/** Parses a decimal number from bytes without making a string; NaN when there is no digit at `start`. */
export function parseDecimal(buf: Buffer, start: number, end: number): number {
  let n = 0;
  let i = start;
  for (; i < end; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return i === start ? Number.NaN : n;
}
