/**
 * The control plane's processes: started in their own process group with output to a log file each, recorded by pid,
 * and stopped by pid in the reverse of their dependencies. A pid is only signalled while /proc says it is still the
 * binary that was started, so a stop that runs late (down:local days after up:local) never hits a reused pid.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the stop order needs to know of a started process; also what the cluster's state file records. */
export interface StartedProcess {
  name: string;
  pid: number;
  binary: string;
  log: string;
}

/**
 * Starts `binary` detached from this process's group (a ^C in the terminal then reaches the cluster only through an
 * ordered stop) with stdout and stderr appended to `<logDir>/<name>.log`.
 */
export function startProcess(name: string, binary: string, args: string[], opts: { logDir: string; cwd: string; env?: NodeJS.ProcessEnv }): StartedProcess {
  const log = join(opts.logDir, `${name}.log`);
  const fd = openSync(log, 'a');
  try {
    const child = spawn(binary, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${binary}`);
    child.unref();
    // Reaps the child if it exits while this process lives; its fate is read from /proc, not from this handle.
    child.on('error', (err) => appendFileSync(log, `\n[local-cluster] ${err.message}\n`));
    return { name, pid: child.pid, binary, log };
  } finally {
    closeSync(fd);
  }
}

/** True while `pid` is a live (not zombie) process running `binary`. */
export function isRunning(pid: number, binary: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself contain spaces or parentheses.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    // argv[0] for a binary; argv[1] when an interpreter runs a script in its place.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 2).includes(binary);
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM, then SIGKILL if the process has not exited within `graceMs`; resolves once it is gone. The signal goes to
 * the process group it leads (it was started detached), so anything it spawned goes with it.
 */
export async function stopProcess(proc: StartedProcess, graceMs = 15_000): Promise<void> {
  if (!isRunning(proc.pid, proc.binary)) return;
  signalGroup(proc.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(proc.pid, proc.binary)) {
    if (Date.now() > deadline) {
      signalGroup(proc.pid, 'SIGKILL');
      appendFileSync(proc.log, `\n[local-cluster] no exit ${graceMs} ms after SIGTERM: killed\n`);
      while (isRunning(proc.pid, proc.binary)) await sleep(50);
      return;
    }
    await sleep(50);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Exited between the check and the signal.
  }
}

/** Stops every process, last started first: each one's dependencies outlive it (an API server whose etcd went first hangs). */
export async function stopInReverse(processes: StartedProcess[]): Promise<void> {
  for (const proc of [...processes].reverse()) await stopProcess(proc);
}

/** The last lines of a process's log, for an error that says why it did not come up. */
export function logTail(proc: StartedProcess, lines = 15): string {
  if (!existsSync(proc.log)) return '(no log)';
  return readFileSync(proc.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * A detached shell that waits for `parentPid` to die and then does what `stopInReverse` does, from the pids listed in
 * `stopOrderFile` (one `<pid> <binary>` per line, first to stop first), and removes `dir`. It covers the exits an
 * exit hook cannot: jest killing a stuck worker, `timeout` sending SIGTERM, a developer pressing ^C twice. The file
 * is read only when the parent is gone, so processes recorded after the watchdog started are covered too. (dash's
 * `kill` takes a negative pid for the group but refuses a `--` before it.)
 */
export function startWatchdog(parentPid: number, stopOrderFile: string, dir: string): number {
  const script = `
    while kill -0 "$1" 2>/dev/null; do sleep 1; done
    [ -f "$2" ] && while read -r pid bin; do
      tr '\\0' '\\n' < /proc/$pid/cmdline 2>/dev/null | head -n2 | grep -qxF "$bin" || continue
      kill -TERM "-$pid" 2>/dev/null; i=0
      while kill -0 "$pid" 2>/dev/null && [ $i -lt 75 ]; do sleep 0.2; i=$((i+1)); done
      kill -KILL "-$pid" 2>/dev/null
    done < "$2"
    rm -rf "$3"`;
  const child = spawn('sh', ['-c', script, 'local-cluster-watchdog', String(parentPid), stopOrderFile, dir], { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the local cluster watchdog');
  return child.pid;
}
