/**
 * A container's CPU, memory, IO and PIDs from its cgroup: v2 (unified) files when the host mounts cgroup2 at the
 * root of the tree, else the v1 controllers' own trees. Only cgroups a live process is in are read, so every file
 * read exists unless the container stopped a moment ago.
 *
 *                 v2                              v1
 *   CPU           cpu.stat usage_usec             cpuacct/cpuacct.usage (ns)
 *   memory        memory.current                  memory/memory.usage_in_bytes
 *   working set   memory − memory.stat inactive_file (v1: total_inactive_file)
 *   limit         memory.max ("max": none)        memory/memory.limit_in_bytes (≥ 2^60: none)
 *   IO            io.stat rbytes/wbytes           blkio/blkio.throttle.io_service_bytes_recursive Read/Write
 *   PIDs          pids.current                    pids/pids.current
 */
import { existsSync } from 'node:fs';
import { CgroupPaths, fromRealRoot } from './cgroup-identity';
import { FileReader, KeptFiles } from './proc-files';

export interface CgroupUsage {
  cpuSeconds?: number;
  memoryUsageBytes?: number;
  memoryWorkingSetBytes?: number;
  memoryLimitBytes?: number;
  ioReadBytes?: number;
  ioWriteBytes?: number;
  pids?: number;
}

const NO_LIMIT = 2 ** 60;

/** 2 when cgroup2 is mounted at the root of the tree, else 1 (a hybrid host's cgroup2 at `unified/` has no controllers). */
export function cgroupVersion(cgroupRoot: string): 1 | 2 {
  return existsSync(`${cgroupRoot}/cgroup.controllers`) ? 2 : 1;
}

export class CgroupMetrics {
  readonly version: 1 | 2;
  private readonly v1: { memory: string; cpuacct: string; blkio: string; pids: string };
  /** Six files a container every collection (1,200 on the large host): kept open, re-read with pread. */
  private readonly files: KeptFiles;

  /**
   * @param cgroupRoot where the host's /sys/fs/cgroup is (`<sysRoot>/fs/cgroup`)
   * @param offset how many `..` lead from the probe's cgroup namespace to the real root (cgroup-identity.ts)
   */
  constructor(
    private readonly cgroupRoot: string,
    reader: FileReader,
    private readonly offset: number,
  ) {
    this.files = new KeptFiles(reader);
    this.version = cgroupVersion(cgroupRoot);
    const cpuacct = existsSync(`${cgroupRoot}/cpuacct`) ? 'cpuacct' : 'cpu,cpuacct';
    this.v1 = { memory: `${cgroupRoot}/memory`, cpuacct: `${cgroupRoot}/${cpuacct}`, blkio: `${cgroupRoot}/blkio`, pids: `${cgroupRoot}/pids` };
  }

  /** The container's usage; fields whose files are missing are left out. Throws what a read throws (not "gone"). */
  read(paths: CgroupPaths): CgroupUsage {
    return this.version === 2 ? this.readV2(paths) : this.readV1(paths);
  }

  /** Closes the files of cgroups not read since the last call: call once a collection. */
  endCollection(): void {
    this.files.sweep();
  }

  private text(path: string): string | undefined {
    return this.files.text(path, path);
  }

  private dir(base: string, path: string | undefined): string | undefined {
    if (path === undefined) return undefined;
    const real = fromRealRoot(path, this.offset);
    return real === undefined ? undefined : `${base}${real === '/' ? '' : real}`;
  }

  private readV2(paths: CgroupPaths): CgroupUsage {
    const dir = this.dir(this.cgroupRoot, paths.unified);
    if (!dir) return {};
    const usage: CgroupUsage = {};
    const usec = keyed(this.text(`${dir}/cpu.stat`), 'usage_usec');
    if (usec !== undefined) usage.cpuSeconds = usec / 1e6;
    usage.memoryUsageBytes = numberIn(this.text(`${dir}/memory.current`));
    if (usage.memoryUsageBytes !== undefined) {
      const inactive = keyed(this.text(`${dir}/memory.stat`), 'inactive_file') ?? 0;
      usage.memoryWorkingSetBytes = Math.max(0, usage.memoryUsageBytes - inactive);
    }
    usage.memoryLimitBytes = numberIn(this.text(`${dir}/memory.max`));
    const io = this.text(`${dir}/io.stat`);
    if (io !== undefined) {
      usage.ioReadBytes = sumOf(io, 'rbytes=');
      usage.ioWriteBytes = sumOf(io, 'wbytes=');
    }
    usage.pids = numberIn(this.text(`${dir}/pids.current`));
    return dropUndefined(usage);
  }

  private readV1(paths: CgroupPaths): CgroupUsage {
    const usage: CgroupUsage = {};
    const cpu = this.dir(this.v1.cpuacct, paths.cpuacct);
    if (cpu) {
      const ns = numberIn(this.text(`${cpu}/cpuacct.usage`));
      if (ns !== undefined) usage.cpuSeconds = ns / 1e9;
    }
    const memory = this.dir(this.v1.memory, paths.memory);
    if (memory) {
      usage.memoryUsageBytes = numberIn(this.text(`${memory}/memory.usage_in_bytes`));
      if (usage.memoryUsageBytes !== undefined) {
        const stat = this.text(`${memory}/memory.stat`);
        const inactive = keyed(stat, 'total_inactive_file') ?? keyed(stat, 'inactive_file') ?? 0;
        usage.memoryWorkingSetBytes = Math.max(0, usage.memoryUsageBytes - inactive);
      }
      const limit = numberIn(this.text(`${memory}/memory.limit_in_bytes`));
      if (limit !== undefined && limit < NO_LIMIT) usage.memoryLimitBytes = limit;
    }
    const blkio = this.dir(this.v1.blkio, paths.blkio);
    if (blkio) {
      const text = this.text(`${blkio}/blkio.throttle.io_service_bytes_recursive`) ?? this.text(`${blkio}/blkio.io_service_bytes_recursive`);
      if (text !== undefined) {
        usage.ioReadBytes = sumOf(text, 'Read ');
        usage.ioWriteBytes = sumOf(text, 'Write ');
      }
    }
    const pids = this.dir(this.v1.pids, paths.pids);
    if (pids) usage.pids = numberIn(this.text(`${pids}/pids.current`));
    return dropUndefined(usage);
  }
}

function numberIn(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** The value of `key value` in a flat-keyed file such as memory.stat or cpu.stat. */
function keyed(text: string | undefined, key: string): number | undefined {
  if (text === undefined) return undefined;
  let at = text.startsWith(`${key} `) ? 0 : text.indexOf(`\n${key} `);
  if (at < 0) return undefined;
  if (at > 0) at++;
  const end = text.indexOf('\n', at);
  const n = Number(text.slice(at + key.length + 1, end < 0 ? undefined : end));
  return Number.isFinite(n) ? n : undefined;
}

/** Sum of the numbers after each `marker` (io.stat's per-device `rbytes=`, blkio's per-device `Read `). */
function sumOf(text: string, marker: string): number {
  let sum = 0;
  let at = text.indexOf(marker);
  while (at >= 0) {
    // blkio's "Total" lines and "8:0 Read" both appear; only device lines start with a major:minor.
    const lineStart = text.lastIndexOf('\n', at) + 1;
    if (marker.endsWith('=') || /^\d+:\d+ /.test(text.slice(lineStart, at))) {
      const n = parseInt(text.slice(at + marker.length), 10);
      if (Number.isFinite(n)) sum += n;
    }
    at = text.indexOf(marker, at + marker.length);
  }
  return sum;
}

function dropUndefined(usage: CgroupUsage): CgroupUsage {
  for (const k of Object.keys(usage) as (keyof CgroupUsage)[]) if (usage[k] === undefined) delete usage[k];
  return usage;
}
