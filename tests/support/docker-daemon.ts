/**
 * A Docker engine of the test's own: tools/docker/dockerd.sh (Debian's dockerd with its own data root, exec root and
 * socket, no change to the host's network) in a temporary directory that `stop` removes. Tests use Debian's CLI,
 * /usr/bin/docker, against its socket.
 *
 * `startDockerDaemon` answers why not, instead of throwing, where no engine can run (not root, no docker.io): the
 * tests that need one say so and skip, except under CI=true, where they must run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'tools', 'docker', 'dockerd.sh');
export const DOCKER_CLI = '/usr/bin/docker';

export interface DockerDaemon {
  dir: string;
  socket: string;
  /** Runs the Debian CLI against this engine; returns stdout, throws with stderr on failure. */
  docker(args: string[], input?: string): string;
  stop(): void;
}

export function startDockerDaemon(): DockerDaemon | string {
  if (process.getuid?.() !== 0) return 'dockerd needs root';
  if (!existsSync('/usr/sbin/dockerd') || !existsSync(DOCKER_CLI)) return 'Debian docker.io is not installed (/usr/sbin/dockerd, /usr/bin/docker)';
  const dir = mkdtempSync(join(tmpdir(), 'probe-dockerd-'));
  const env = { ...process.env, ORCHESTRATOR_DOCKERD_DIR: dir };
  const started = spawnSync('bash', [SCRIPT, 'start'], { env, encoding: 'utf8', timeout: 90_000 });
  if (started.status !== 0) {
    spawnSync('bash', [SCRIPT, 'stop'], { env, encoding: 'utf8', timeout: 90_000 });
    rmSync(dir, { recursive: true, force: true });
    return `dockerd did not start: ${(started.stderr || started.stdout || '').trim().split('\n').slice(-3).join(' / ')}`;
  }
  const socket = join(dir, 'docker.sock');
  const docker = (args: string[], input?: string): string =>
    execFileSync(DOCKER_CLI, args, { env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '1' }, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 });
  return {
    dir,
    socket,
    docker,
    stop() {
      try {
        const ids = docker(['ps', '-aq']).split('\n').filter(Boolean);
        if (ids.length) docker(['rm', '-f', ...ids]);
      } catch {
        // the engine is already unwell; stopping it removes what it ran
      }
      spawnSync('bash', [SCRIPT, 'stop'], { env, encoding: 'utf8', timeout: 90_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A tiny image without a registry: the host's binaries and the libraries `ldd` names for them, in a tar, imported.
 * Enough to run `sleep` (and whatever else is listed) in a container.
 */
export function importTinyImage(daemon: DockerDaemon, tag: string, binaries: string[]): void {
  const root = mkdtempSync(join(tmpdir(), 'probe-image-'));
  try {
    for (const binary of binaries) {
      const files = [binary, ...execFileSync('ldd', [binary], { encoding: 'utf8' }).split('\n').flatMap((line) => line.match(/\s(\/\S+)/)?.[1] ?? [])];
      for (const file of files) {
        mkdirSync(join(root, dirname(file)), { recursive: true });
        copyFileSync(file, join(root, file));
      }
    }
    const tar = `${root}.tar`;
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    try {
      daemon.docker(['import', tar, tag]);
    } finally {
      rmSync(tar, { force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
