/**
 * Runs the Pulumi program (index.ts) under `pulumi.runtime.setMocks` with a given stack config and collects every
 * resource it registers. Each run gets a fresh module registry and drains its RPCs before returning, so runs must
 * be awaited one after another (never in parallel).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface Emitted {
  /** Type token, e.g. `kubernetes:apps/v1:StatefulSet` or `orchestrator:zookeeper:ZooKeeperEnsemble`. */
  type: string;
  /** Pulumi logical name. */
  name: string;
  /** The inputs the program passed (for Kubernetes objects: the object itself). */
  inputs: Record<string, any>;
  /** The state the mocks answered with: the inputs, plus the name the provider would give an auto-named object. */
  outputs: Record<string, any>;
}

export interface ProgramRun {
  resources: Emitted[];
  /** Stack outputs, resolved. */
  outputs: Record<string, unknown>;
}

const ROOT = join(__dirname, '..', '..', '..');

// Every run loads a fresh copy of the Pulumi SDK, and each copy adds its own process exit hook.
process.setMaxListeners(100);

/** The `config:` map of `Pulumi.<stack>.yaml`, as the engine hands it to the program (objects as JSON strings). */
export function stackFileConfig(stack: string): Record<string, string> {
  const doc = parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), 'utf8')) as { config?: Record<string, unknown> };
  return engineConfig(doc.config ?? {});
}

/** Encodes `{ 'orchestrator:zookeeper': { replicas: 3 } }` the way the engine passes config to a program. */
export function engineConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

/**
 * A stack file's config with the opt-in sync-engine turned on (a cutover between two external ensembles, with
 * credentials), so that its objects go through the same schema, policy and behaviour checks as the rest.
 */
export function withSyncEngine(stack: string, settings: Record<string, unknown> = {}): Record<string, string> {
  return {
    ...stackFileConfig(stack),
    ...engineConfig({
      'orchestrator:syncEngine': { enabled: true, source: 'zk-old-0.zk-old:2181,zk-old-1.zk-old:2181/mesos', target: 'zk-new-0.zk-new:2181/mesos', mode: 'cutover', credentialsSecret: 'zk-migration-auth', ...settings },
    }),
  };
}

/** The raw (un-prefixed) values of a stack file, for `parseStackConfig`. */
export function stackFileRaw(stack: string): Record<string, unknown> {
  const doc = parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), 'utf8')) as { config?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config ?? {}).map(([k, v]) => [k.replace(/^orchestrator:/, ''), v]));
}

export async function runProgram(stack: string, config: Record<string, string>): Promise<ProgramRun> {
  return runUnderMocks(stack, config, () => require('../../../index'));
}

/**
 * Like `runProgram`, for any part of the program: `load` runs with a fresh module registry under the mocks (so it
 * must `require` what it declares from inside), and the Outputs among the fields it returns come back resolved.
 */
export async function runUnderMocks(stack: string, config: Record<string, string>, load: () => Record<string, unknown>): Promise<ProgramRun> {
  const resources: Emitted[] = [];
  let program: Record<string, unknown> = {};
  let pulumi: typeof import('@pulumi/pulumi') | undefined;
  await jest.isolateModulesAsync(async () => {
    pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          if (args.type === 'pulumi:pulumi:Stack') return { id: undefined, state: {} };
          const inputs = revealSecrets(args.inputs) as Record<string, any>;
          const state = { ...inputs };
          // Auto-named Kubernetes objects get their name from the provider; give them one as it would.
          if (args.type.startsWith('kubernetes:') && state.metadata && !state.metadata.name) {
            state.metadata = { ...state.metadata, name: `${args.name}-${shortHash(args.name)}` };
          }
          // A pushed image: the provider reports the manifest digest as `<name>@sha256:…`.
          if (args.type === 'docker:index/image:Image') state.repoDigest = `${String(args.inputs.imageName).replace(/:[^:/]+$/, '')}@sha256:${fakeDigest(args.name)}`;
          // The random provider computes its result; give one of the requested length, as it would.
          if (args.type === 'random:index/randomPassword:RandomPassword') state.result = 'r'.repeat(Number(args.inputs.length));
          resources.push({ type: args.type, name: args.name, inputs, outputs: state });
          return { id: `${args.name}-id`, state };
        },
        call(args) {
          return args.inputs;
        },
      },
      'orchestrator',
      stack,
      false,
    );
    pulumi.runtime.setAllConfig(config);
    // As the language host runs a program: inside the root Stack resource, which stack transformations attach to.
    const { runInPulumiStack } = require('@pulumi/pulumi/runtime/stack') as typeof import('@pulumi/pulumi/runtime/stack');
    // A program that throws (bad config) is reported from here: inside the Stack its rejection would go unhandled.
    let failure: unknown;
    await runInPulumiStack(async () => {
      try {
        program = load();
      } catch (err) {
        failure = err;
      }
    });
    if (failure !== undefined) throw failure;
  });
  const outputs = await resolveOutputs(pulumi!, program);
  // Drain every outstanding registration before the next run installs its own mock monitor (the monitor is
  // process-global, whatever the module registry).
  await pulumi!.runtime.disconnect();
  return { resources, outputs };
}

async function resolveOutputs(pulumi: typeof import('@pulumi/pulumi'), exports: Record<string, unknown>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(exports).map(
      async ([k, v]) => [k, pulumi.Output.isInstance(v) ? await new Promise((resolve) => (v as import('@pulumi/pulumi').Output<unknown>).apply(resolve)) : v] as const,
    ),
  );
  return Object.fromEntries(entries);
}

/** A stable 64-hex digest per resource name, as a registry would return for distinct images. */
function fakeDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Pulumi's wire marker of a secret value (`{ [SECRET_SIG]: SECRET_VALUE, value }`), as the engine would decrypt it. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const SECRET_VALUE = '1b47061264138c4ac30d75fd1eb44270';

/** The inputs with every secret replaced by its value, as the provider sees them (and the schema check must). */
function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (record[SECRET_SIG] === SECRET_VALUE) return revealSecrets(record.value);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, revealSecrets(v)]));
}

function shortHash(text: string): string {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(8, '0').slice(0, 7);
}

/** Kubernetes objects only (not component resources). */
export function kubernetesObjects(run: ProgramRun): Emitted[] {
  return run.resources.filter((r) => r.type.startsWith('kubernetes:'));
}

export function ofKind(run: ProgramRun, kind: string): Emitted[] {
  return kubernetesObjects(run).filter((r) => r.type.endsWith(`:${kind}`));
}
