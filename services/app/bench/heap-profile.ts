/**
 * What the app's live heap holds at the full fleet, part by part: the window filled as ingest fills it (each report
 * decoded as the worker decodes it, then compacted with the shared string table and its samples recorded), round
 * after round (HEAP_ROUNDS, default 4) as the fleet goes on reporting, then the two views the ingest bench's WebSocket
 * viewers keep hot (containers, hosts) rendered with their JSON. After each part a full GC, and the heap used then.
 * Run with --expose-gc; HEAP_SNAPSHOT=<file> also writes a heap snapshot at the end.
 */
import { loadavg } from 'node:os';
import { writeHeapSnapshot } from 'node:v8';
import { MetricHistory } from '../src/metric-history';
import { compactFlat, StringTable } from '../src/report-compaction';
import { decodeReport } from '../src/report-decoding';
import { ReportValidator } from '../src/report-validation';
import { ReportWindow } from '../src/report-window';
import { TopologyService } from '../src/topology-service';
import { BENCH_FLEET, FleetShape, inboundIndex, probeReport } from './report-generator';

export interface HeapPart {
  part: string;
  heapMb: number;
  deltaMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function liveHeapMb(): number {
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return Math.round(process.memoryUsage().heapUsed / 1048576);
}

export async function runHeapProfile(options: { shape?: Partial<FleetShape> } = {}): Promise<HeapPart[]> {
  const shape = { ...BENCH_FLEET, ...options.shape };
  let now = Date.now();
  const window = new ReportWindow({ windowMs: 15_000, clock: () => now });
  const history = new MetricHistory({ retentionMs: 300_000 });
  const strings = new StringTable();
  const validator = new ReportValidator();
  const inbound = inboundIndex(shape);
  const parts: HeapPart[] = [];
  let last = liveHeapMb();
  const mark = (part: string) => {
    const heapMb = liveHeapMb();
    parts.push({ part, heapMb, deltaMb: heapMb - last });
    last = heapMb;
  };
  mark('before (generator, validator)');
  const ingestRound = () => {
    for (let i = 0; i < shape.probes; i++) {
      const body = Buffer.from(JSON.stringify(probeReport(shape, i, now - 15_000 + (15_000 * i) / shape.probes, inbound)));
      const outcome = decodeReport(body, 'identity', 64 << 20, validator);
      if (!outcome.ok) throw new Error(outcome.message);
      const flat = outcome.flat;
      const intervalMs = flat.header.intervalSeconds * 1000;
      window.add(compactFlat(flat, window.previous(flat.header.probe.id), (_t, id, series) => history.record(id, series, intervalMs), strings));
    }
  };
  ingestRound();
  window.advance();
  mark('window + history, first round');
  const rounds = Number(process.env.HEAP_ROUNDS ?? 4);
  for (let r = 2; r <= rounds; r++) {
    now += 15_000;
    ingestRound();
    window.advance();
    mark(`window + history, round ${r}`);
  }
  const service = new TopologyService({ window, history, minGenerationMs: 0, hotMs: Infinity });
  for (const name of ['containers', 'hosts']) service.json(service.view(name, {}));
  mark('generation: containers + hosts views and JSON');
  for (const name of ['processes', 'processes-by-name', 'containers-by-image', 'pods', 'marathon-apps', 'mesos-frameworks']) service.json(service.view(name, {}));
  mark('every other topology rendered, default views');
  process.stderr.write(`history: ${history.series} series, ${Math.round(history.bytes / 1048576)} MB of slabs; strings interned: ${strings.size}; window ${JSON.stringify(window.size())}; load ${loadavg()[0]}\n`);
  if (process.env.HEAP_SNAPSHOT) writeHeapSnapshot(process.env.HEAP_SNAPSHOT);
  return parts;
}

if (require.main === module) {
  const probes = process.env.BENCH_PROBES === undefined ? undefined : Number(process.env.BENCH_PROBES);
  runHeapProfile({ shape: probes === undefined ? undefined : { probes } }).then((parts) => console.table(parts));
}
