/**
 * Renders a stack to Kubernetes manifests with the real engine: the Kubernetes provider's `renderYamlToDirectory`
 * mode, in which `pulumi up` writes every object it would apply as one YAML file and talks to no cluster. What the
 * GitOps work commits for Argo CD to sync comes from here.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ConfigSetting } from './local-stack-config';
import { StackWorkspace } from './stack-workspace';

export interface RenderOptions {
  /** Settings on top of the stack file and the local ones, e.g. a test's image tag. */
  config?: ConfigSetting[];
}

/**
 * Renders `stack` (its checked-in `Pulumi.<stack>.yaml`) into `outDir` and returns the files written, relative to
 * it. Each render uses a fresh state and needs an empty directory: in render mode the provider writes only the
 * objects that changed since the last update of the same state.
 */
export async function renderStackToDirectory(stack: string, outDir: string, opts: RenderOptions = {}): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  if (readdirSync(outDir).length > 0) throw new Error(`render target ${outDir} is not empty`);
  const workspace = await StackWorkspace.create({ stack });
  try {
    for (const setting of [...(opts.config ?? []), { key: 'kubernetes:renderYamlToDirectory', value: outDir }]) await workspace.setConfig(setting);
    await workspace.upOk();
    return manifestFiles(outDir);
  } finally {
    workspace.dispose();
  }
}

/** Every YAML file under `dir`, relative paths, sorted. */
export function manifestFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix))
    .flatMap((entry) => {
      const rel = join(prefix, entry);
      return statSync(join(dir, rel)).isDirectory() ? manifestFiles(dir, rel) : /\.ya?ml$/.test(entry) ? [rel] : [];
    })
    .sort();
}

/** The Kubernetes objects in the rendered files (all of them, or those in `files`). */
export function readManifests(dir: string, files = manifestFiles(dir)): any[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
      .map((doc) => doc.toJSON())
      .filter((obj) => obj && typeof obj === 'object'),
  );
}

/**
 * Names that do not change between renders. The engine's autonaming config (honoured by the Kubernetes provider
 * since 4.19) in verbatim mode names every object the program leaves unnamed by its logical name, so two renders of
 * the same commit and config are byte-identical and Argo CD sees no churn. A ConfigMap change still rolls its pods:
 * the workloads carry a hash of their config in the pod template (`orchestrator/config-hash`).
 */
export const STABLE_NAMES: ConfigSetting = { key: 'pulumi:autonaming.mode', value: 'verbatim' };

/** An object the GitOps render does not write, and why. */
export interface LeftOut {
  kind: string;
  namespace?: string;
  name: string;
  reason: string;
}

export interface GitOpsRender {
  /** The directory written: every object the stack declares, one YAML file each, less `leftOut`. */
  dir: string;
  files: string[];
  leftOut: LeftOut[];
}

/**
 * Why an object the program declares does not belong in the directory Argo CD syncs, if it does not. Secrets would
 * sit in git in plain text: they come from the cluster (created once, or by a secrets operator) under the same name.
 * The Argo CD AppProject and Application are what syncs the directory; they live in Argo CD's namespace, which the
 * project's own destinations do not admit, and Pulumi keeps them.
 */
function reasonToLeaveOut(obj: any): string | undefined {
  if (obj.kind === 'Secret' && obj.apiVersion === 'v1') return 'a Secret stays out of git: create it in the cluster under this name';
  if (/^argoproj\.io\//.test(obj.apiVersion) && (obj.kind === 'Application' || obj.kind === 'AppProject')) return 'Argo CD\'s own object, kept by `pulumi up`';
  return undefined;
}

/**
 * `npm run render`: renders `stack` with stable names into `outDir` (`deploy/<stack>`), the directory an Argo CD
 * Application syncs. The render happens in a directory beside `outDir` and replaces it only once complete, so an
 * interrupted or failed render leaves the previous one as it was.
 */
export async function renderForGitOps(stack: string, outDir: string, opts: RenderOptions = {}): Promise<GitOpsRender> {
  const target = resolve(outDir);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.render-`));
  try {
    await renderStackToDirectory(stack, staging, { config: [...(opts.config ?? []), STABLE_NAMES] });
    const leftOut: LeftOut[] = [];
    for (const file of manifestFiles(staging)) {
      const objects = readManifests(staging, [file]);
      const reasons = objects.map(reasonToLeaveOut);
      if (reasons.some((r) => r === undefined)) continue;
      objects.forEach((o, i) => leftOut.push({ kind: o.kind, namespace: o.metadata?.namespace, name: o.metadata?.name, reason: reasons[i]! }));
      rmSync(join(staging, file));
    }
    const previous = `${staging}.previous`;
    if (existsSync(target)) renameSync(target, previous);
    try {
      renameSync(staging, target);
    } catch (err) {
      if (existsSync(previous)) renameSync(previous, target);
      throw err;
    }
    rmSync(previous, { recursive: true, force: true });
    return { dir: target, files: manifestFiles(target), leftOut };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
