/**
 * Role names and their hierarchy. The rules are Mesos's (`roles::validate`) so that role names an operator already
 * uses with Mesos are accepted here and nothing Mesos would reject sneaks in.
 */

/** Why `name` is not a valid role name, or null if it is. */
export function roleNameError(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'must not be empty';
  if (name === '*') return "'*' is reserved for unreserved resources";
  if (name.length > 256) return 'must be at most 256 characters';
  if (name.startsWith('/') || name.endsWith('/')) return "must not start or end with '/'";
  if (/\s/.test(name)) return 'must not contain whitespace';
  for (const part of name.split('/')) {
    if (part.length === 0) return "must not contain '//'";
    if (part === '.' || part === '..') return "must not have '.' or '..' as a path component";
    if (part.startsWith('-')) return "path components must not start with '-'";
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      if (c < 0x20 || c === 0x7f) return 'must not contain control characters';
    }
  }
  return null;
}

/** `eng/ml/batch` → `['eng', 'eng/ml', 'eng/ml/batch']`: the role and its ancestors, root first. */
export function selfAndAncestors(role: string): string[] {
  const parts = role.split('/');
  const out: string[] = [];
  let prefix = '';
  for (const p of parts) {
    prefix = prefix ? `${prefix}/${p}` : p;
    out.push(prefix);
  }
  return out;
}

export function parentOf(role: string): string | null {
  const i = role.lastIndexOf('/');
  return i < 0 ? null : role.slice(0, i);
}

export function isAncestorOrSelf(ancestor: string, role: string): boolean {
  return role === ancestor || role.startsWith(`${ancestor}/`);
}
