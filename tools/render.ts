/**
 * `npm run render -- --stack <env> [--out <dir>]`: the stack's Kubernetes objects as the manifests an Argo CD
 * Application syncs, written by the real engine (the Kubernetes provider's renderYamlToDirectory) into
 * `deploy/<env>/`, with stable names so the same commit and config render byte for byte the same.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderForGitOps } from '../tests/e2e/support/engine/render';
import { REPO_ROOT } from '../tests/e2e/support/pinned-tools';

const USAGE = 'usage: npm run render -- --stack <env> [--out <dir>]   (default --out deploy/<env>)';

/** A mistake in the command line: printed with the usage, exit 2. */
class UsageError extends Error {}

function say(line: string): void {
  process.stdout.write(`[render] ${line}\n`);
}

async function main(): Promise<void> {
  let values: { stack?: string; out?: string };
  try {
    ({ values } = parseArgs({ options: { stack: { type: 'string' }, out: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const stack = values.stack;
  if (!stack) throw new UsageError('--stack is required: the stack to render, e.g. --stack dev (Pulumi.<stack>.yaml)');
  if (!/^[a-z0-9][a-z0-9-]*$/.test(stack) || !existsSync(join(REPO_ROOT, `Pulumi.${stack}.yaml`))) {
    throw new UsageError(`--stack ${JSON.stringify(stack)} names no stack file: expected Pulumi.${stack}.yaml in ${REPO_ROOT}`);
  }
  const out = values.out ?? join(REPO_ROOT, 'deploy', stack);
  const shown = relative(process.cwd(), out);
  say(`rendering the ${stack} stack with the real engine into ${shown === '' ? '.' : shown.startsWith('..') ? resolve(out) : shown}`);
  const started = Date.now();
  const render = await renderForGitOps(stack, out);
  say(`${render.files.length} objects, one file each, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const o of render.leftOut) say(`not written: ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name} (${o.reason})`);
}

main().catch((err: Error) => {
  process.stderr.write(`[render] ${err.message}\n${err instanceof UsageError ? `${USAGE}\n` : ''}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
