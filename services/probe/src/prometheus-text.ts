/**
 * Counters, gauges and histograms in Prometheus's text exposition format (version 0.0.4), and the process metrics
 * prom-client's defaults would add, under the same names. The probe does not use prom-client: bundled it costs ~4 MB
 * of RSS (measured beside a bare node:http server), and the probe's whole budget above Node's own ~42 MB is ~18 MB.
 * Thirteen fixed series need none of its registry machinery.
 */
import { readFileSync } from 'node:fs';

type Labels = Record<string, string>;

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}

  abstract lines(): string[];

  protected header(): string[] {
    return [`# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${this.name} ${this.type}`];
  }
}

function labelText(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Series extends Metric {
  private readonly values = new Map<string, number>();

  inc(labelsOrAmount?: Labels | number, amount = 1): void {
    const labels = typeof labelsOrAmount === 'object' ? labelsOrAmount : undefined;
    const by = typeof labelsOrAmount === 'number' ? labelsOrAmount : amount;
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  set(labelsOrValue: Labels | number, value?: number): void {
    if (typeof labelsOrValue === 'number') this.values.set('', labelsOrValue);
    else this.values.set(labelText(labelsOrValue), value ?? 0);
  }

  get(labels?: Labels): number | undefined {
    return this.values.get(labelText(labels));
  }

  lines(): string[] {
    const out = this.header();
    if (this.values.size === 0 && this.type === 'counter') out.push(`${this.name} 0`);
    for (const [labels, value] of this.values) out.push(`${this.name}${labels} ${value}`);
    return out;
  }
}

export class Counter extends Series {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
}

export class Gauge extends Series {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
}

export class Histogram extends Metric {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number; labels: Labels | undefined }>();

  constructor(
    name: string,
    help: string,
    private readonly buckets: readonly number[],
  ) {
    super(name, help, 'histogram');
  }

  observe(labelsOrValue: Labels | number, value?: number): void {
    const labels = typeof labelsOrValue === 'object' ? labelsOrValue : undefined;
    const v = typeof labelsOrValue === 'number' ? labelsOrValue : (value ?? 0);
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { counts: this.buckets.map(() => 0), sum: 0, count: 0, labels }));
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) s.counts[i]++;
    s.sum += v;
    s.count++;
  }

  /** Sum and count of one series, for tests and the bench. */
  totals(labels?: Labels): { sum: number; count: number } {
    const s = this.series.get(labelText(labels));
    return { sum: s?.sum ?? 0, count: s?.count ?? 0 };
  }

  lines(): string[] {
    const out = this.header();
    for (const s of this.series.values()) {
      const base = s.labels ?? {};
      this.buckets.forEach((le, i) => out.push(`${this.name}_bucket${labelText({ ...base, le: String(le) })} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${labelText({ ...base, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class MetricsRegistry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly metrics: Metric[] = [];
  private readonly startSeconds = Math.round(Date.now() / 1000 - process.uptime());

  register<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }

  /** The exposition text, with the process's own CPU, memory and start time first. */
  render(): string {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const lines = [
      ...processMetric('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', 'counter', cpu.user / 1e6),
      ...processMetric('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', 'counter', cpu.system / 1e6),
      ...processMetric('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', 'counter', (cpu.user + cpu.system) / 1e6),
      ...processMetric('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', residentBytes() ?? memory.rss),
      ...processMetric('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', this.startSeconds),
      ...processMetric('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', 'gauge', memory.heapUsed),
      ...processMetric('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', 'gauge', memory.heapTotal),
      ...processMetric('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', 'gauge', memory.external),
    ];
    for (const m of this.metrics) lines.push(...m.lines());
    return `${lines.join('\n')}\n`;
  }
}

function processMetric(name: string, help: string, type: string, value: number): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`];
}

/** VmRSS, which is what the kernel (and a container's memory accounting) counts. */
function residentBytes(): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'));
    return kb ? Number(kb[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
