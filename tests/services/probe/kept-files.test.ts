/**
 * Files kept open between collections (proc-files.ts KeptFiles), against the real /proc of real processes: a kept
 * file is a fresh snapshot at every read, a kept file of a process that exited is given up rather than read stale,
 * and a file no collection reads any more is closed.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { FileReader, KeptFiles } from '../../../services/probe/src/proc-files';

/** Descriptors this process has open on `path`. */
function openOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // the directory's own descriptor, closed by now
    }
  }
  return n;
}

function sleeper(): Promise<ChildProcess> {
  const child = spawn('/bin/sleep', ['600'], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

describe('files kept open between collections', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  test('a kept /proc/<pid>/net/tcp shows a socket opened after it was first read', async () => {
    const files = new KeptFiles(new FileReader());
    const path = `/proc/${process.pid}/net/tcp`;
    const before = files.text('tcp', path) ?? '';
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
      expect(before).not.toContain(`0100007F${hexPort}`);
      expect(files.text('tcp', path)).toContain(`0100007F${hexPort}`);
      expect(openOn(path)).toBe(1);
    } finally {
      server.close();
    }
  });

  test('a kept file of a process that exited reads as gone, and its descriptor is closed', async () => {
    const child = await sleeper();
    children.push(child);
    const files = new KeptFiles(new FileReader());
    const path = `/proc/${child.pid}/stat`;
    expect(files.text('stat', path)).toMatch(/^\d+ \(sleep\) /);
    expect(openOn(path)).toBe(1);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(files.text('stat', path)).toBeUndefined();
    expect(openOn(path)).toBe(0);
  });

  test('a file not read since the last sweep is closed at the next', async () => {
    const child = await sleeper();
    children.push(child);
    const files = new KeptFiles(new FileReader());
    const stat = `/proc/${child.pid}/stat`;
    const status = `/proc/${child.pid}/status`;
    files.read(stat, stat);
    files.read(status, status);
    files.sweep();
    expect(openOn(stat) + openOn(status)).toBe(2);
    files.read(stat, stat);
    files.sweep();
    expect(openOn(stat)).toBe(1);
    expect(openOn(status)).toBe(0);
  });
});
