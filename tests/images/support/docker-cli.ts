/**
 * The Docker CLI as the image tests use it: Debian's /usr/bin/docker with BuildKit, against the engine
 * `tools/docker/test-images.sh` chose (DOCKER_HOST), never pulling. Everything a run starts carries the run's label,
 * so the wrapper can remove what a crashed run left behind.
 */
import { execFile } from 'node:child_process';

export const DOCKER_CLI = process.env.ORCHESTRATOR_DOCKER_CLI ?? '/usr/bin/docker';
/** Set by tools/docker/test-images.sh; identifies what this run created. */
export const RUN_ID = process.env.ORCHESTRATOR_TEST_RUN ?? `local-${process.pid}`;
export const RUN_LABEL = `org.orchestrator.test-run=${RUN_ID}`;

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; resolves with its exit code and output whatever the code (callers decide what failure means). */
export function dockerRun(args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<DockerResult> {
  return new Promise((resolve) => {
    const child = execFile(DOCKER_CLI, args, { env: { ...process.env, DOCKER_BUILDKIT: '1' }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs the CLI and returns stdout trimmed; a non-zero exit throws with the end of stderr. */
export async function docker(args: string[], timeoutMs?: number): Promise<string> {
  const result = await dockerRun(args, { timeoutMs });
  if (result.code !== 0) throw new Error(`docker ${args.slice(0, 3).join(' ')} … exited ${result.code}: ${result.stderr.trim().split('\n').slice(-15).join('\n')}`);
  return result.stdout.trim();
}

export async function inspect<T = any>(kind: 'image' | 'container', ref: string): Promise<T> {
  return (JSON.parse(await docker([kind, 'inspect', ref])) as T[])[0];
}
