/**
 * The main job on one machine: `npm run up:local` builds (or reuses) the pinned tools, starts a local control plane
 * (tests/e2e/support/cluster/), runs the real `pulumi up --stack dev` against it and prints the outputs and how to
 * look; `npm run down:local` stops the cluster by pid and removes everything up:local made.
 *
 * Everything lives in one directory per clone under the system temp dir (cluster, stack state, PULUMI_HOME), so a
 * second up:local reuses the running cluster and updates the same stack, and down:local finds it without being told.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../tests/e2e/support/cluster/local-cluster';
import { pulumiEnv } from '../tests/e2e/support/engine/pulumi-cli';
import { StackWorkspace } from '../tests/e2e/support/engine/stack-workspace';
import { REPO_ROOT, toolsCache } from '../tests/e2e/support/pinned-tools';

const STACK = 'dev';
const home = join(tmpdir(), `orchestrator-local-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 8)}`);
const clusterDir = join(home, 'cluster');

function say(line: string): void {
  process.stdout.write(`[local] ${line}\n`);
}

/** A cluster recorded here whose API server still answers, or undefined (a stale record is stopped and cleared). */
async function runningCluster(): Promise<LocalCluster | undefined> {
  const cluster = LocalCluster.attach(clusterDir);
  if (!cluster) return undefined;
  const alive = await cluster.kubectl.run(['get', '--raw', '/readyz'], { timeoutMs: 10_000 }).then(
    () => true,
    () => false,
  );
  if (alive) return cluster;
  say('the cluster recorded here no longer answers: stopping what is left of it');
  await cluster.stop();
  return undefined;
}

async function up(): Promise<void> {
  say('tools: building what is missing from the cache (about an hour the first time on 2 cores, seconds after that)');
  const build = spawnSync('bash', [join(REPO_ROOT, 'tools', 'build.sh'), 'pulumi', 'kubernetes', 'etcd', 'kwok'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error(`tools/build.sh failed (exit ${build.status}); its output is above`);

  mkdirSync(home, { recursive: true });
  let cluster = await runningCluster();
  if (cluster) say(`reusing the local cluster in ${clusterDir}`);
  else {
    const started = Date.now();
    say('starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on loopback');
    cluster = await LocalCluster.start({ dir: clusterDir, detached: true });
    say(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  const workspace = await StackWorkspace.create({ stack: STACK, kubeconfig: cluster.kubeconfig, dir: join(home, 'stack') });
  say(`pulumi up --stack ${STACK} (the real engine and Kubernetes provider; state in ${workspace.paths.backendDir})`);
  await workspace.upOk([], { echo: true });
  const outputs = await workspace.outputs();

  const envFile = join(home, 'env.sh');
  const env: NodeJS.ProcessEnv = { ...pulumiEnv(workspace.paths), PATH: `${join(toolsCache(), 'bin')}:$PATH` };
  const exported = ['KUBECONFIG', 'PATH', ...Object.keys(env).filter((k) => k.startsWith('PULUMI_'))];
  writeFileSync(envFile, `${exported.map((k) => `export ${k}="${env[k]}"`).join('\n')}\ncd "${workspace.paths.projectDir}"\n`);

  process.stdout.write(`\nStack outputs (dev):\n${Object.entries(outputs).map(([k, v]) => `  ${k.padEnd(24)} ${String(v)}`).join('\n')}\n`);
  process.stdout.write(`
The objects are real: the API server validated them, the scheduler placed the pods on kwok's fake nodes and the
controllers run them as on any cluster. There is no kubelet, so kwok marks pods Running and Ready and no container
runs: no logs, no exec, nothing answers on the URLs above.

Look around:
  export KUBECONFIG=${cluster.kubeconfig}
  ${join(toolsCache(), 'bin', 'kubectl')} get pods -A -o wide
Run pulumi by hand against this stack (preview, stack output, destroy, ...):
  source ${envFile}; pulumi preview --stack ${STACK}
Stop it all: npm run down:local
`);
}

async function down(): Promise<void> {
  const cluster = LocalCluster.attach(clusterDir);
  if (cluster) {
    const order = [...cluster.state.processes].reverse().map((p) => `${p.name} (pid ${p.pid})`);
    say(`stopping ${order.join(', ')}`);
    await cluster.stop();
  }
  if (!existsSync(home)) {
    if (!cluster) say('nothing to stop: no local cluster for this clone');
    return;
  }
  rmSync(home, { recursive: true, force: true });
  say(`removed ${home} (the cluster, the stack's state, PULUMI_HOME)`);
}

const command = process.argv[2];
const run = command === 'up' ? up : command === 'down' ? down : undefined;
if (!run) {
  process.stderr.write('usage: tsx tools/local-stack.ts up|down\n');
  process.exit(2);
}
run().catch((err: Error) => {
  process.stderr.write(`[local] ${err.message}\n`);
  process.exit(1);
});
