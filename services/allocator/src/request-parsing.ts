/**
 * Turning validated JSON bodies into resource values. The route schemas already checked types and signs; what JSON
 * Schema cannot say cleanly — unknown resource names, a port range that ends before it begins — is checked here,
 * with messages that name the field and the rule (400s thrown here, at the edge, before the allocator is touched).
 */
import { HttpError } from '../../lib/service-http';
import type { TaskRequest } from './model';
import { normalizeRanges, PortRange, Resources, resources, ScalarBounds, SCALAR_NAMES } from './resources';

export interface ResourcesBody {
  cpus?: number;
  mem?: number;
  disk?: number;
  gpus?: number;
  ports?: PortRange[];
}

const RESOURCE_KEYS = new Set<string>([...SCALAR_NAMES, 'ports']);

export function parseResources(field: string, body: ResourcesBody | undefined): Resources {
  if (body === undefined) return resources({});
  for (const key of Object.keys(body)) {
    if (!RESOURCE_KEYS.has(key)) throw new HttpError(400, `${field}.${key} is not a resource (use cpus, mem, disk, gpus, ports)`);
  }
  const ports = body.ports ?? [];
  ports.forEach((r, i) => {
    if (r.end < r.begin) throw new HttpError(400, `${field}.ports[${i}].end (${r.end}) must not be below begin (${r.begin})`);
  });
  const normalized = normalizeRanges(ports);
  let count = 0;
  for (const r of ports) count += r.end - r.begin + 1;
  let merged = 0;
  for (const r of normalized) merged += r.end - r.begin + 1;
  if (merged !== count) throw new HttpError(400, `${field}.ports must not overlap`);
  return resources({ ...body, ports: normalized });
}

export function parseBounds(field: string, body: ScalarBounds | undefined): ScalarBounds {
  const out: ScalarBounds = {};
  if (!body) return out;
  for (const key of Object.keys(body)) {
    if (!(SCALAR_NAMES as readonly string[]).includes(key)) throw new HttpError(400, `${field}.${key} is not a scalar resource (use cpus, mem, disk, gpus)`);
  }
  for (const n of SCALAR_NAMES) if (body[n] !== undefined) out[n] = body[n];
  return out;
}

export function parseTaskRequest(field: string, body: Partial<TaskRequest>): TaskRequest {
  for (const key of Object.keys(body)) {
    if (!RESOURCE_KEYS.has(key)) throw new HttpError(400, `${field}.${key} is not a resource (use cpus, mem, disk, gpus, ports)`);
  }
  const r = resources({ cpus: body.cpus, mem: body.mem, disk: body.disk, gpus: body.gpus });
  return { cpus: r.cpus, mem: r.mem, disk: r.disk, gpus: r.gpus, ports: body.ports ?? 0 };
}

// --- JSON schemas shared by the routes (validation and OpenAPI from one declaration) ---------------------------------

const quantity = { type: 'number', minimum: 0 } as const;

export const portRangeSchema = {
  type: 'object',
  required: ['begin', 'end'],
  properties: { begin: { type: 'integer', minimum: 1, maximum: 65535 }, end: { type: 'integer', minimum: 1, maximum: 65535 } },
} as const;

export const resourcesSchema = {
  type: 'object',
  description: 'Resources: scalars and port ranges, e.g. {"cpus": 2, "mem": 4096, "ports": [{"begin": 31000, "end": 31099}]}',
  properties: { cpus: quantity, mem: { ...quantity, description: 'MB' }, disk: { ...quantity, description: 'MB' }, gpus: quantity, ports: { type: 'array', items: portRangeSchema } },
} as const;

export const scalarsSchema = {
  type: 'object',
  properties: { cpus: quantity, mem: quantity, disk: quantity, gpus: quantity },
} as const;

export const taskRequestSchema = {
  type: 'object',
  description: 'What each task needs; ports is a number of ports the allocator picks',
  properties: { cpus: quantity, mem: quantity, disk: quantity, gpus: quantity, ports: { type: 'integer', minimum: 0, maximum: 65535 } },
} as const;
