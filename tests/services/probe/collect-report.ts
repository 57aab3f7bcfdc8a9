/** Test helpers: collect a report and read it the way the app does (gunzip, parseProbeReport). */
import { gunzipSync } from 'node:zlib';
import { parseProbeReport, ProbeReport } from '../../../services/lib/report/report-schema';
import { CollectedReport, Collector, CollectorOptions } from '../../../services/probe/src/collector';

export interface ParsedCollection {
  collected: CollectedReport;
  report: ProbeReport;
}

/** The report as the app would accept it; throws (naming the field) if parseProbeReport refuses it. */
export function readReport(body: Buffer): ProbeReport {
  return parseProbeReport(JSON.parse(gunzipSync(body).toString('utf8')));
}

export async function collectParsed(collector: Collector, droppedReports = 0): Promise<ParsedCollection> {
  const collected = await collector.collect(droppedReports);
  return { collected, report: readReport(collected.body) };
}

export function collectorFor(options: Partial<CollectorOptions> & Pick<CollectorOptions, 'procRoot' | 'sysRoot'>): Collector {
  return new Collector({ dockerSocket: '/nonexistent/docker.sock', host: 'gen-host', intervalSeconds: 15, ...options });
}
