/**
 * The zoo.cfg the platform deploys, given to a real ZooKeeper server (Debian's 3.8, with the Prometheus provider
 * jars the official image ships, see tests/support/zookeeper-prometheus-jars.ts). The spec tests check its lines as
 * text; this checks that ZooKeeper takes them: the server starts, serves a client over the Netty connection layer
 * the file asks for rather than silently falling back to NIO, and serves the metrics the platform's alerts read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { ZkClient } from '../../services/lib/zk-client';
import { PLATFORM_PORTS } from '../../services/lib/contract';
import { zooCfg } from '../../components/zookeeper/spec';
import { zookeeperPrometheusClasspath } from '../support/zookeeper-prometheus-jars';
import { fourLetterWord, freePort, sleep, startZooKeeper, ZkEnsemble } from '../support/zookeeper-server';

/** Names of the server JVM's threads, from /proc (Linux truncates them to 15 characters). */
function threadNames(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((task) => readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim());
}

let zk: ZkEnsemble | undefined;
afterEach(async () => {
  await zk?.destroy();
  zk = undefined;
});

/**
 * The platform's zoo.cfg lines for a test server. Where the file names the pod's volume and the cluster's ports,
 * the test server keeps its own temporary directory and free loopback ports (metrics on `metricsPort`, bound to
 * loopback); every other line is the platform's, and wins over the test defaults.
 */
function platformLines(replicas: number, metricsPort: number): string[] {
  const platform = zooCfg({ statefulSet: 'zk', headlessService: 'zk-hs', namespace: 'ns', replicas }, { tickTimeMs: 2000, initLimit: 10, syncLimit: 5, dataDir: '/data', dataLogDir: '/data/log' });
  expect(platform).toContain(`metricsProvider.httpPort=${PLATFORM_PORTS.zookeeperMetrics}\n`);
  const lines = platform.split('\n').filter((line) => line && !/^(dataDir|dataLogDir|clientPort|metricsProvider\.httpPort|server\.\d+|standaloneEnabled)=/.test(line));
  return [...lines, `metricsProvider.httpPort=${metricsPort}`, 'metricsProvider.httpHost=127.0.0.1'];
}

/** The metric names a Prometheus text page holds, and whether one has the given labels. */
async function scrape(port: number): Promise<{ status: number; contentType: string; text: string; names: Set<string> }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  const names = new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]));
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, names };
}

test("a real server runs the platform's zoo.cfg, answers the probes' four-letter words and serves clients over Netty", async () => {
  const lines = platformLines(1, await freePort());
  expect(lines.some((line) => line.startsWith('serverCnxnFactory='))).toBe(true);
  zk = await startZooKeeper(1, { extraConfig: lines, extraClasspath: zookeeperPrometheusClasspath() });
  // The pod's probes ask these two four-letter words (fourLetterWordProbe); Netty must answer them as NIO does.
  const port = zk.servers[0].ports.client;
  expect(await fourLetterWord(port, 'ruok')).toBe('imok');
  expect(await fourLetterWord(port, 'srvr')).toMatch(/Mode: standalone/);

  const client = await ZkClient.connect({ connect: zk.connectString });
  try {
    await client.create('/platform-config', 'served');
    expect((await client.get('/platform-config')).data.toString()).toBe('served');
  } finally {
    client.close();
  }
  const threads = threadNames(zk.servers[0].pid!);
  expect(threads.some((name) => name.startsWith('nioEventLoopGro'))).toBe(true); // Netty's event loops
  expect(threads.some((name) => name.startsWith('NIOServerCxnFac') || name.startsWith('NIOWorkerThread'))).toBe(false);
});

test('a server given no connection layer runs NIO, so the check above can tell the two apart', async () => {
  zk = await startZooKeeper(1);
  const client = await ZkClient.connect({ connect: zk.connectString });
  await client.exists('/');
  client.close();
  const threads = threadNames(zk.servers[0].pid!);
  expect(threads.some((name) => name.startsWith('NIOServerCxnFac'))).toBe(true);
  expect(threads.some((name) => name.startsWith('nioEventLoopGro'))).toBe(false);
});

test("the platform's zoo.cfg makes the server serve Prometheus text with the series the alerts read", async () => {
  const metricsPort = await freePort();
  zk = await startZooKeeper(1, { extraConfig: platformLines(1, metricsPort), extraClasspath: zookeeperPrometheusClasspath() });
  const client = await ZkClient.connect({ connect: zk.connectString });
  try {
    await client.create('/metrics-check', 'x');
    await client.get('/metrics-check');
  } finally {
    client.close();
  }
  const page = await scrape(metricsPort);
  expect(page.status).toBe(200);
  expect(page.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  // ZooKeeperQuorumLost counts znode_count; ZooKeeperLatencyHigh reads the p99 of these two summaries (in ms).
  for (const name of ['znode_count', 'readlatency', 'updatelatency']) expect(page.names).toContain(name);
  expect(page.text).toMatch(/^readlatency\{quantile="0\.99",?\} /m);
  expect(page.text).toMatch(/^updatelatency\{quantile="0\.99",?\} /m);
  expect(Number(/^znode_count (\S+)/m.exec(page.text)![1])).toBeGreaterThanOrEqual(2);
});

test('a server that has lost its quorum still answers on /metrics but stops reporting znode_count, which the quorum alert counts', async () => {
  const ports = [await freePort(), await freePort(), await freePort()];
  zk = await startZooKeeper(3, { extraConfig: (id) => platformLines(3, ports[id - 1]), extraClasspath: zookeeperPrometheusClasspath() });
  for (const port of ports) {
    const { names } = await scrape(port);
    expect(names).toContain('znode_count');
    expect(names).toContain('quorum_size');
  }

  const survivor = 0;
  for (const server of zk.servers.slice(1)) await server.kill();
  // The survivor notices within a couple of ticks (2 s here) and goes back to electing, alone. It unregisters its
  // server's gauges one after another while it shuts the quorum role down, so a scrape in between can hold
  // quorum_size without znode_count: wait for both to go.
  const deadline = Date.now() + 20_000;
  let page = await scrape(ports[survivor]);
  while ((page.names.has('znode_count') || page.names.has('quorum_size')) && Date.now() < deadline) {
    await sleep(250);
    page = await scrape(ports[survivor]);
  }
  expect(page.status).toBe(200);
  expect(page.names).not.toContain('znode_count');
  expect(page.names).not.toContain('quorum_size');
  expect(await zk.servers[survivor].mode()).toBe('');
});
