/**
 * The pinned binaries `tools/build.sh` builds into a cache outside the clone, found the way that script lays them
 * out: `<cache>/<tool>-<version>/`, complete once its `.done` stamp exists. Nothing is downloaded at run time, so a
 * missing tool is one readable error naming the command that builds it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The clone this file belongs to: the Pulumi program, `tools/`, `package.json`. */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export class MissingToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingToolError';
  }
}

/** `tools/versions.env` as a map (`PULUMI_VERSION` → `3.274.1`). */
export function pinnedVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of readFileSync(join(REPO_ROOT, 'tools', 'versions.env'), 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(\S+)$/.exec(line.trim());
    if (match) versions[match[1]] = match[2];
  }
  return versions;
}

export function toolsCache(): string {
  return process.env.ORCHESTRATOR_TOOLS_CACHE ?? join(homedir(), '.cache', 'orchestrator', 'tools');
}

/** What `tools/build.sh <tool>` produces, by the names that script takes. */
export type PinnedTool = 'pulumi' | 'kubernetes' | 'etcd' | 'kwok';

// Must match the `out=` directory of each build_* function in tools/build.sh.
function toolDirName(tool: PinnedTool, v: Record<string, string>): string {
  switch (tool) {
    case 'pulumi':
      return `pulumi-${v.PULUMI_VERSION}-nodejs-${v.PULUMI_LANGUAGE_NODEJS_SDK}-kubernetes-${v.PULUMI_KUBERNETES_VERSION}`;
    case 'kubernetes':
      return `kubernetes-${v.KUBERNETES_VERSION}`;
    case 'etcd':
      return `etcd-${v.ETCD_VERSION}`;
    case 'kwok':
      return `kwok-${v.KWOK_VERSION}`;
  }
}

/** The directory holding a finished build of `tool`, or a `MissingToolError` saying how to build it. */
export function toolDir(tool: PinnedTool): string {
  const dir = join(toolsCache(), toolDirName(tool, pinnedVersions()));
  if (!existsSync(join(dir, '.done'))) {
    throw new MissingToolError(`${tool} is not built at ${dir}: run \`tools/build.sh ${tool}\` (the README gives cold and warm build times)`);
  }
  return dir;
}

/** Absolute path of one binary of a finished tool build. */
export function toolBinary(tool: PinnedTool, binary: string): string {
  const path = join(toolDir(tool), binary);
  if (!existsSync(path)) throw new MissingToolError(`${binary} is missing from ${toolDir(tool)}: run \`tools/build.sh ${tool}\` again`);
  return path;
}
