/**
 * One service container as the tests run it: on the host's network, every capability dropped but those the
 * contract grants, no privilege escalation, a read-only root where the contract asks for one, the contract's PID
 * namespace, and Docker's health checks every second (the image's own HEALTHCHECK command, just sooner).
 */
import { readFileSync } from 'node:fs';
import type { ContractSecurity } from '../../support/service-dockerfiles';
import { docker, dockerRun, inspect, RUN_ID, RUN_LABEL } from './docker-cli';

export function securityFlags(security: ContractSecurity | undefined): string[] {
  const flags = ['--cap-drop=ALL', '--security-opt=no-new-privileges'];
  for (const cap of security?.capabilities ?? []) flags.push(`--cap-add=${cap}`);
  if (security?.hostPID) flags.push('--pid=host');
  if (security?.readOnlyRootFilesystem) flags.push('--read-only', '--tmpfs=/tmp');
  return flags;
}

let seq = 0;

export class ServiceContainer {
  private constructor(readonly name: string) {}

  static async start(image: string, service: string, env: Record<string, string>, security?: ContractSecurity, extra: string[] = []): Promise<ServiceContainer> {
    const name = `orchestrator-test-${service}-${RUN_ID}-${++seq}`;
    const envFlags = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await docker(['run', '-d', '--name', name, '--label', RUN_LABEL, '--network=host', '--health-interval=1s', ...securityFlags(security), ...envFlags, ...extra, image]);
    return new ServiceContainer(name);
  }

  async state(): Promise<{ Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean; Pid: number; Health?: { Status: string } }> {
    return (await inspect('container', this.name)).State;
  }

  /** The uid the container's main process runs as, read from the host's /proc. */
  async processUid(): Promise<number> {
    const { Pid } = await this.state();
    const status = readFileSync(`/proc/${Pid}/status`, 'utf8');
    return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
  }

  /** The uid the image's declared USER resolves to (what `docker exec` runs as by default). */
  async declaredUid(): Promise<number> {
    return Number(await docker(['exec', this.name, 'id', '-u']));
  }

  async logs(): Promise<string> {
    const r = await dockerRun(['logs', '--tail', '40', this.name]);
    return `${r.stdout}${r.stderr}`.trim();
  }

  /** `docker stop`: SIGTERM, then SIGKILL only after `graceSeconds`. */
  async stop(graceSeconds: number): Promise<void> {
    await docker(['stop', '-t', String(graceSeconds), this.name], (graceSeconds + 30) * 1000);
  }

  /** Removes the container and its anonymous volumes, running or not. */
  async remove(): Promise<void> {
    await dockerRun(['rm', '-f', '-v', this.name]);
  }
}
