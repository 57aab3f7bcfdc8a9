/** The real `promtool` (Debian's prometheus package), for checking and unit-testing the PromQL the program emits. */
import { execFileSync } from 'node:child_process';

/** Runs promtool; returns its output, or throws with it when it exits non-zero. */
export function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error("promtool is not installed: it comes with Debian's prometheus package (.ci/run installs it)");
    throw new Error(`promtool ${args[0]} ${args[1]} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
