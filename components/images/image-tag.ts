/**
 * The service images' default tag: the git commit the program runs from. Read from git here, not from config,
 * because it is a fact of the checkout; `images.tag` overrides it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { StackConfigError } from '../stack-config';

/** The repository root: the build context of every service image. */
export const REPOSITORY_ROOT = join(__dirname, '..', '..');

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: REPOSITORY_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

/**
 * The 12-hex commit, with `-dirty` when `markUncommitted` and the tree has uncommitted changes: an image built from
 * them must not take the name of the commit's own image. Throws the one config line when there is no git commit.
 */
export function gitCommitTag(options: { markUncommitted: boolean }): string {
  let commit: string;
  try {
    commit = git(['rev-parse', '--short=12', 'HEAD']);
  } catch {
    throw new StackConfigError('orchestrator:images.tag is required here: there is no git commit to default to (git rev-parse HEAD failed)');
  }
  if (options.markUncommitted && git(['status', '--porcelain', '--untracked-files=no']) !== '') return `${commit}-dirty`;
  return commit;
}
