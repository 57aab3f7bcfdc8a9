/**
 * Mesos's operator endpoints for weights and quota, shaped like the master's so operators' existing scripts keep
 * working against the allocator:
 *
 *   GET  /weights                → [{"role": "eng", "weight": 2}]
 *   PUT  /weights  [{"role", "weight"}]                                 → 200, empty body
 *   GET  /quota                  → {"infos": [QuotaInfo…], "configs": [QuotaConfig…]}
 *   POST /quota    {"role", "guarantee": [{"name","type":"SCALAR","scalar":{"value"}}], "force"}
 *                                 → 200; sets guarantees and limits to the guarantee, as Mesos ≥ 1.9 does
 *   DELETE /quota/<role>         → 200 (the role name may contain '/')
 *   POST /api/v1  {"type": "GET_QUOTA" | "UPDATE_QUOTA" | "GET_WEIGHTS" | "UPDATE_WEIGHTS", …}  (v1 operator calls)
 *
 * Each is also served under /master/… as Mesos does. Status codes follow Mesos: malformed or invalid requests are
 * 400; the legacy POST /quota answers an overcommitting guarantee with 409 unless `force` is set.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../lib/service-http';
import type { Allocator } from './allocator';
import { badRequest } from './errors';
import { run } from './http-commit';
import type { Replica } from './replica';
import { ScalarBounds, ScalarName, SCALAR_NAMES } from './resources';

interface MesosScalarResource {
  name: string;
  type?: string;
  scalar?: { value: number };
}

type ScalarMap = Record<string, { value: number }>;

const weightInfo = { type: 'object', required: ['role', 'weight'], properties: { role: { type: 'string' }, weight: { type: 'number' } } } as const;
const scalarResource = {
  type: 'object',
  required: ['name', 'scalar'],
  properties: { name: { type: 'string' }, type: { type: 'string', enum: ['SCALAR'] }, role: { type: 'string' }, scalar: { type: 'object', required: ['value'], properties: { value: { type: 'number', minimum: 0 } } } },
} as const;
const scalarMap = { type: 'object', additionalProperties: { type: 'object', required: ['value'], properties: { value: { type: 'number', minimum: 0 } } } } as const;
const quotaConfig = { type: 'object', required: ['role'], properties: { role: { type: 'string' }, guarantees: scalarMap, limits: scalarMap } } as const;

export function registerMesosOperatorApi(api: FastifyInstance, replica: Replica): void {
  for (const prefix of ['', '/master']) {
    api.get(`${prefix}/weights`, { schema: { tags: ['mesos'], summary: 'Mesos-compatible: configured role weights' } }, async () => weights(replica.requireLeader()));

    api.put<{ Body: Array<{ role: string; weight: number }> }>(
      `${prefix}/weights`,
      { schema: { tags: ['mesos'], summary: 'Mesos-compatible: update role weights (all or nothing)', body: { type: 'array', items: weightInfo } } },
      async (req, reply) => {
        await updateWeights(replica, req.body);
        return reply.code(200).send();
      },
    );

    api.get(`${prefix}/quota`, { schema: { tags: ['mesos'], summary: 'Mesos-compatible: quota status (legacy infos and configs)' } }, async () => quotaStatus(replica.requireLeader()));

    api.post<{ Body: { role: string; guarantee: MesosScalarResource[]; force?: boolean } }>(
      `${prefix}/quota`,
      {
        schema: {
          tags: ['mesos'],
          summary: 'Mesos-compatible (legacy): set quota for a role that has none; guarantees and limits both become the guarantee',
          body: { type: 'object', required: ['role', 'guarantee'], properties: { role: { type: 'string' }, guarantee: { type: 'array', items: scalarResource }, force: { type: 'boolean' } } },
        },
      },
      async (req, reply) => {
        const { role, guarantee, force } = req.body;
        const bounds = fromResourceList('guarantee', guarantee);
        await run(replica, (a) => {
          if (a.configs.has(role) && hasQuota(a, role)) throw badRequest(`Failed to validate set quota request: Cannot set quota for role '${role}' which already has quota`);
          return { ops: a.setRoles([{ role, quota: { guarantees: bounds, limits: bounds } }], force ? undefined : { status: 409 }), result: null };
        });
        return reply.code(200).send();
      },
    );

    api.delete<{ Params: { '*': string } }>(`${prefix}/quota/*`, { schema: { tags: ['mesos'], summary: 'Mesos-compatible: remove the quota of a role (the rest of the path is the role)' } }, async (req, reply) => {
      const role = req.params['*'];
      if (!role) throw new HttpError(400, `Failed to parse remove quota request for path '${req.url}': expected a role after /quota/`);
      await run(replica, (a) => {
        if (!hasQuota(a, role)) throw badRequest(`Failed to remove quota for path '${req.url}': Role '${role}' has no quota set`);
        return { ops: a.setRoles([{ role, quota: { guarantees: {}, limits: {} } }]), result: null };
      });
      return reply.code(200).send();
    });
  }

  api.post<{ Body: { type: string; update_quota?: { force?: boolean; quota_configs: Array<{ role: string; guarantees?: ScalarMap; limits?: ScalarMap }> }; update_weights?: { weight_infos: Array<{ role: string; weight: number }> } } }>(
    '/api/v1',
    {
      schema: {
        tags: ['mesos'],
        summary: 'Mesos v1 operator calls: GET_QUOTA, UPDATE_QUOTA, GET_WEIGHTS, UPDATE_WEIGHTS',
        body: {
          type: 'object',
          required: ['type'],
          properties: {
            type: { type: 'string', enum: ['GET_QUOTA', 'UPDATE_QUOTA', 'GET_WEIGHTS', 'UPDATE_WEIGHTS'] },
            update_quota: { type: 'object', required: ['quota_configs'], properties: { force: { type: 'boolean' }, quota_configs: { type: 'array', items: quotaConfig } } },
            update_weights: { type: 'object', required: ['weight_infos'], properties: { weight_infos: { type: 'array', items: weightInfo } } },
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body;
      switch (body.type) {
        case 'GET_QUOTA':
          return { type: 'GET_QUOTA', get_quota: { status: quotaStatus(replica.requireLeader()) } };
        case 'GET_WEIGHTS':
          return { type: 'GET_WEIGHTS', get_weights: { weight_infos: weights(replica.requireLeader()) } };
        case 'UPDATE_WEIGHTS':
          if (!body.update_weights) throw new HttpError(400, "update_weights is required for type 'UPDATE_WEIGHTS'");
          await updateWeights(replica, body.update_weights.weight_infos);
          return reply.code(200).send();
        case 'UPDATE_QUOTA': {
          const update = body.update_quota;
          if (!update) throw new HttpError(400, "update_quota is required for type 'UPDATE_QUOTA'");
          const updates = update.quota_configs.map((c, i) => ({
            role: c.role,
            quota: { guarantees: fromScalarMap(`update_quota.quota_configs[${i}].guarantees`, c.guarantees), limits: fromScalarMap(`update_quota.quota_configs[${i}].limits`, c.limits) },
          }));
          await run(replica, (a) => ({ ops: a.setRoles(updates, update.force ? undefined : { status: 400 }), result: null }));
          return reply.code(200).send();
        }
      }
      throw new HttpError(400, `type '${body.type}' is not supported`);
    },
  );
}

function weights(a: Allocator) {
  return [...a.configs].filter(([, c]) => c.weight !== 1).map(([role, c]) => ({ role, weight: c.weight }));
}

async function updateWeights(replica: Replica, infos: Array<{ role: string; weight: number }>): Promise<void> {
  for (const [i, w] of infos.entries()) {
    if (!(w.weight > 0)) throw new HttpError(400, `Failed to validate update weights request JSON for role '${w.role}' ([${i}].weight): Invalid weight '${w.weight}': Weights must be positive`);
  }
  await run(replica, (a) => ({ ops: a.setRoles(infos.map((w) => ({ role: w.role.trim(), weight: w.weight }))), result: null }));
}

function hasQuota(a: Allocator, role: string): boolean {
  const q = a.configs.get(role)?.quota;
  return !!q && (Object.keys(q.guarantees).length > 0 || Object.keys(q.limits).length > 0);
}

function quotaStatus(a: Allocator) {
  const infos: Array<{ role: string; guarantee: MesosScalarResource[] }> = [];
  const configs: Array<{ role: string; guarantees: ScalarMap; limits: ScalarMap }> = [];
  for (const [role, c] of a.configs) {
    if (!hasQuota(a, role)) continue;
    infos.push({ role, guarantee: SCALAR_NAMES.filter((n) => c.quota.guarantees[n] !== undefined).map((n) => ({ name: n, type: 'SCALAR', scalar: { value: c.quota.guarantees[n]! } })) });
    configs.push({ role, guarantees: toScalarMap(c.quota.guarantees), limits: toScalarMap(c.quota.limits) });
  }
  return { infos, configs };
}

function toScalarMap(b: ScalarBounds): ScalarMap {
  const out: ScalarMap = {};
  for (const n of SCALAR_NAMES) if (b[n] !== undefined) out[n] = { value: b[n]! };
  return out;
}

function fromScalarMap(field: string, m: ScalarMap | undefined): ScalarBounds {
  const out: ScalarBounds = {};
  for (const [name, v] of Object.entries(m ?? {})) {
    if (!(SCALAR_NAMES as readonly string[]).includes(name)) throw new HttpError(400, `${field}.${name}: quota is supported for cpus, mem, disk and gpus only`);
    out[name as ScalarName] = v.value;
  }
  return out;
}

function fromResourceList(field: string, list: MesosScalarResource[]): ScalarBounds {
  const out: ScalarBounds = {};
  list.forEach((r, i) => {
    if (!(SCALAR_NAMES as readonly string[]).includes(r.name)) throw new HttpError(400, `${field}[${i}].name '${r.name}': quota is supported for cpus, mem, disk and gpus only`);
    if (out[r.name as ScalarName] !== undefined) throw new HttpError(400, `${field}[${i}].name '${r.name}' appears twice`);
    out[r.name as ScalarName] = r.scalar!.value;
  });
  return out;
}
