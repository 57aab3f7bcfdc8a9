/**
 * The process table: every process of the host, with who runs it and which container holds it. Reads
 * `/proc/<pid>/stat` for every process every collection (it is what says a process is alive and what it used);
 * everything that does not change while a process lives (cmdline, user, runner environment, cgroup, network
 * namespace) is read once and kept by pid, start time and name. The name is in the key because exec keeps pid and
 * start time but replaces the command line and environment.
 *
 * A process younger than SETTLE_SECONDS may still be moving into its cgroup or namespace (a container runtime's
 * init does that before it execs), so its facts are read again until it is older.
 */
import { readFileSync } from 'node:fs';
import { processId } from '../../lib/report/node-ids';
import { MAX_CMDLINE, PROCESS_LABELS, PROCESS_METRICS, TOPOLOGY } from '../../lib/report/report-keys';
import { containerFromCgroupFile, ContainerIdentity } from './cgroup-identity';
import { CollectionErrors } from './collection-errors';
import { FileReader, isGone, KeptFiles, linkInode, listDir, readLink } from './proc-files';
import { CLOCK_TICKS_PER_SECOND, parseProcStat, ProcStat } from './proc-stat';
import { ReportWriter } from './report-writer';
import { runnerLabelsFromEnviron } from './runner-environment';
import { UserNames } from './user-names';

export const SETTLE_SECONDS = 5;
const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * One object for equal facts: the processes of a container share its cgroup file and mostly its environment, and a
 * thousand copies of the same identity and runner labels are memory for nothing.
 */
class SharedFacts {
  private readonly containers = new Map<string, ContainerIdentity | undefined>();
  private readonly runners = new Map<string, Record<string, string>>();

  container(cgroupText: string): ContainerIdentity | undefined {
    if (this.containers.has(cgroupText)) return this.containers.get(cgroupText);
    if (this.containers.size > 20_000) this.containers.clear();
    const identity = containerFromCgroupFile(cgroupText);
    this.containers.set(cgroupText, identity);
    return identity;
  }

  runner(labels: Record<string, string>): Record<string, string> {
    const keys = Object.keys(labels);
    if (keys.length === 0) return NO_LABELS;
    const key = JSON.stringify(labels);
    const known = this.runners.get(key);
    if (known) return known;
    if (this.runners.size > 20_000) this.runners.clear();
    this.runners.set(key, labels);
    return labels;
  }
}
const REPORTER = TOPOLOGY.process;

/**
 * Every process's /proc/<pid>/stat is kept open and re-read with pread (proc-files.ts KeptFiles): a collection then
 * costs one system call per process instead of three. A kept descriptor belongs to the process that was there when
 * it was opened: once that process is gone it reads ESRCH, never a newcomer's, and the path is opened again.
 */
const MAX_KEPT_FILES = 16_384;

/** What is read once per process lifetime. */
export interface ProcessFacts {
  uid?: number;
  /** Runner labels (report-keys.ts RUNNER_LABELS) from the environment. */
  runner: Record<string, string>;
  container?: ContainerIdentity;
  /** Inode of its network namespace; 0 when unreadable. */
  netns: number;
  settled: boolean;
  /**
   * The labels that do not change while the facts hold (pid, name, cmdline, user, runner), as JSON members; the
   * cmdline is kept only here, since on a Java-heavy host cmdlines are most of the table's memory.
   */
  labelsJson: string;
  /** The user-name table's version the labels were made with. */
  labelsVersion: number;
}

export interface ProcessEntry {
  pid: number;
  ppid: number;
  starttime: number;
  comm: string;
  kernelThread: boolean;
  threads: number;
  rssBytes: number;
  cpuTicks: number;
  /** Over the time since the previous collection; undefined in a process's first. */
  cpuPercent?: number;
  facts: ProcessFacts;
  /** The process's node id, and the same as JSON text, encoded. */
  id: string;
  idJson: Buffer;
  /** Open fds as counted the last time its fd table was walked (socket-owners.ts), with that collection's number. */
  openFiles?: { count: number; collection: number };
}

export class ProcessTable {
  private readonly entries = new Map<number, ProcessEntry>();
  private readonly shared = new SharedFacts();
  private readonly stats: KeptFiles;
  private readonly pageSize: number;
  private collection = 0;
  private lastTime = 0;

  constructor(
    private readonly procRoot: string,
    private readonly host: string,
    private readonly reader: FileReader,
    private readonly users: UserNames,
  ) {
    this.pageSize = kernelPageSize();
    this.stats = new KeptFiles(reader, MAX_KEPT_FILES);
  }

  get collectionNumber(): number {
    return this.collection;
  }

  /** Reads every process; returns the live ones. `uptimeSeconds` is the host's, to tell a young process. */
  scan(timeMs: number, uptimeSeconds: number, errors: CollectionErrors): ProcessEntry[] {
    this.collection++;
    const elapsedSeconds = this.lastTime > 0 ? (timeMs - this.lastTime) / 1000 : 0;
    this.lastTime = timeMs;
    const names = listDir(this.procRoot) ?? [];
    const live: ProcessEntry[] = [];
    const seen = new Set<number>();
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      const entry = this.scanOne(name, pid, elapsedSeconds, uptimeSeconds, errors);
      if (!entry) continue;
      live.push(entry);
      seen.add(pid);
    }
    this.entries.forEach((_entry, pid) => {
      if (!seen.has(pid)) this.entries.delete(pid);
    });
    this.stats.sweep();
    return live;
  }

  private scanOne(name: string, pid: number, elapsedSeconds: number, uptimeSeconds: number, errors: CollectionErrors): ProcessEntry | undefined {
    let length: number | undefined;
    try {
      length = this.stats.read(name, `${this.procRoot}/${name}/stat`);
    } catch (err) {
      errors.unreadableFile(REPORTER, 'stat', err);
      return undefined;
    }
    if (length === undefined) return undefined;
    const stat = parseProcStat(this.reader.buffer, length);
    if (!stat) return undefined;
    const dir = `${this.procRoot}/${pid}`;
    let entry = this.entries.get(pid);
    if (!entry || entry.starttime !== stat.starttime || entry.comm !== stat.comm) {
      entry = {
        pid,
        ppid: stat.ppid,
        starttime: stat.starttime,
        comm: stat.comm,
        kernelThread: stat.kernelThread,
        threads: stat.threads,
        rssBytes: 0,
        cpuTicks: stat.cpuTicks,
        facts: this.readFacts(dir, stat, uptimeSeconds, errors),
        id: processId(this.host, pid, stat.starttime),
        idJson: Buffer.from(JSON.stringify(processId(this.host, pid, stat.starttime)), 'utf8'),
        // An exec'd process (same pid and start time) keeps its CPU history.
        cpuPercent: undefined,
        // Present from the start, so every entry has one shape and the hot loops that read entries stay optimized.
        openFiles: undefined,
      };
      const previous = this.entries.get(pid);
      if (previous && previous.starttime === stat.starttime && elapsedSeconds > 0) entry.cpuPercent = cpuPercent(stat.cpuTicks - previous.cpuTicks, elapsedSeconds);
      this.entries.set(pid, entry);
    } else {
      entry.cpuPercent = elapsedSeconds > 0 ? cpuPercent(stat.cpuTicks - entry.cpuTicks, elapsedSeconds) : undefined;
      entry.cpuTicks = stat.cpuTicks;
      if (!entry.facts.settled || entry.facts.labelsVersion !== this.users.version) entry.facts = this.readFacts(dir, stat, uptimeSeconds, errors);
    }
    entry.ppid = stat.ppid;
    entry.threads = stat.threads;
    entry.rssBytes = stat.rssPages * this.pageSize;
    return entry;
  }

  private readFacts(dir: string, stat: ProcStat, uptimeSeconds: number, errors: CollectionErrors): ProcessFacts {
    const settled = uptimeSeconds - stat.starttime / CLOCK_TICKS_PER_SECOND >= SETTLE_SECONDS;
    const version = this.users.version;
    if (stat.kernelThread) return { runner: NO_LABELS, netns: 0, settled: true, labelsJson: this.labelsJson(stat, '', undefined, NO_LABELS), labelsVersion: version };
    const reader = this.reader;
    const attempt = (kind: string, read: () => void): void => {
      try {
        read();
      } catch (err) {
        if (!isGone(err)) errors.unreadableFile(REPORTER, kind, err);
      }
    };
    let cmdline = '';
    let uid: number | undefined;
    let runner = NO_LABELS;
    let container: ContainerIdentity | undefined;
    let netns = 0;
    attempt('cmdline', () => {
      const n = reader.read(`${dir}/cmdline`, MAX_CMDLINE * 4) ?? 0;
      cmdline = cmdlineText(reader.buffer, n);
    });
    attempt('status', () => {
      const status = reader.text(`${dir}/status`, 2048) ?? '';
      const m = /\nUid:\s+\d+\s+(\d+)/.exec(status);
      if (m) uid = Number(m[1]);
    });
    attempt('environ', () => {
      const n = reader.read(`${dir}/environ`);
      if (n !== undefined) runner = this.shared.runner(runnerLabelsFromEnviron(reader.buffer, n));
    });
    attempt('cgroup', () => {
      const text = reader.text(`${dir}/cgroup`);
      if (text !== undefined) container = this.shared.container(text);
    });
    attempt('ns/net', () => {
      const link = readLink(`${dir}/ns/net`);
      if (link !== undefined) netns = linkInode(link);
    });
    return { uid, runner, container, netns, settled, labelsJson: this.labelsJson(stat, cmdline, uid, runner), labelsVersion: version };
  }

  private labelsJson(stat: ProcStat, cmdline: string, uid: number | undefined, runner: Record<string, string>): string {
    const labels: Record<string, string> = { [PROCESS_LABELS.pid]: String(stat.pid), [PROCESS_LABELS.name]: stat.comm, ...runner };
    if (cmdline) labels[PROCESS_LABELS.cmdline] = cmdline;
    if (uid !== undefined) {
      labels[PROCESS_LABELS.uid] = String(uid);
      const user = this.users.name(uid);
      if (user !== undefined) labels[PROCESS_LABELS.user] = user;
    }
    return JSON.stringify(labels).slice(1, -1);
  }

  /**
   * Writes the process topology: one node per live process. A process's unchanging labels are stringified once per
   * lifetime; each collection adds only its numbers, written as digits into the report (report-writer.ts beginNode).
   */
  writeNodes(writer: ReportWriter, processes: readonly ProcessEntry[], timeMs: number, hostNodeId: string, containerNodeId: (c: ContainerIdentity) => string): void {
    writer.beginTopology(TOPOLOGY.process);
    const text = collectionText(timeMs, hostNodeId);
    const containerText = new Map<string, Buffer>();
    for (const p of processes) {
      // "<id>":{"timestamp":…,"labels":{…,"ppid":"…"},"metrics":{…},"parents":{"host":[…],"container":[…]}}
      writer.beginNode();
      writer.bytes(p.idJson);
      writer.bytes(text.labels);
      writer.text(p.facts.labelsJson);
      writer.bytes(PPID);
      writer.int(p.ppid);
      writer.bytes(text.rss);
      writer.int(p.rssBytes);
      writer.bytes(text.threads);
      writer.int(p.threads);
      if (p.cpuPercent !== undefined) {
        writer.bytes(text.cpu);
        writer.text(String(p.cpuPercent));
      }
      if (p.openFiles && p.openFiles.collection === this.collection) {
        writer.bytes(text.openFiles);
        writer.int(p.openFiles.count);
      }
      writer.bytes(text.hostParent);
      const c = p.facts.container;
      if (c) {
        let json = containerText.get(c.id);
        if (json === undefined) containerText.set(c.id, (json = Buffer.from(`,"container":[${JSON.stringify(containerNodeId(c))}]`, 'utf8')));
        writer.bytes(json);
      }
      writer.bytes(CLOSE_NODE);
    }
    writer.endTopology();
  }
}

const PPID = Buffer.from(`,"${PROCESS_LABELS.ppid}":"`, 'latin1');
const CLOSE_NODE = Buffer.from('}}', 'latin1');

/**
 * The text between a process node's values, encoded once per collection. Each metric's text closes the value
 * before it: the first closes the labels (`"},"metrics":{`), the others the previous sample (`]]},`).
 */
function collectionText(timeMs: number, hostNodeId: string) {
  const encode = (s: string): Buffer => Buffer.from(s, 'utf8');
  const sample = (name: string, first: boolean): Buffer => encode(`${first ? '"},"metrics":{' : ']]},'}"${name}":{"samples":[[${timeMs},`);
  return {
    labels: encode(`:{"timestamp":${timeMs},"labels":{`),
    rss: sample(PROCESS_METRICS.memoryRssBytes, true),
    threads: sample(PROCESS_METRICS.threads, false),
    cpu: sample(PROCESS_METRICS.cpuPercent, false),
    openFiles: sample(PROCESS_METRICS.openFiles, false),
    hostParent: encode(`]]}},"parents":{"host":[${JSON.stringify(hostNodeId)}]`),
  };
}

function cpuPercent(ticks: number, elapsedSeconds: number): number {
  return Math.max(0, Math.round(((ticks / CLOCK_TICKS_PER_SECOND / elapsedSeconds) * 100) * 100) / 100);
}

/** Arguments joined by spaces, cut at MAX_CMDLINE characters. */
export function cmdlineText(buf: Buffer, length: number): string {
  let end = length;
  while (end > 0 && buf[end - 1] === 0) end--;
  for (let i = 0; i < end; i++) if (buf[i] === 0) buf[i] = 32;
  const text = buf.toString('utf8', 0, end);
  return text.length > MAX_CMDLINE ? text.slice(0, MAX_CMDLINE) : text;
}

/** The kernel's page size, for RSS from stat's page count: from the probe's own smaps, 4 KiB if unreadable. */
function kernelPageSize(): number {
  try {
    const smaps = readFileSync('/proc/self/smaps', { encoding: 'latin1', flag: 'r' }).slice(0, 4096);
    const kb = /KernelPageSize:\s+(\d+) kB/.exec(smaps);
    if (kb) return Number(kb[1]) * 1024;
  } catch {
    // fall through
  }
  return 4096;
}
