/**
 * The real Pulumi CLI (the pinned build), run hermetically: a local file backend, its own PULUMI_HOME, no update
 * check, and no plugin downloads — every plugin comes from the tools cache, and a missing one is an error at once
 * instead of five download attempts. Nothing from the caller's environment that would point the engine elsewhere
 * (PULUMI_*, KUBECONFIG) is passed through.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingToolError, pinnedVersions, REPO_ROOT, toolBinary, toolDir } from '../pinned-tools';

export interface PulumiPaths {
  /** The `file://` backend's directory: stack state and history. */
  backendDir: string;
  /** PULUMI_HOME: workspace selection, logs. */
  homeDir: string;
  /** The project directory the CLI runs in. */
  projectDir: string;
  /** The cluster the Kubernetes provider talks to; none for a render-only run. */
  kubeconfig?: string;
}

export interface PulumiResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class PulumiCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly result: PulumiResult,
  ) {
    super(`pulumi ${args.join(' ')} exited ${result.code}:\n${tail(`${result.stdout}\n${result.stderr}`, 40)}`);
    this.name = 'PulumiCommandError';
  }
}

/** Test runs share one passphrase: the stacks' secrets only ever live in a temp backend. */
export const LOCAL_PASSPHRASE = 'orchestrator-local';

/** The CLI's environment for one workspace. */
export function pulumiEnv(paths: PulumiPaths): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PULUMI_') && k !== 'KUBECONFIG'));
  return {
    ...inherited,
    PULUMI_BACKEND_URL: `file://${paths.backendDir}`,
    PULUMI_HOME: paths.homeDir,
    PULUMI_CONFIG_PASSPHRASE: LOCAL_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    // The engine would otherwise take any pulumi-resource-* it finds on PATH (with a warning) over the project's.
    PULUMI_IGNORE_AMBIENT_PLUGINS: 'true',
    ...(paths.kubeconfig ? { KUBECONFIG: paths.kubeconfig } : {}),
  };
}

/**
 * Where the engine finds the Kubernetes provider: the `plugins:` entry of the workspace's Pulumi.yaml. Checks that
 * it is built and that the SDK the program imports asks for the same version, since the engine would otherwise look
 * for a plugin version it does not have and say only that it is missing.
 */
export function kubernetesProviderPlugin(): { name: string; version: string; path: string } {
  const version = pinnedVersions().PULUMI_KUBERNETES_VERSION;
  toolBinary('pulumi', 'pulumi-resource-kubernetes');
  const sdk = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', '@pulumi', 'kubernetes', 'package.json'), 'utf8')).version as string;
  if (sdk !== version) {
    throw new MissingToolError(`@pulumi/kubernetes is ${sdk} in node_modules but tools/versions.env pins the provider at ${version}: pin package.json to ${version} and run npm ci`);
  }
  return { name: 'kubernetes', version, path: toolDir('pulumi') };
}

/**
 * Runs `pulumi <args>` in the project directory and resolves with its exit code and output (a non-zero exit is
 * the caller's to judge). Bounded: past `timeoutMs` the CLI is interrupted as ^C would (it cancels and writes its
 * state), and killed with its plugins 30 s later. With `echo`, the CLI's output also goes to this process's, as it
 * comes (a person watching `npm run up:local`).
 */
export function runPulumi(paths: PulumiPaths, args: string[], timeoutMs: number, opts: { echo?: boolean } = {}): Promise<PulumiResult> {
  const binary = toolBinary('pulumi', 'pulumi');
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args, '--non-interactive'], { cwd: paths.projectDir, env: pulumiEnv(paths), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (opts.echo) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (opts.echo) process.stderr.write(chunk);
    });
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // Already exited.
      }
    };
    let timedOut = false;
    const interrupt = setTimeout(() => {
      timedOut = true;
      signal('SIGINT');
    }, timeoutMs);
    const kill = setTimeout(() => signal('SIGKILL'), timeoutMs + 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      if (timedOut) reject(new Error(`pulumi ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${tail(`${stdout}\n${stderr}`, 40)}`));
      else resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Like `runPulumi`, but a non-zero exit is a `PulumiCommandError` carrying the output. */
export async function runPulumiOk(paths: PulumiPaths, args: string[], timeoutMs: number, opts: { echo?: boolean } = {}): Promise<PulumiResult> {
  const result = await runPulumi(paths, args, timeoutMs, opts);
  if (result.code !== 0) throw new PulumiCommandError(args, result);
  return result;
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
