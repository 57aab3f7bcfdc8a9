/**
 * Paths inside a synced tree. Each side of a sync has its own root (its chroot); the engine reasons in paths
 * relative to that root so the same relative path names "the same node" on both ensembles: '' is the root itself,
 * '/a/b' a descendant. Chroots are handled here rather than by the client's connect-string chroot so that one
 * session per ensemble can also reach the engine's own nodes outside the tree (published connect string).
 */

/** A path relative to a side's root: '' for the root, otherwise '/a/b'. */
export type Rel = string;

export function childRel(parent: Rel, name: string): Rel {
  return `${parent}/${name}`;
}

export function parentRel(rel: Rel): Rel {
  return rel.slice(0, rel.lastIndexOf('/'));
}

/** The absolute ZooKeeper path of `rel` under `root`. */
export function absPath(root: string, rel: Rel): string {
  if (root === '/') return rel === '' ? '/' : rel;
  return root + rel;
}

/** True when `rel` is `prefix` itself or lies underneath it. */
export function isWithin(rel: Rel, prefix: Rel): boolean {
  return rel === prefix || rel.startsWith(prefix + '/') || prefix === '';
}

/** `/a/b` relative to '' is shown as '/a/b', the root as '/'. */
export function displayRel(rel: Rel): string {
  return rel === '' ? '/' : rel;
}

export interface ConnectTarget {
  /** host:port[,host:port...] */
  hosts: string;
  /** The chroot, '/' when none was given. */
  root: string;
}

const HOSTS = /^[A-Za-z0-9.\-[\]:]+:\d+(,[A-Za-z0-9.\-[\]:]+:\d+)*$/;

/**
 * Splits `host:port,.../chroot` into hosts and a normalised root, or explains in one phrase what is wrong.
 * ZooKeeper path rules: no empty segments, no trailing slash, no '.' or '..' segments.
 */
export function parseConnect(connect: string): ConnectTarget | { error: string } {
  const slash = connect.indexOf('/');
  const hosts = slash < 0 ? connect : connect.slice(0, slash);
  const root = slash < 0 ? '/' : connect.slice(slash);
  if (!HOSTS.test(hosts)) return { error: `"${connect}" is not a connect string host:port[,host:port...][/chroot]` };
  const pathError = checkZkPath(root);
  if (pathError) return { error: `chroot "${root}" ${pathError}` };
  return { hosts, root };
}

/** Why `path` is not a valid absolute ZooKeeper path, or undefined when it is. */
export function checkZkPath(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with /';
  if (path === '/') return undefined;
  if (path.endsWith('/')) return 'must not end with /';
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') return 'must not contain an empty segment (//)';
    if (segment === '.' || segment === '..') return 'must not contain . or .. segments';
    if ([...segment].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'must not contain control characters';
  }
  return undefined;
}

/** True when two absolute paths are the same node or one contains the other. */
export function pathsOverlap(a: string, b: string): boolean {
  const within = (x: string, y: string): boolean => y === '/' || x === y || x.startsWith(y + '/');
  return within(a, b) || within(b, a);
}
