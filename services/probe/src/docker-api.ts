/**
 * The few read-only Docker Engine API calls the probe makes, over the daemon's unix socket with Node's own http.
 * dockerode would do the same and cost ~16 MB more RSS bundled (it brings ssh2 and two native addons), a quarter
 * of the probe's memory budget. Every call has a deadline: a daemon that hangs must not hold up a collection.
 */
import { request } from 'node:http';

export interface DockerSummary {
  Id: string;
  Names?: string[];
  Image?: string;
  Labels?: Record<string, string> | null;
  State?: string;
}

export interface DockerInspect {
  Id: string;
  Config?: { Env?: string[] | null; Image?: string };
  State?: { Pid?: number; Status?: string };
}

export class DockerApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DockerApiError';
  }
}

export class DockerApi {
  constructor(
    readonly socketPath: string,
    readonly timeoutMs: number,
  ) {}

  /** Running containers. */
  listRunning(): Promise<DockerSummary[]> {
    return this.get<DockerSummary[]>('/containers/json');
  }

  inspect(id: string): Promise<DockerInspect> {
    return this.get<DockerInspect>(`/containers/${encodeURIComponent(id)}/json`);
  }

  get<T>(path: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const fail = (message: string): void => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(new DockerApiError(message));
      };
      const timer = setTimeout(() => fail(`Docker API at ${this.socketPath} did not answer ${path} within ${this.timeoutMs} ms`), this.timeoutMs);
      const req = request({ socketPath: this.socketPath, path, method: 'GET', headers: { host: 'docker' } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('error', (err) => fail(`Docker API ${path}: ${err.message}`));
        res.on('end', () => {
          clearTimeout(timer);
          if (settled) return;
          if (res.statusCode !== 200) return fail(`Docker API ${path} answered ${res.statusCode}`);
          try {
            settled = true;
            resolve(JSON.parse(Buffer.concat(parts).toString('utf8')) as T);
          } catch (err) {
            settled = false;
            fail(`Docker API ${path} sent unparseable JSON: ${(err as Error).message}`);
          }
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        fail(err.code === 'ENOENT' ? `no Docker socket at ${this.socketPath}` : `Docker API at ${this.socketPath}: ${err.code ?? err.message}`);
      });
      req.end();
    });
  }
}
