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
  lines(path: string, consume: (buf: Buffer, start: number, end: number) => number, window = 256 * 1024): boolean {
    if (this.buf.length < window) this.buf = Buffer.allocUnsafe(window);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (isGone(err)) return false;
      throw err;
    }
    try {
      let carried = 0;
      for (;;) {
        const n = readSync(fd, this.buf, carried, window - carried, null);
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
      if (isGone(err)) return false;
      throw withPath(err, path);
    } finally {
      closeSync(fd);
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
