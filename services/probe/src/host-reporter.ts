/**
 * The host: name, kernel, OS, uptime, load, CPU and memory use, interfaces and addresses. Everything comes from
 * the mounted /proc: the host's own network namespace through pid 1 (the probe shares the host's PID namespace),
 * its OS name through pid 1's root.
 */
import { hostId } from '../../lib/report/node-ids';
import { HOST_LABELS, HOST_METRICS, TOPOLOGY } from '../../lib/report/report-keys';
import { interfaceNames } from './net-addresses';
import type { NetNamespace } from './net-namespaces';
import { FileReader, linkInode, readLink } from './proc-files';
import { ReportWriter } from './report-writer';

interface CpuTimes {
  busy: number;
  total: number;
}

export class HostReporter {
  private previousCpu?: CpuTimes;
  private os?: string;
  readonly nodeId: string;

  constructor(
    private readonly procRoot: string,
    private readonly host: string,
    private readonly reader: FileReader,
    /** Where the host's os-release may be, in order (see collector.ts hostFiles). */
    private readonly osReleasePaths: readonly string[],
  ) {
    this.nodeId = hostId(host);
  }

  /** Seconds since boot (the process reporter needs it before the host is written). */
  uptimeSeconds(): number {
    const text = this.reader.text(`${this.procRoot}/uptime`) ?? '';
    const n = parseFloat(text);
    return Number.isFinite(n) ? n : 0;
  }

  /** The inode of the host's network namespace, pid 1's. */
  netnsInode(): number {
    const link = readLink(`${this.procRoot}/1/ns/net`);
    return link === undefined ? 0 : linkInode(link);
  }

  write(writer: ReportWriter, hostNs: NetNamespace | undefined, uptimeSeconds: number, timeMs: number): void {
    const labels: Record<string, string> = { [HOST_LABELS.name]: this.host };
    const kernel = this.reader.text(`${this.procRoot}/sys/kernel/osrelease`)?.trim();
    if (kernel) labels[HOST_LABELS.kernel] = kernel;
    const os = this.osName();
    if (os) labels[HOST_LABELS.os] = os;
    const dev = this.reader.text(`${this.procRoot}/1/net/dev`);
    if (dev !== undefined) labels[HOST_LABELS.interfaces] = interfaceNames(dev).join(',');
    if (hostNs) {
      labels[HOST_LABELS.addresses] = hostNs.addresses.join(',');
      labels[HOST_LABELS.netns] = hostNs.scope;
    }
    const metrics: Record<string, { samples: [number, number][] }> = {};
    const put = (name: string, value: number | undefined): void => {
      if (value !== undefined && Number.isFinite(value)) metrics[name] = { samples: [[timeMs, value]] };
    };
    put(HOST_METRICS.uptimeSeconds, uptimeSeconds);
    const load = (this.reader.text(`${this.procRoot}/loadavg`) ?? '').split(' ');
    put(HOST_METRICS.load1, parseFloat(load[0]));
    put(HOST_METRICS.load5, parseFloat(load[1]));
    put(HOST_METRICS.load15, parseFloat(load[2]));
    put(HOST_METRICS.cpuPercent, this.cpuPercent());
    const meminfo = this.reader.text(`${this.procRoot}/meminfo`) ?? '';
    const total = meminfoBytes(meminfo, 'MemTotal');
    const available = meminfoBytes(meminfo, 'MemAvailable');
    put(HOST_METRICS.memoryTotalBytes, total);
    if (total !== undefined && available !== undefined) put(HOST_METRICS.memoryUsedBytes, total - available);
    writer.beginTopology(TOPOLOGY.host);
    writer.node(this.nodeId, { timestamp: timeMs, labels, metrics });
    writer.endTopology();
  }

  /** Busy share of all CPUs since the previous collection, 0–100. */
  private cpuPercent(): number | undefined {
    const stat = this.reader.text(`${this.procRoot}/stat`, 4096) ?? '';
    const line = stat.slice(0, stat.indexOf('\n'));
    if (!line.startsWith('cpu ')) return undefined;
    const f = line.slice(4).trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const now = { busy: total - idle, total };
    const before = this.previousCpu;
    this.previousCpu = now;
    if (!before || now.total <= before.total) return undefined;
    return Math.round(((now.busy - before.busy) / (now.total - before.total)) * 10000) / 100;
  }

  private osName(): string | undefined {
    if (this.os !== undefined) return this.os || undefined;
    this.os = '';
    for (const path of this.osReleasePaths) {
      try {
        const text = this.reader.text(path);
        if (text === undefined) continue;
        this.os = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? '';
        break;
      } catch {
        // unreadable (pid 1 out of reach): the next candidate
      }
    }
    return this.os || undefined;
  }
}

function meminfoBytes(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}
