/** Test helpers: collect a report and read it the way the app does (decompress, parseProbeReport). */
import { parseProbeReport, ProbeReport } from '../../../services/lib/report/report-schema';
import { CollectedReport, Collector, CollectorOptions } from '../../../services/probe/src/collector';
import { decompressReport, ReportEncoding } from '../../../services/probe/src/report-compression';

export interface ParsedCollection {
  collected: CollectedReport;
  report: ProbeReport;
}

/**
 * The report as the app would accept it; throws (naming the field) if parseProbeReport refuses it. `encoding` is the
 * body's Content-Encoding: br, gzip, or none (identity).
 */
export function readReport(body: Buffer, encoding: string | undefined): ProbeReport {
  const json = encoding === undefined || encoding === 'identity' ? body : decompressReport(body, encoding as ReportEncoding);
  return parseProbeReport(JSON.parse(json.toString('utf8')));
}

export async function collectParsed(collector: Collector, droppedReports = 0): Promise<ParsedCollection> {
  const collected = await collector.collect(droppedReports);
  return { collected, report: readReport(collected.body, collected.encoding) };
}

export function collectorFor(options: Partial<CollectorOptions> & Pick<CollectorOptions, 'procRoot' | 'sysRoot'>): Collector {
  return new Collector({ dockerSocket: '/nonexistent/docker.sock', host: 'gen-host', intervalSeconds: 15, ...options });
}
