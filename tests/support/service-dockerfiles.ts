/**
 * Every `services/<name>/Dockerfile`, read into what the image tests check, with the service's entry in
 * `services/lib/contract.ts` (matched by image name, `orchestrator/<name>`). A new service's Dockerfile is found and
 * checked the moment it lands; nothing here lists the services by name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as contract from '../../services/lib/contract';

export const ROOT = join(__dirname, '..', '..');

/** How Kubernetes runs a service, where the contract says more than "an unprivileged user, nothing added". */
export interface ContractSecurity {
  hostPID?: boolean;
  runAsUser?: number;
  capabilities?: readonly string[];
  readOnlyRootFilesystem?: boolean;
}

export interface ServiceDockerfile {
  /** The directory name under services/, e.g. `sync-engine`. */
  name: string;
  /** Relative to the repository root, as `docker build -f` takes it. */
  path: string;
  text: string;
  /** The image of every `FROM`, in order (stage names stripped). */
  from: string[];
  /** The last `USER` (what the final stage runs as), or undefined. */
  user?: string;
  healthcheck?: string;
  /** The exec-form `ENTRYPOINT` of the final stage, parsed; undefined if absent or in shell form. */
  entrypoint?: string[];
  contract?: contract.ServiceContract & { security?: ContractSecurity };
}

function contractsByImage(): Map<string, contract.ServiceContract & { security?: ContractSecurity }> {
  const byImage = new Map<string, contract.ServiceContract & { security?: ContractSecurity }>();
  for (const value of Object.values(contract)) {
    if (value && typeof value === 'object' && 'image' in value && typeof value.image === 'string' && 'httpPort' in value) {
      byImage.set(value.image, value as contract.ServiceContract & { security?: ContractSecurity });
    }
  }
  return byImage;
}

/** Instructions of a Dockerfile with continuation lines joined and comments dropped. */
export function instructions(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

export function parseDockerfile(name: string, path: string, text: string): ServiceDockerfile {
  const lines = instructions(text);
  const args = (keyword: string) => lines.filter((l) => new RegExp(`^${keyword}\\s`, 'i').test(l)).map((l) => l.replace(/^\S+\s+/, ''));
  const lastStage = lines.length - [...lines].reverse().findIndex((l) => /^FROM\s/i.test(l)) - 1;
  const finalArgs = (keyword: string) => lines.slice(lastStage).filter((l) => new RegExp(`^${keyword}\\s`, 'i').test(l)).map((l) => l.replace(/^\S+\s+/, ''));
  const entry = finalArgs('ENTRYPOINT').pop();
  let entrypoint: string[] | undefined;
  try {
    entrypoint = entry?.startsWith('[') ? (JSON.parse(entry) as string[]) : undefined;
  } catch {
    entrypoint = undefined;
  }
  return {
    name,
    path,
    text,
    from: args('FROM').map((a) => a.split(/\s+/).filter((w) => !w.startsWith('--'))[0]),
    user: finalArgs('USER').pop(),
    healthcheck: finalArgs('HEALTHCHECK').pop(),
    entrypoint,
    contract: contractsByImage().get(`orchestrator/${name}`),
  };
}

export function serviceDockerfiles(root = ROOT): ServiceDockerfile[] {
  const services = join(root, 'services');
  return readdirSync(services, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(services, d.name, 'Dockerfile')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const path = `services/${name}/Dockerfile`;
      return parseDockerfile(name, path, readFileSync(join(root, path), 'utf8'));
    });
}

/** The pinned Node base every Dockerfile uses: node:<major.minor.patch>-bookworm-slim. */
export const PINNED_NODE_BASE = /^node:\d+\.\d+\.\d+-bookworm-slim(@sha256:[a-f0-9]{64})?$/;
