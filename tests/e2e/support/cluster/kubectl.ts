/**
 * kubectl (the pinned build) against one kubeconfig: what the cluster's set-up, the tests and a person all use to
 * read and change the cluster, so every check goes through the same discovery and the same API calls.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { toolBinary } from '../pinned-tools';

export class KubectlError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'KubectlError';
  }
}

/** A kubeconfig with one cluster and one token user, the current context. */
export function writeKubeconfig(path: string, opts: { server: string; caFile: string; user: string; token: string }): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'orchestrator-local', cluster: { server: opts.server, 'certificate-authority': opts.caFile } }],
    users: [{ name: opts.user, user: { token: opts.token } }],
    contexts: [{ name: 'orchestrator-local', context: { cluster: 'orchestrator-local', user: opts.user } }],
    'current-context': 'orchestrator-local',
  };
  // JSON is YAML; every client reads it.
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

export class Kubectl {
  readonly binary = toolBinary('kubernetes', 'kubectl');

  /**
   * `cacheDir` keeps kubectl's discovery cache with the cluster instead of in ~/.kube/cache, where every cluster on a
   * fresh port would leave a directory behind.
   */
  constructor(
    readonly kubeconfig: string,
    private readonly cacheDir: string,
  ) {}

  /** Runs kubectl with `args`; resolves to stdout, rejects with its stderr on a non-zero exit. */
  run(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.binary,
        ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args],
        { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 2 ** 20, env: { ...process.env, KUBECONFIG: this.kubeconfig } },
        (err, stdout, stderr) => (err ? reject(new KubectlError(`kubectl ${args.join(' ')}: ${stderr.trim() || err.message}`, stderr)) : resolve(stdout)),
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  }

  /** `kubectl get … -o json`, parsed. */
  async getJson(args: string[]): Promise<any> {
    return JSON.parse(await this.run(['get', ...args, '-o', 'json']));
  }

  /** The object, or undefined if the API server answers NotFound. */
  async getOptional(kind: string, name: string, namespace?: string): Promise<any | undefined> {
    const out = await this.run(['get', kind, name, '--ignore-not-found', '-o', 'json', ...(namespace ? ['-n', namespace] : [])]);
    // `--ignore-not-found` prints nothing at all for a missing object.
    return out.trim() === '' ? undefined : JSON.parse(out);
  }

  /** Server-side apply of plain objects, as the field manager `orchestrator-local-cluster`. */
  async apply(objects: object[]): Promise<void> {
    await this.run(['apply', '--server-side', '--field-manager=orchestrator-local-cluster', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  }
}
