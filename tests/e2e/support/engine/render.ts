/**
 * Renders a stack to Kubernetes manifests with the real engine: the Kubernetes provider's `renderYamlToDirectory`
 * mode, in which `pulumi up` writes every object it would apply as one YAML file and talks to no cluster. What the
 * GitOps work commits for Argo CD to sync comes from here.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

/** The Kubernetes objects in the rendered files. */
export function readManifests(dir: string): any[] {
  return manifestFiles(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
      .map((doc) => doc.toJSON())
      .filter((obj) => obj && typeof obj === 'object'),
  );
}
