/**
 * Who runs a process, as the platform sees it: a Mesos executor puts MESOS_TASK_ID, MESOS_FRAMEWORK_ID, … and
 * Marathon puts MARATHON_APP_ID, … into the task's environment. `/proc/<pid>/environ` is NUL-separated `KEY=value`;
 * only entries starting with MESOS_ or MARATHON_ are even decoded, since an environment can be megabytes.
 */
import { RUNNER_ENVIRONMENT } from '../../lib/report/report-keys';
import { REPORT_LIMITS } from '../../lib/report/report-limits';

const M = 77; // 'M'

/** The runner labels (report-keys.ts RUNNER_LABELS) found in an environ's bytes `buf[0, length)`. */
export function runnerLabelsFromEnviron(buf: Buffer, length: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let start = 0;
  while (start < length) {
    let end = buf.indexOf(0, start);
    if (end < 0 || end > length) end = length;
    if (buf[start] === M && end - start > 6) {
      const eq = buf.indexOf(61 /* = */, start);
      if (eq > start && eq < end) {
        const label = RUNNER_ENVIRONMENT[buf.toString('latin1', start, eq)];
        if (label !== undefined) labels[label] = bounded(buf.toString('utf8', eq + 1, end));
      }
    }
    start = end + 1;
  }
  return labels;
}

/** The same from `KEY=value` strings, as Docker's inspect gives a container's configured environment. */
export function runnerLabelsFromEnvList(env: readonly string[] | null | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of env ?? []) {
    const eq = entry.indexOf('=');
    const label = eq > 0 ? RUNNER_ENVIRONMENT[entry.slice(0, eq)] : undefined;
    if (label !== undefined) labels[label] = bounded(entry.slice(eq + 1));
  }
  return labels;
}

function bounded(value: string): string {
  return value.length > REPORT_LIMITS.labelValueLength ? value.slice(0, REPORT_LIMITS.labelValueLength) : value;
}
