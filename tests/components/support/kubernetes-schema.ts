/**
 * Validates a Kubernetes object against the official OpenAPI schema, as compiled by `kubernetes-models`, and also
 * rejects fields the schema does not define.
 *
 * The OpenAPI schema does not forbid additional properties, so a typo such as `imagePullPolcy` passes plain schema
 * validation, and the API server would silently drop it. To catch it, the object is handed to the compiled
 * validator through proxies that record which properties the validator looks up: the validator reads every property
 * its schema defines, so a property it never read is one the schema does not know. Objects whose keys the
 * validator enumerates (maps such as `labels`) and objects it reads nothing of (free-form fields such as
 * `x-kubernetes-preserve-unknown-fields`) accept any key, exactly as the API server does.
 */

import { dirname, join } from 'node:path';

type Json = Record<string, unknown>;

interface ModelClass {
  new (data: Json): { validate(): void; toJSON(): Json };
}

/** Model packages to look a group/version up in, core API first. */
const PACKAGES = ['kubernetes-models', '@kubernetes-models/argo-cd', '@kubernetes-models/argo-rollouts'];

/**
 * Model packages published as ES modules only (`"type": "module"`, `import`-only exports), by the group/version
 * they hold. Jest runs CommonJS and cannot `require` them, so each is bundled to CommonJS once per process with
 * esbuild and evaluated; the models and their compiled validators are the package's own, unchanged.
 */
const ESM_PACKAGES: Record<string, string> = { 'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator' };
const esmCache = new Map<string, Record<string, ModelClass>>();

function esmModels(apiVersion: string): Record<string, ModelClass> | undefined {
  const pkg = ESM_PACKAGES[apiVersion];
  if (!pkg) return undefined;
  const cached = esmCache.get(apiVersion);
  if (cached) return cached;
  const esbuild = require('esbuild') as typeof import('esbuild');
  const { createRequire } = require('node:module') as typeof import('node:module');
  const dir = dirname(require.resolve(`${pkg}/package.json`));
  const built = esbuild.buildSync({
    stdin: { contents: `export * from './${apiVersion}/index.js';`, resolveDir: dir, loader: 'js' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    // re2-wasm finds its .wasm beside its own file: load it in place rather than from the bundle.
    external: ['re2-wasm'],
  });
  const module = { exports: {} as Record<string, ModelClass> };
  new Function('module', 'exports', 'require', built.outputFiles[0].text)(module, module.exports, createRequire(join(dir, 'package.json')));
  esmCache.set(apiVersion, module.exports);
  return module.exports;
}

function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  const esm = esmModels(apiVersion);
  if (esm) return esm[kind];
  for (const pkg of PACKAGES) {
    try {
      const mod = require(`${pkg}/${apiVersion}`) as Record<string, ModelClass>;
      if (mod[kind]) return mod[kind];
    } catch {
      // Not in this package; try the next.
    }
  }
  return undefined;
}

/** Returns the problems with `object` (empty when it is valid): schema errors and unknown fields, as paths. */
export function validateKubernetesObject(object: Json): string[] {
  const { apiVersion, kind } = object as { apiVersion?: string; kind?: string };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['object has no apiVersion/kind'];
  const Model = modelFor(apiVersion, kind);
  if (!Model) return [`no schema known for ${apiVersion} ${kind}`];

  const plain = new Model(object).toJSON();
  const tracker = new ReadTracker();
  const problems: string[] = [];
  try {
    Model.prototype.validate.call(tracker.wrap(plain));
  } catch (err) {
    problems.push(String((err as Error).message ?? err));
  }
  problems.push(...tracker.unknownFields(plain).map((path) => `${path} is not a field of ${apiVersion} ${kind}`));
  return problems;
}

class ReadTracker {
  private readonly proxies = new WeakMap<object, object>();
  private readonly read = new WeakMap<object, Set<PropertyKey>>();
  private readonly enumerated = new WeakSet<object>();

  wrap<T>(value: T): T {
    if (value === null || typeof value !== 'object') return value;
    const target = value as unknown as object;
    const existing = this.proxies.get(target);
    if (existing) return existing as T;
    this.read.set(target, new Set());
    const proxy = new Proxy(target, {
      get: (t, key, receiver) => {
        this.read.get(t)!.add(key);
        return this.wrap(Reflect.get(t, key, receiver));
      },
      has: (t, key) => {
        this.read.get(t)!.add(key);
        return Reflect.has(t, key);
      },
      ownKeys: (t) => {
        this.enumerated.add(t);
        return Reflect.ownKeys(t);
      },
      getOwnPropertyDescriptor: (t, key) => {
        this.read.get(t)!.add(key);
        return Reflect.getOwnPropertyDescriptor(t, key);
      },
    });
    this.proxies.set(target, proxy);
    return proxy as T;
  }

  unknownFields(value: unknown, path = ''): string[] {
    if (value === null || typeof value !== 'object') return [];
    if (Array.isArray(value)) return value.flatMap((item, i) => this.unknownFields(item, `${path}[${i}]`));
    const read = this.read.get(value);
    if (!read) return []; // never reached by the validator: under a field already reported, or free-form
    const freeForm = this.enumerated.has(value) || read.size === 0;
    const problems: string[] = [];
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (!freeForm && !read.has(key)) problems.push(childPath);
      else problems.push(...this.unknownFields(child, childPath));
    }
    return problems;
  }
}
