/**
 * The zoo.cfg the platform deploys, given to a real ZooKeeper server (Debian's 3.8). The spec tests check its
 * lines as text; this checks that ZooKeeper takes them: the server starts, serves a client, and serves it over
 * the Netty connection layer the file asks for rather than silently falling back to NIO.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { ZkClient } from '../../services/lib/zk-client';
import { zooCfg } from '../../components/zookeeper/spec';
import { fourLetterWord, startZooKeeper, ZkEnsemble } from '../support/zookeeper-server';

/** Names of the server JVM's threads, from /proc (Linux truncates them to 15 characters). */
function threadNames(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((task) => readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim());
}

let zk: ZkEnsemble | undefined;
afterEach(async () => {
  await zk?.destroy();
  zk = undefined;
});

test("a real server runs the platform's zoo.cfg, answers the probes' four-letter words and serves clients over Netty", async () => {
  const platform = zooCfg({ statefulSet: 'zk', headlessService: 'zk-hs', namespace: 'ns', replicas: 1 }, { tickTimeMs: 2000, initLimit: 10, syncLimit: 5, dataDir: '/data', dataLogDir: '/data/log' });
  // Where the file names the pod's volume and the cluster port, the test server keeps its own temporary directory
  // and free loopback port; every other line is the platform's, and wins over the test defaults.
  const lines = platform.split('\n').filter((line) => line && !/^(dataDir|dataLogDir|clientPort)=/.test(line));
  expect(lines.some((line) => line.startsWith('serverCnxnFactory='))).toBe(true);
  zk = await startZooKeeper(1, { extraConfig: lines });
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
