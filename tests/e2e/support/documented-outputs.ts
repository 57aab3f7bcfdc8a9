/**
 * The stack outputs README.md documents as the platform's contract (its "Stack outputs" table), read from the README
 * itself so that a documented output the program stops exporting, or an undocumented one it starts to, fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './pinned-tools';

/**
 * The outputs every stack exports, sorted. Rows whose description starts "only while `<setting>`" are left out: a
 * stack exports those only with that setting on, and neither checked-in stack turns one on.
 */
export function documentedOutputs(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Stack outputs'));
  if (!section) throw new Error('README.md has no "## Stack outputs" section');
  return [...section.matchAll(/^\| `([A-Za-z0-9]+)` \| (.*)$/gm)]
    .filter((m) => !m[2].startsWith('only while'))
    .map((m) => m[1])
    .sort();
}
