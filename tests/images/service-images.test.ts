/**
 * `npm run test:images`: every services/<name>/Dockerfile built by a real Docker engine, each image run with the
 * least config it needs (real ZooKeeper servers on loopback, the container on the host's network), and checked as a
 * cluster would use it: /healthz, its own HEALTHCHECK, the user it runs as, its size, a clean stop on SIGTERM.
 * tools/docker/test-images.sh provides the engine and the base image, and removes whatever a run leaves.
 */
import { freePort, startZooKeeper, ZkEnsemble } from '../support/zookeeper-server';
import { ROOT, serviceDockerfiles, ServiceDockerfile } from '../support/service-dockerfiles';
import { execFile } from 'node:child_process';
import { DOCKER_CLI, docker, dockerRun, inspect, RUN_ID, RUN_LABEL } from './support/docker-cli';
import { commonEnv, ContainerContext, MINIMUM_CONFIG, writeZnodes } from './support/minimum-config';
import { ServiceContainer } from './support/service-container';

/** What an image may add to its base: the bundle, native addons, the service's own files. */
const SIZE_BUDGET_MB = 30;
/** Long enough for a drain; `docker stop` sends SIGKILL after it, which would show as exit code 137. */
const STOP_GRACE_SECONDS = 20;

const services = serviceDockerfiles();
const built = new Map<string, { tag: string; sizeBytes: number; seconds: number } | { error: string }>();
let baseSizeBytes = 0;
const zookeepers: ZkEnsemble[] = [];

beforeAll(async () => {
  zookeepers.push(await startZooKeeper(1), await startZooKeeper(1));
  baseSizeBytes = (await inspect('image', services[0].from[0])).Size;
  // One at a time: the images share their build stage, which the first build leaves cached for the others.
  for (const service of services) built.set(service.name, await build(service));
}, 40 * 60_000);

afterAll(async () => {
  const ids = (await dockerRun(['ps', '-aq', '--filter', `label=${RUN_LABEL}`])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await dockerRun(['rm', '-f', '-v', ...ids]);
  for (const image of built.values()) if ('tag' in image) await dockerRun(['rmi', image.tag]);
  for (const zk of zookeepers) await zk.destroy();
  report();
});

async function build(service: ServiceDockerfile) {
  const tag = `orchestrator-test/${service.name}:${RUN_ID}`;
  const started = Date.now();
  // --network=host: the engine has no bridge, so RUN steps use the host's network (apt, npm). Never --pull: no
  // registry is reachable, and the base is already in the engine.
  const result = await dockerRun(['build', '--network=host', '--label', RUN_LABEL, '-f', service.path, '-t', tag, ROOT], { timeoutMs: 30 * 60_000 });
  if (result.code !== 0) return { error: `docker build -f ${service.path} failed:\n${result.stderr.trim().split('\n').slice(-25).join('\n')}` };
  return { tag, sizeBytes: (await inspect('image', tag)).Size, seconds: (Date.now() - started) / 1000 };
}

function image(name: string): { tag: string; sizeBytes: number } {
  const result = built.get(name);
  if (!result) throw new Error(`${name} was not built`);
  if ('error' in result) throw new Error(result.error);
  return result;
}

function report(): void {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
  const rows = [...built].map(([name, r]) => ('error' in r ? `  ${name.padEnd(12)} build failed` : `  ${name.padEnd(12)} ${mb(r.sizeBytes).padStart(7)}  (+${mb(r.sizeBytes - baseSizeBytes)} on the base)  built in ${r.seconds.toFixed(0)} s`));
  process.stderr.write(`\nservice images (base ${services[0]?.from[0]}: ${mb(baseSizeBytes)})\n${rows.join('\n')}\n`);
}

async function context(name: string): Promise<ContainerContext> {
  return {
    port: await freePort(),
    zookeeper: [zookeepers[0].connectString, zookeepers[1].connectString],
    unique: `images-${RUN_ID}-${name}`.replace(/[^A-Za-z0-9-]/g, '-'),
    nobodyPort: await freePort(),
  };
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, container: ServiceContainer, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    const state = await container.state();
    if (!state.Running) throw new Error(`${container.name} exited (code ${state.ExitCode}) before ${what}:\n${await container.logs()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${await container.logs()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const status = (url: string) => fetch(url).then((r) => r.status, () => 0);

describe.each(services.map((s) => [s.name, s] as const))('%s image', (name, service) => {
  const minimum = MINIMUM_CONFIG[name];
  let container: ServiceContainer | undefined;
  let port = 0;

  beforeAll(async () => {
    const { tag } = image(name);
    const ctx = await context(name);
    port = ctx.port;
    if (!minimum) process.stderr.write(`\n!! ${name}: no minimum config in tests/images/support/minimum-config.ts; starting it with the common variables only\n`);
    const env = { ...commonEnv(ctx), ...(minimum ? await minimum.env(ctx) : {}) };
    container = await ServiceContainer.start(tag, name, env, service.contract?.security);
  }, 120_000);
  afterAll(async () => container?.remove());

  test('answers /healthz on the port it is given', async () => {
    await waitFor('/healthz to answer 200', async () => ((await status(`http://127.0.0.1:${port}/healthz`)) === 200 ? true : undefined), container!);
  });

  test('is healthy by its own HEALTHCHECK', async () => {
    const health = await waitFor('a health verdict', async () => {
      const s = (await container!.state()).Health?.Status;
      return s === 'healthy' || s === 'unhealthy' ? s : undefined;
    }, container!);
    expect(health).toBe('healthy');
  });

  if (minimum?.readyWithIt) {
    test('becomes ready with its minimum config', async () => {
      await waitFor('/readyz to answer 200', async () => ((await status(`http://127.0.0.1:${port}/readyz`)) === 200 ? true : undefined), container!);
    });
  }

  test('runs as the user its image declares, unprivileged unless its contract runs it as root', async () => {
    const declared = await container!.declaredUid();
    expect(await container!.processUid()).toBe(declared);
    const contracted = service.contract?.security?.runAsUser;
    if (contracted === undefined) expect(declared).not.toBe(0);
    else expect(declared).toBe(contracted);
  });

  test(`adds at most ${SIZE_BUDGET_MB} MB to its base`, () => {
    expect((image(name).sizeBytes - baseSizeBytes) / 1e6).toBeLessThanOrEqual(SIZE_BUDGET_MB);
  });

  // Last in the block: it stops the container the tests above share.
  test('stops with exit code 0 on SIGTERM, within the grace period', async () => {
    await waitFor('/healthz before stopping', async () => ((await status(`http://127.0.0.1:${port}/healthz`)) === 200 ? true : undefined), container!);
    await container!.stop(STOP_GRACE_SECONDS);
    const state = await container!.state();
    expect({ exitCode: state.ExitCode, oomKilled: state.OOMKilled }).toEqual({ exitCode: 0, oomKilled: false });
  }, (STOP_GRACE_SECONDS + 40) * 1000);
});

test('the allocator image without configuration exits 2 with one line naming the variable', async () => {
  const r = await dockerRun(['run', '--rm', '--label', RUN_LABEL, '--network=none', image('allocator').tag]);
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toMatch(/^allocator: ALLOCATOR_ZK_CONNECT [^\n]+$/);
});

test('the sync-engine image carries its CLI: verify finds two copies of a tree equal and exits 0', async () => {
  const { zookeeper, unique } = await context('sync-engine-cli');
  const tree = { [`/${unique}/config`]: 'a', [`/${unique}/config/b`]: 'b' };
  await writeZnodes(zookeeper[0], tree);
  await writeZnodes(zookeeper[1], tree);
  const r = await dockerRun(['run', '--rm', '--label', RUN_LABEL, '--network=host', '--entrypoint', 'sync-engine', image('sync-engine').tag, 'verify', '--source', `${zookeeper[0]}/${unique}`, '--target', `${zookeeper[1]}/${unique}`, '--json']);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(r.stdout)).toMatchObject({ equal: true, sourceNodes: 3, targetNodes: 3 });
});

test('the build context is only what the Dockerfiles copy: no .git, no node_modules, a few MB', async () => {
  // An image of the whole context, as every service build receives it.
  const tag = `orchestrator-test/context:${RUN_ID}`;
  const name = `orchestrator-test-context-${RUN_ID}`;
  try {
    const builtContext = await dockerRun(['build', '--quiet', '--label', RUN_LABEL, '-t', tag, '-f', '-', ROOT], { input: 'FROM scratch\nCOPY . /context/\n' });
    expect(builtContext.code).toBe(0);
    await docker(['create', '--name', name, '--label', RUN_LABEL, tag, 'none']);
    const files = await listFiles(name);
    expect(files.filter((f) => /(^|\/)(\.git|node_modules)(\/|$)/.test(f))).toEqual([]);
    expect((await inspect('image', tag)).Size / 1e6).toBeLessThan(10);
  } finally {
    await dockerRun(['rm', '-f', name]);
    await dockerRun(['rmi', tag]);
  }
});

/** Every path in a container's filesystem (`docker export`, listed by tar). */
function listFiles(container: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', `${DOCKER_CLI} export "$1" | tar -t`, 'sh', container], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout.split('\n').filter(Boolean))));
  });
}
