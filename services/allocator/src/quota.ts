/**
 * Quota arithmetic: how much more a role may be given before breaking a limit, how far it is from its guarantees,
 * and which quota configurations are consistent. Pure functions over configs and consumption, so the loop and the
 * HTTP validation share one definition.
 *
 * Consumption follows Mesos: a role consumes what is allocated in its subtree from unreserved resources plus all of
 * its subtree's reservations, allocated or not — reservations count toward quota whether used or idle.
 */
import { ScalarBounds, SCALAR_NAMES, Scalars } from './resources';
import type { RoleConfig, SubtreeTotals } from './model';
import { parentOf } from './role-names';

export function consumption(t: SubtreeTotals | undefined, name: (typeof SCALAR_NAMES)[number]): number {
  if (!t) return 0;
  return t.allocated[name] - t.reservedAllocated[name] + t.reserved[name];
}

/** Per resource, how much more the role may consume: the tightest limit on its path, minus that path's consumption. */
export function limitRoom(paths: readonly string[], configs: ReadonlyMap<string, RoleConfig>, totals: ReadonlyMap<string, SubtreeTotals>): ScalarBounds {
  const room: ScalarBounds = {};
  for (const path of paths) {
    const limits = configs.get(path)?.quota.limits;
    if (!limits) continue;
    for (const name of SCALAR_NAMES) {
      const l = limits[name];
      if (l === undefined) continue;
      const r = Math.max(0, l - consumption(totals.get(path), name));
      const cur = room[name];
      room[name] = cur === undefined ? r : Math.min(cur, r);
    }
  }
  return room;
}

/**
 * Per guaranteed resource, how far the role's path is from its guarantees (0 when met). Resources no role on the
 * path has a guarantee for are absent.
 */
export function guaranteeRoom(paths: readonly string[], configs: ReadonlyMap<string, RoleConfig>, totals: ReadonlyMap<string, SubtreeTotals>): ScalarBounds {
  const room: ScalarBounds = {};
  for (const path of paths) {
    const g = configs.get(path)?.quota.guarantees;
    if (!g) continue;
    for (const name of SCALAR_NAMES) {
      const v = g[name];
      if (v === undefined || v <= 0) continue;
      const r = Math.max(0, v - consumption(totals.get(path), name));
      const cur = room[name];
      room[name] = cur === undefined ? r : Math.min(cur, r);
    }
  }
  return room;
}

export function hasRoom(room: ScalarBounds): boolean {
  for (const name of SCALAR_NAMES) if ((room[name] ?? 0) > 0) return true;
  return false;
}

/**
 * What unmet guarantees still need from the unreserved pool: summed over the outermost roles with guarantees
 * (a parent's guarantee already contains its children's, so counting both would hold back twice).
 */
export function requiredHeadroom(roots: readonly string[], configs: ReadonlyMap<string, RoleConfig>, totals: ReadonlyMap<string, SubtreeTotals>): Scalars {
  const need: Scalars = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (const role of roots) {
    const g = configs.get(role)!.quota.guarantees;
    for (const name of SCALAR_NAMES) {
      const v = g[name];
      if (v !== undefined) need[name] += Math.max(0, v - consumption(totals.get(role), name));
    }
  }
  return need;
}

/** The outermost roles with guarantees: those no ancestor of which has guarantees. */
export function quotaRoots(configs: ReadonlyMap<string, RoleConfig>): string[] {
  return [...configs].filter(([role, config]) => hasGuarantees(config) && !hasGuaranteedAncestor(role, configs)).map(([role]) => role);
}

/** Guarantees summed over the outermost guaranteed roles: what the cluster must be able to hold. */
export function totalGuarantees(configs: ReadonlyMap<string, RoleConfig>): Scalars {
  const sum: Scalars = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (const [role, config] of configs) {
    if (!hasGuarantees(config) || hasGuaranteedAncestor(role, configs)) continue;
    for (const name of SCALAR_NAMES) sum[name] += config.quota.guarantees[name] ?? 0;
  }
  return sum;
}

export function hasGuarantees(config: RoleConfig | undefined): boolean {
  if (!config) return false;
  for (const name of SCALAR_NAMES) if ((config.quota.guarantees[name] ?? 0) > 0) return true;
  return false;
}

export function hasLimits(config: RoleConfig | undefined): boolean {
  if (!config) return false;
  for (const name of SCALAR_NAMES) if (config.quota.limits[name] !== undefined) return true;
  return false;
}

function hasGuaranteedAncestor(role: string, configs: ReadonlyMap<string, RoleConfig>): boolean {
  for (let p = parentOf(role); p !== null; p = parentOf(p)) if (hasGuarantees(configs.get(p))) return true;
  return false;
}

/**
 * Why setting `config` on `role` would make the quota tree inconsistent, or null. Rules (Mesos's, plus limits):
 * a guarantee never exceeds the role's own limit; a parent with guarantees holds at least the sum of its children's.
 */
export function quotaConfigError(role: string, config: RoleConfig, configs: ReadonlyMap<string, RoleConfig>): string | null {
  for (const name of SCALAR_NAMES) {
    const g = config.quota.guarantees[name];
    const l = config.quota.limits[name];
    if (g !== undefined && l !== undefined && g > l) return `quota.guarantees.${name} (${g}) must not exceed quota.limits.${name} (${l})`;
  }
  const next = new Map(configs);
  next.set(role, config);
  for (const [parent, pc] of next) {
    if (!hasGuarantees(pc)) continue;
    const sum: Scalars = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
    for (const [child, cc] of next) if (parentOf(child) === parent) for (const name of SCALAR_NAMES) sum[name] += cc.quota.guarantees[name] ?? 0;
    for (const name of SCALAR_NAMES) {
      if (sum[name] > 0 && sum[name] > (pc.quota.guarantees[name] ?? 0) + 1e-9) {
        return `quota.guarantees.${name} of role '${parent}' (${pc.quota.guarantees[name] ?? 0}) must be at least the sum of its children's guarantees (${sum[name]})`;
      }
    }
  }
  return null;
}
