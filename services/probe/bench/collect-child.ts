/**
 * The probe's collector alone in a process of its own, bundled as the image bundles it, driven by bench/run.ts over
 * IPC: `collect` runs one collection and answers with its CPU time (user + system from /proc/self/stat, so the
 * libuv threads' compression counts), RSS and sizes. Nothing else runs in this process, so its RSS is the probe's.
 */
import { readFileSync } from 'node:fs';
import { Collector } from '../src/collector';

interface Request {
  kind: 'collect' | 'exit' | 'snapshot';
}

const collector = new Collector({
  procRoot: process.env.PROBE_PROC_ROOT ?? '/proc',
  sysRoot: process.env.PROBE_SYS_ROOT ?? '/sys',
  dockerSocket: process.env.PROBE_DOCKER_SOCKET ?? '/var/run/docker.sock',
  host: process.env.PROBE_HOSTNAME ?? 'bench',
  intervalSeconds: 15,
  gzipLevel: process.env.BENCH_GZIP_LEVEL ? Number(process.env.BENCH_GZIP_LEVEL) : undefined,
});

/** utime + stime of this process in seconds, from the kernel (all threads). */
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function rssBytes(): number {
  const status = readFileSync('/proc/self/status', 'latin1');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
}

process.on('message', (msg: Request) => {
  // A normal exit, so --cpu-prof writes its profile.
  if (msg.kind === 'exit') process.exit(0);
  if (msg.kind === 'snapshot') {
    process.send!({ snapshot: require('node:v8').writeHeapSnapshot() });
    return;
  }
  if (msg.kind !== 'collect') return;
  void (async () => {
    const before = cpuSeconds();
    const report = await collector.collect(0);
    const after = cpuSeconds();
    process.send!({
      kernelCpuSeconds: after - before,
      cpuSeconds: report.cpuSeconds,
      wallSeconds: report.wallSeconds,
      rssBytes: rssBytes(),
      heapUsedBytes: process.memoryUsage().heapUsed,
      externalBytes: process.memoryUsage().external,
      rawBytes: report.rawBytes,
      gzipBytes: report.body.length,
      nodes: report.nodes,
      endpoints: report.endpoints,
      errors: report.collectionErrors,
    });
  })();
});
process.send!({ ready: true, rssBytes: rssBytes() });
