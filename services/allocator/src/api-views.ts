/**
 * How allocator state looks on the wire. Internal records carry back-references and bookkeeping; these functions
 * pick what a client needs, in one place, so the HTTP API, the streams and the state endpoint agree.
 */
import type { Allocator } from './allocator';
import type { AgentState, FrameworkState, Offer, Task, TaskGroup, TaskRecord } from './model';

export function offerView(o: Offer, agent?: AgentState) {
  return { id: o.id, frameworkId: o.frameworkId, agentId: o.agentId, role: o.role, resources: o.resources, reserved: o.reserved, attributes: agent?.attributes ?? {}, expiresAt: new Date(o.expiresAt).toISOString() };
}

export function taskView(t: Task | TaskRecord) {
  return { id: t.id, name: t.name, frameworkId: t.frameworkId, role: t.role, agentId: t.agentId, resources: t.resources, groupId: t.groupId };
}

export function groupView(g: TaskGroup) {
  return { id: g.id, frameworkId: g.frameworkId, role: g.role, name: g.name, resources: g.request, remaining: g.remaining, placed: g.placed };
}

export function agentView(a: AgentState) {
  return { id: a.id, resources: a.resources, free: a.free, reservations: a.reservations, attributes: a.attributes, offers: a.offers.size, tasks: a.tasks.size };
}

export function frameworkView(f: FrameworkState) {
  return { id: f.id, name: f.name, roles: f.roles, mode: f.mode, maxOffers: f.maxOffers, suppressedRoles: [...f.suppressed], offers: f.offers.size, tasks: f.tasks.size, pendingTasks: f.groups.reduce((n, g) => n + g.remaining, 0) };
}

export function roleView(a: Allocator, name: string) {
  const config = a.roleConfig(name);
  return {
    name,
    weight: config.weight,
    quota: config.quota,
    allocated: a.roleAllocated(name),
    consumed: a.roleConsumed(name),
    dominantShare: a.roleShare(name),
  };
}

export function stateView(a: Allocator) {
  return {
    total: a.total,
    free: a.freeResources,
    agents: [...a.agents.values()].map(agentView),
    frameworks: [...a.frameworks.values()].map(frameworkView),
    roles: a.roleNames().map((r) => roleView(a, r)),
    offers: [...a.offers.values()].map((o) => offerView(o)),
    tasks: [...a.tasks.values()].map(taskView),
    pendingGroups: [...a.groups.values()].map(groupView),
  };
}
