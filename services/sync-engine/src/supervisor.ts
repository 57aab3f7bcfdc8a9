/**
 * The CLI's process supervisor for long-running modes. The engine runs in a child process; the supervisor starts a
 * new one when the child ends in a way a restart can cure:
 *
 * - exit code EXIT_SESSION_EXPIRED: the child lost a ZooKeeper session and chose to end (see EnsembleSide);
 * - death by a signal the supervisor did not send (SIGSEGV, SIGABRT, ...): the native ZooKeeper client can crash
 *   the process while a session is being torn down after a long stall (its ping timer re-arms a poll handle that
 *   is already closed), and no JavaScript gets a say before it does.
 *
 * Both are safe to restart because the engine persists its sync ledger and cutover phase outside the process and a
 * new child begins with a full compare of both trees. Any other exit (0, a usage error, a failed run) is final, and
 * so is a crash loop: more than `maxCrashes` crashes within `crashWindowMs` ends the supervisor with exit code 1
 * instead of restarting forever. Restarts back off exponentially while the child keeps dying young.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { EXIT_SESSION_EXPIRED } from './ensemble-side';

export interface SuperviseOptions {
  /** The command and arguments of the child (the engine itself, marked as supervised through its env). */
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** One line per restart, for the operator. */
  report: (line: string) => void;
  /** Crashes (signal deaths) tolerated within `crashWindowMs` before giving up. */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** First restart delay; doubled for each restart of a child that lived less than `stableAfterMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  stableAfterMs?: number;
}

/** Runs the child until it ends for good; resolves with the exit code the supervisor itself should use. */
export function supervise(options: SuperviseOptions): Promise<number> {
  const maxCrashes = options.maxCrashes ?? 5;
  const crashWindowMs = options.crashWindowMs ?? 10 * 60_000;
  const initialDelayMs = options.initialDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const stableAfterMs = options.stableAfterMs ?? 60_000;

  return new Promise((resolve) => {
    let child: ChildProcess | undefined;
    let stopping = false;
    let delay = initialDelayMs;
    const crashes: number[] = [];

    const forward = (signal: NodeJS.Signals): void => {
      stopping = true;
      child?.kill(signal);
    };
    const onTerm = (): void => forward('SIGTERM');
    const onInt = (): void => forward('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    const finish = (code: number): void => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(code);
    };

    const start = (): void => {
      const startedAt = Date.now();
      child = spawn(options.command, options.args, { stdio: 'inherit', env: options.env });
      child.on('exit', (code, signal) => {
        const now = Date.now();
        if (stopping) return finish(code ?? (signal ? 128 + constants.signals[signal] : 1));
        const crashed = code === null && signal !== null;
        if (code !== EXIT_SESSION_EXPIRED && !crashed) return finish(code ?? 1);
        if (crashed) {
          crashes.push(now);
          while (crashes.length > 0 && crashes[0] < now - crashWindowMs) crashes.shift();
          if (crashes.length > maxCrashes) {
            options.report(`engine process died from ${signal} ${crashes.length} times within ${Math.round(crashWindowMs / 1000)} s; giving up`);
            return finish(1);
          }
        }
        delay = now - startedAt >= stableAfterMs ? initialDelayMs : delay;
        const why = crashed ? `died from ${signal}` : 'ended after a ZooKeeper session loss';
        options.report(`engine process ${why}; restarting in ${delay} ms (state is persisted; the new process begins with a full compare)`);
        setTimeout(start, delay);
        delay = Math.min(delay * 2, maxDelayMs);
      });
    };
    start();
  });
}
