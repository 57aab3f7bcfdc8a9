/**
 * A Pulumi stack of this program that the real engine runs without touching the clone. The workspace is a
 * directory of its own holding a project file whose `main:` points back at the clone (so the program that runs is
 * the checked-out one, from its own node_modules), a copy of the checked-in `Pulumi.<stack>.yaml`, a file backend
 * and a PULUMI_HOME. `pulumi stack init` and `pulumi config set` write into the copy (the passphrase's
 * `encryptionsalt`, the settings a test changes); the clone's stack files never change.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../pinned-tools';
import { ConfigSetting, LOCAL_STACK_CONFIG } from './local-stack-config';
import { kubernetesProviderPlugin, PulumiPaths, PulumiResult, runPulumi, runPulumiOk } from './pulumi-cli';

export interface StackWorkspaceOptions {
  /** The checked-in stack to start from: `Pulumi.<stack>.yaml`, and the stack's name. */
  stack: string;
  /** The cluster to deploy to; none for a render-only stack. */
  kubeconfig?: string;
  /** Directory to keep the workspace in (created if missing, kept by `dispose`); default a fresh temp dir. */
  dir?: string;
}

/** One step of `pulumi preview --json` / `refresh --json`. */
export interface PlannedStep {
  op: string;
  urn: string;
  type: string;
  name: string;
  diffReasons?: string[];
  detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }>;
}

/** Bounds per operation; the provider's own await timeouts (10 min for a workload) are the longer ones. */
const TIMEOUTS = { config: 60_000, preview: 5 * 60_000, update: 12 * 60_000 };

/**
 * The policy pack (policy/), applied to every preview and update here, for real: a violation stops the operation.
 * (CLI 3.274.1 starts a Node.js pack through the language host's RunPlugin, which tools/build.sh adds to the 3.68
 * host it builds: tools/pulumi-language-nodejs/run_plugin.go.)
 */
const POLICY_PACK = join(REPO_ROOT, 'policy');

export class StackWorkspace {
  private constructor(
    readonly stack: string,
    readonly dir: string,
    readonly paths: PulumiPaths,
    private readonly owned: boolean,
  ) {}

  /** The stack file the engine reads and writes (the copy). */
  get stackFile(): string {
    return join(this.paths.projectDir, `Pulumi.${this.stack}.yaml`);
  }

  /** Creates the workspace and the stack, with `LOCAL_STACK_CONFIG` applied; reuses both if `dir` already has them. */
  static async create(opts: StackWorkspaceOptions): Promise<StackWorkspace> {
    const plugin = kubernetesProviderPlugin();
    const owned = opts.dir === undefined;
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), `orchestrator-stack-${opts.stack}-`));
    const paths: PulumiPaths = { backendDir: join(dir, 'backend'), homeDir: join(dir, 'home'), projectDir: join(dir, 'project'), kubeconfig: opts.kubeconfig };
    const workspace = new StackWorkspace(opts.stack, dir, paths, owned);
    const existing = existsSync(join(paths.backendDir, '.pulumi', 'stacks', projectName(), `${opts.stack}.json`));
    for (const d of [paths.backendDir, paths.homeDir, paths.projectDir]) mkdirSync(d, { recursive: true });
    writeProjectFile(paths.projectDir, plugin);
    if (existing) return workspace;
    copyFileSync(join(REPO_ROOT, `Pulumi.${opts.stack}.yaml`), workspace.stackFile);
    try {
      await workspace.ok(['stack', 'init'], TIMEOUTS.config);
      for (const setting of LOCAL_STACK_CONFIG) await workspace.setConfig(setting);
      return workspace;
    } catch (err) {
      workspace.dispose();
      throw err;
    }
  }

  /** Runs `pulumi <args> --stack <stack>`; a non-zero exit is returned, not thrown. */
  run(args: string[], timeoutMs = TIMEOUTS.update): Promise<PulumiResult> {
    return runPulumi(this.paths, [...args, '--stack', this.stack], timeoutMs);
  }

  /** Like `run`, but a non-zero exit throws with the CLI's output; `echo` shows it as it comes. */
  ok(args: string[], timeoutMs = TIMEOUTS.update, opts: { echo?: boolean } = {}): Promise<PulumiResult> {
    return runPulumiOk(this.paths, [...args, '--stack', this.stack], timeoutMs, opts);
  }

  /** `pulumi config set --path`, typed from the value (so `3` is a number and `false` a boolean in the stack file). */
  async setConfig(setting: ConfigSetting): Promise<void> {
    const kind = setting.secret ? ['--secret'] : ['--type', typeof setting.value === 'number' ? (Number.isInteger(setting.value) ? 'int' : 'float') : typeof setting.value === 'boolean' ? 'bool' : 'string'];
    await this.ok(['config', 'set', '--path', ...kind, setting.key, String(setting.value)], TIMEOUTS.config);
  }

  /**
   * Sets a structured value leaf by leaf (`orchestrator:zookeeper.resources.requests.cpu`, ...): a partial object
   * would replace the whole setting, and the program refuses, say, requests without a memory value.
   */
  async setConfigTree(key: string, value: Record<string, unknown>): Promise<void> {
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && typeof v === 'object') await this.setConfigTree(`${key}.${k}`, v as Record<string, unknown>);
      else await this.setConfig({ key: `${key}.${k}`, value: v as ConfigSetting['value'] });
    }
  }

  /**
   * The stack's config as the engine hands it to the program: `namespace:key` → string (structured values as JSON),
   * secrets decrypted. What a run of the program under mocks needs to declare the same resources.
   */
  async engineConfig(): Promise<Record<string, string>> {
    const { stdout } = await this.ok(['config', '--json', '--show-secrets'], TIMEOUTS.config);
    const entries = JSON.parse(stdout) as Record<string, { value: string }>;
    return Object.fromEntries(Object.entries(entries).map(([key, { value }]) => [key, value]));
  }

  /** `pulumi preview --json`: the steps the engine plans (policy pack applied if there is one). */
  async preview(extra: string[] = []): Promise<PlannedStep[]> {
    const { stdout } = await this.ok(['preview', '--json', ...this.policyArgs(), ...extra], TIMEOUTS.preview);
    return plannedSteps(stdout);
  }

  /** `pulumi up --yes`; resolves with the CLI's output whatever the exit code, so a test can read a refusal. */
  up(extra: string[] = []): Promise<PulumiResult> {
    return this.run(['up', '--yes', '--diff', ...this.policyArgs(), ...extra]);
  }

  /** `pulumi up --yes`, which must succeed. */
  async upOk(extra: string[] = [], opts: { echo?: boolean } = {}): Promise<PulumiResult> {
    return this.ok(['up', '--yes', '--diff', ...this.policyArgs(), ...extra], TIMEOUTS.update, opts);
  }

  /** `pulumi refresh --preview-only --json`: how the live objects differ from the stack's state. */
  async refreshPreview(): Promise<PlannedStep[]> {
    const { stdout } = await this.ok(['refresh', '--preview-only', '--json'], TIMEOUTS.preview);
    return plannedSteps(stdout);
  }

  async destroy(): Promise<PulumiResult> {
    return this.ok(['destroy', '--yes']);
  }

  /** Stack outputs, secrets shown. */
  async outputs(): Promise<Record<string, unknown>> {
    const { stdout } = await this.ok(['stack', 'output', '--json', '--show-secrets'], TIMEOUTS.config);
    return JSON.parse(stdout);
  }

  /** `pulumi stack export`: the state's resources (type, urn, inputs, outputs) and any pending operations. */
  async exportState(): Promise<{ resources: any[]; pending_operations?: any[] }> {
    const { stdout } = await this.ok(['stack', 'export', '--show-secrets'], TIMEOUTS.config);
    return JSON.parse(stdout).deployment;
  }

  /** Removes a workspace this class created (a `dir` passed in is the caller's to remove). */
  dispose(): void {
    if (this.owned) rmSync(this.dir, { recursive: true, force: true });
  }

  private policyArgs(): string[] {
    return existsSync(join(POLICY_PACK, 'PulumiPolicy.yaml')) ? ['--policy-pack', POLICY_PACK] : [];
  }
}

function projectName(): string {
  return (parse(readFileSync(join(REPO_ROOT, 'Pulumi.yaml'), 'utf8')) as { name: string }).name;
}

/** The clone's Pulumi.yaml, with `main:` pointing back at the clone and the Kubernetes provider from the tools cache. */
function writeProjectFile(projectDir: string, plugin: { name: string; version: string; path: string }): void {
  const project = parse(readFileSync(join(REPO_ROOT, 'Pulumi.yaml'), 'utf8')) as Record<string, unknown>;
  project.main = relative(projectDir, REPO_ROOT) || '.';
  project.plugins = { providers: [plugin] };
  writeFileSync(join(projectDir, 'Pulumi.yaml'), stringify(project));
}

/** The steps of a `--json` preview or refresh, with the type and logical name read from each URN. */
export function plannedSteps(json: string): PlannedStep[] {
  const doc = JSON.parse(json) as { steps?: any[] };
  return (doc.steps ?? []).map((s) => {
    const [type, name] = urnTypeAndName(s.urn);
    return { op: s.op, urn: s.urn, type, name, diffReasons: s.diffReasons, detailedDiff: s.detailedDiff };
  });
}

/** `urn:pulumi:<stack>::<project>::<parent types$>type::name` → [type, name]. */
export function urnTypeAndName(urn: string): [string, string] {
  const parts = urn.split('::');
  const types = parts[2] ?? '';
  return [types.slice(types.lastIndexOf('$') + 1), parts.slice(3).join('::')];
}
