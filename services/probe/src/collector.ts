/**
 * One collection: every reporter in turn, written into one report, compressed. Reporters share the collection's plain
 * data (the process table, the namespaces) and each writes the one topology it owns. A reporter that throws loses
 * its topology for this collection and says why in `stats.collectionErrors`; the others still report.
 *
 * Order matters only for cost: the Docker API call goes out first and runs while /proc is read; endpoints are
 * written before processes because walking fd tables is what counts a process's open files.
 */
import { containerId } from '../../lib/report/node-ids';
import { TOPOLOGY } from '../../lib/report/report-keys';
import { REPORT_SCHEMA_VERSION_TEXT } from './report-version';
import { cgroupRootOffset, parseCgroupFile } from './cgroup-identity';
import { CgroupMetrics, cgroupVersion } from './cgroup-metrics';
import { CollectionErrors } from './collection-errors';
import { ContainerReporter, DockerContainers, DockerView } from './container-reporter';
import { DockerApi } from './docker-api';
import { EndpointCounts, EndpointReporter } from './endpoint-reporter';
import { HostReporter } from './host-reporter';
import { discoverNamespaces, NamespaceFiles, NetNamespace } from './net-namespaces';
import { FileReader } from './proc-files';
import { ProcessEntry, ProcessTable } from './process-reporter';
import { PROBE_VERSION } from './probe-version';
import { ReportEncoding, reportCompressor } from './report-compression';
import { ReportWriter } from './report-writer';
import { UserNames } from './user-names';

export interface CollectorOptions {
  procRoot: string;
  sysRoot: string;
  dockerSocket: string;
  /** The report's host and the probe id. */
  host: string;
  intervalSeconds: number;
  /** Deadline of each Docker API call. */
  dockerTimeoutMs?: number;
  /** How reports are compressed (report-compression.ts); `br` unless the app takes only gzip. */
  encoding?: ReportEncoding;
}

export interface CollectedReport {
  /** The report compressed: what is POSTed. */
  body: Buffer;
  /** The body's Content-Encoding. */
  encoding: ReportEncoding;
  rawBytes: number;
  timestamp: number;
  /** CPU seconds (user + system) of the whole collection, compression included (the report's stats count up to
   *  the last member's compression). */
  cpuSeconds: number;
  wallSeconds: number;
  collectionErrors: Record<string, string>;
  nodes: Record<string, number>;
  endpoints: EndpointCounts;
}

export class Collector {
  private readonly reader = new FileReader();
  /** The report writer's uncompressed window, one for the probe's life. */
  private readonly memberBuffer = Buffer.allocUnsafe(256 * 1024);
  private readonly host: HostReporter;
  private readonly processes: ProcessTable;
  private readonly endpoints: EndpointReporter;
  private readonly netFiles: NamespaceFiles;
  private readonly containers: ContainerReporter;
  private readonly docker: DockerContainers;
  private readonly users: UserNames;
  private encoding: ReportEncoding;

  constructor(private readonly options: CollectorOptions) {
    const { procRoot, host } = options;
    this.encoding = options.encoding ?? 'br';
    this.users = new UserNames(hostFiles(procRoot, 'etc/passwd'), this.reader);
    this.host = new HostReporter(procRoot, host, this.reader, hostFiles(procRoot, 'etc/os-release'));
    this.processes = new ProcessTable(procRoot, host, this.reader, this.users);
    this.netFiles = new NamespaceFiles(procRoot, this.reader);
    this.endpoints = new EndpointReporter(procRoot, this.netFiles);
    const cgroupRoot = `${options.sysRoot}/fs/cgroup`;
    this.containers = new ContainerReporter(new CgroupMetrics(cgroupRoot, this.reader, this.cgroupOffset(cgroupVersion(cgroupRoot))));
    this.docker = new DockerContainers(new DockerApi(options.dockerSocket, options.dockerTimeoutMs ?? Math.min(2000, options.intervalSeconds * 250)));
  }

  /** Compress the next reports as `encoding` (the transport learned that the app takes only gzip). */
  useEncoding(encoding: ReportEncoding): void {
    this.encoding = encoding;
  }

  /** @param droppedReports the transport's count so far, carried in the report's stats. */
  async collect(droppedReports: number): Promise<CollectedReport> {
    const cpuStart = process.cpuUsage();
    const wallStart = process.hrtime.bigint();
    const timestamp = Date.now();
    const errors = new CollectionErrors();
    const dockerView = this.docker.refresh();
    const writer = new ReportWriter(
      {
        schemaVersion: REPORT_SCHEMA_VERSION_TEXT,
        probe: { id: this.options.host, version: PROBE_VERSION },
        host: this.options.host,
        timestamp,
        intervalSeconds: this.options.intervalSeconds,
      },
      reportCompressor(this.encoding),
      this.memberBuffer,
    );
    const attempt = <T>(reporter: string, fallback: T, run: () => T): T => {
      try {
        return run();
      } catch (err) {
        errors.fail(reporter, err instanceof Error ? err.message : String(err));
        writer.endTopology();
        return fallback;
      }
    };
    attempt('users', undefined, () => this.users.refresh());
    const uptime = attempt(TOPOLOGY.host, 0, () => this.host.uptimeSeconds());
    const processes = attempt<ProcessEntry[]>(TOPOLOGY.process, [], () => this.processes.scan(timestamp, uptime, errors));
    const byPid = new Map<number, ProcessEntry>();
    for (const p of processes) byPid.set(p.pid, p);
    const hostInode = attempt(TOPOLOGY.host, 0, () => this.host.netnsInode()) || firstNetns(processes);
    const namespaces = attempt<NetNamespace[]>(TOPOLOGY.endpoint, [], () => discoverNamespaces(this.options.host, processes, hostInode, this.netFiles, errors));
    const noCounts: EndpointCounts = { sockets: 0, endpoints: 0, unplaced: 0, fdWalks: 0 };
    const endpointCounts = attempt(TOPOLOGY.endpoint, noCounts, () => this.endpoints.write(writer, namespaces, byPid, this.host.nodeId, timestamp, this.processes.collectionNumber, errors));
    this.netFiles.sweep();
    attempt(TOPOLOGY.process, undefined, () => this.processes.writeNodes(writer, processes, timestamp, this.host.nodeId, (c) => containerId(c.id)));
    const docker: DockerView = await dockerView;
    attempt(TOPOLOGY.container, undefined, () => this.containers.write(writer, processes, namespaces, docker, this.host.nodeId, timestamp, errors));
    attempt(TOPOLOGY.host, undefined, () =>
      this.host.write(
        writer,
        namespaces.find((ns) => ns.isHost),
        uptime,
        timestamp,
      ),
    );
    const collectionErrors = errors.toRecord();
    const beforeStats = process.cpuUsage(cpuStart);
    const { body, encoding, rawBytes } = writer.finish({ droppedReports, collectionErrors, collectionCpuSeconds: (beforeStats.user + beforeStats.system) / 1e6 });
    const cpu = process.cpuUsage(cpuStart);
    return {
      body,
      encoding,
      rawBytes,
      timestamp,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      wallSeconds: Number(process.hrtime.bigint() - wallStart) / 1e9,
      collectionErrors,
      nodes: writer.nodeCounts,
      endpoints: endpointCounts,
    };
  }

  /** How far the probe's cgroup namespace root is from the real one, from pid 1's cgroup path (cgroup-identity.ts). */
  private cgroupOffset(version: 1 | 2): number {
    try {
      const paths = parseCgroupFile(this.reader.text(`${this.options.procRoot}/1/cgroup`) ?? '');
      return cgroupRootOffset((version === 2 ? paths.unified : paths.memory) ?? '/');
    } catch {
      return 0;
    }
  }
}

/**
 * Where pid 1's namespace link is unreadable (a sandbox that denies ptrace of init), the lowest pid with a
 * readable one stands in: on a host that is init's first children, which stay in the host's namespace.
 */
function firstNetns(processes: readonly ProcessEntry[]): number {
  let best: ProcessEntry | undefined;
  for (const p of processes) if (p.facts.netns !== 0 && (!best || p.pid < best.pid)) best = p;
  return best?.facts.netns ?? 0;
}

/** The host's own copy of `file`: through pid 1's root, or on the host itself (procRoot /proc) the probe's own. */
function hostFiles(procRoot: string, file: string): string[] {
  return procRoot === '/proc' ? [`${procRoot}/1/root/${file}`, `/${file}`] : [`${procRoot}/1/root/${file}`];
}
