/**
 * Everything the CLI prints to stdout goes through here — human-readable lines by default, one JSON document with
 * --json — so results have one shape and logs (stderr, JSON from pino) never mix with them.
 */
import type { CopyReport } from './tree-copy';
import type { VerifyReport } from './verify';

export class CliOutput {
  constructor(
    private readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** The one error line a failed run ends with. */
  error(message: string): void {
    this.stderr.write(`sync-engine: ${message}\n`);
  }

  line(text: string): void {
    if (!this.json) this.stdout.write(text + '\n');
  }

  /** A result: the object as JSON with --json, the human lines otherwise. */
  result(value: unknown, lines: string[]): void {
    this.stdout.write(this.json ? JSON.stringify(value) + '\n' : lines.map((l) => l + '\n').join(''));
  }

  copyReport(report: CopyReport): void {
    const rate = report.durationMs > 0 ? Math.round((report.scanned * 1000) / report.durationMs) : report.scanned;
    this.result(report, [
      `copied ${report.scanned} nodes in ${(report.durationMs / 1000).toFixed(2)} s (${rate}/s): ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged, ${report.aclsSet} ACLs set`,
      ...(report.redactedAcls.length ? [`${report.redactedAcls.length} ACLs were redacted by the source (digest without ADMIN) and copied with only their readable entries; rerun with --source-auth:`, ...report.redactedAcls.map((p) => `  ${p}`)] : []),
      ...(report.skippedEphemerals.length ? [`skipped ${report.skippedEphemerals.length} ephemeral nodes:`, ...report.skippedEphemerals.map((p) => `  ${p}`)] : []),
    ]);
  }

  verifyReport(report: VerifyReport): void {
    const shown = report.differences.slice(0, 1000);
    this.result(report, [
      report.equal
        ? `equal: ${report.sourceNodes} nodes on each side (${(report.durationMs / 1000).toFixed(2)} s)`
        : `different: ${report.differences.length} differences (source ${report.sourceNodes} nodes, target ${report.targetNodes})`,
      ...shown.map((d) => `  ${d.kind.padEnd(17)} ${d.path}`),
      ...(report.differences.length > shown.length ? [`  … and ${report.differences.length - shown.length} more`] : []),
    ]);
  }
}
