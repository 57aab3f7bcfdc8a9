/**
 * Include/exclude patterns over relative paths. A pattern is a path whose segments may use `*` (any run of
 * characters inside one segment) and whose `**` segment matches any number of segments, e.g. `/mesos/**`,
 * `/marathon/apps/*`, `/locks/job-*`. An include selects a subtree; an exclude removes a node and everything
 * under it. Ancestors of included paths are kept so the tree stays connected.
 */
import { Rel } from './tree-paths';

export interface PathFilterOptions {
  include?: string[];
  exclude?: string[];
  /** Paths always synced whatever the patterns say (the engine's heartbeat). */
  alwaysInclude?: Rel[];
}

export class PathFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathFilterError';
  }
}

type Pattern = { source: string; segments: (RegExp | null)[]; raw: string[] };

export class PathFilter {
  private readonly includes: Pattern[];
  private readonly excludes: Pattern[];
  private readonly always: Set<Rel>;

  constructor(options: PathFilterOptions = {}) {
    const include = options.include && options.include.length > 0 ? options.include : ['/**'];
    this.includes = include.map((p) => compile(p, 'include'));
    this.excludes = (options.exclude ?? []).map((p) => compile(p, 'exclude'));
    this.always = new Set(options.alwaysInclude ?? []);
    const overlap = findOverlap(this.includes, this.excludes);
    if (overlap) throw new PathFilterError(`include "${overlap.include}" is entirely inside exclude "${overlap.exclude}": nothing it selects would be synced`);
  }

  /** Whether the node at `rel` is synced (the root '' always is). */
  inScope(rel: Rel): boolean {
    if (rel === '' || this.always.has(rel)) return true;
    const segs = rel.slice(1).split('/');
    if (this.excludes.some((p) => matchesSomePrefix(p, segs))) return false;
    return this.includes.some((p) => matchesSomePrefix(p, segs) || couldMatchBelow(p, segs));
  }
}

function compile(pattern: string, kind: string): Pattern {
  if (!pattern.startsWith('/') || pattern.length < 2 || pattern.endsWith('/') || pattern.includes('//')) {
    throw new PathFilterError(`${kind} pattern "${pattern}" must be a path like /a/b, /a/*, /a/**`);
  }
  const raw = pattern.slice(1).split('/');
  const segments = raw.map((s) => (s === '**' ? null : new RegExp('^' + s.split('*').map(escapeRegExp).join('[^/]*') + '$')));
  return { source: pattern, segments, raw };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** Does `p` match `segs` exactly (segment for segment, `**` spanning any number)? */
function matchesExactly(p: Pattern, segs: string[], i = 0, j = 0): boolean {
  if (i === p.segments.length) return j === segs.length;
  const seg = p.segments[i];
  if (seg === null) {
    for (let k = j; k <= segs.length; k++) if (matchesExactly(p, segs, i + 1, k)) return true;
    return false;
  }
  return j < segs.length && seg.test(segs[j]) && matchesExactly(p, segs, i + 1, j + 1);
}

/** Does `p` match the path or one of its ancestors (so the path is inside a selected subtree)? */
function matchesSomePrefix(p: Pattern, segs: string[]): boolean {
  for (let n = 1; n <= segs.length; n++) if (matchesExactly(p, segs.slice(0, n))) return true;
  return false;
}

/** Could a descendant of the path match `p` (so the path must exist as an ancestor)? */
function couldMatchBelow(p: Pattern, segs: string[], i = 0, j = 0): boolean {
  if (j === segs.length) return i < p.segments.length;
  if (i === p.segments.length) return false;
  const seg = p.segments[i];
  if (seg === null) return true;
  return seg.test(segs[j]) && couldMatchBelow(p, segs, i + 1, j + 1);
}

/**
 * An include is dead when an exclude covers every path it can select: the exclude matches the include's literal
 * prefix (its segments up to the first wildcard), or the two patterns are the same text.
 */
function findOverlap(includes: Pattern[], excludes: Pattern[]): { include: string; exclude: string } | undefined {
  for (const inc of includes) {
    const literal: string[] = [];
    for (const s of inc.raw) {
      if (s.includes('*')) break;
      literal.push(s);
    }
    for (const exc of excludes) {
      if (exc.source === inc.source || (literal.length > 0 && matchesSomePrefix(exc, literal))) return { include: inc.source, exclude: exc.source };
      if (exc.raw.length === 1 && exc.raw[0] === '**') return { include: inc.source, exclude: exc.source };
    }
  }
  return undefined;
}
