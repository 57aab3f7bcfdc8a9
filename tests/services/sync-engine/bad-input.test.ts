/**
 * Bad input ends with one clear line on stderr and exit code 2, before anything is written to either ensemble.
 */
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';
import { Pair, spawnEngine, startPair, uniqueRoot } from './engine-harness';

let pair: Pair;
/** A TCP relay to the source server: another address for the same server, which only the session ids betray. */
let relay: Server;
const relayed = new Set<Socket>();
beforeAll(async () => {
  pair = await startPair();
  const [host, port] = pair.a.connectString.split(':');
  relay = createServer((client) => {
    const upstream = connect(Number(port), host);
    for (const s of [client, upstream]) {
      relayed.add(s);
      s.on('error', () => undefined);
      s.on('close', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of relayed) s.destroy();
  await new Promise((resolve) => relay.close(resolve));
  await pair.close();
});

async function run(args: string[]): Promise<{ code: number | null; output: string }> {
  const engine = spawnEngine(args);
  const code = await engine.exited;
  return { code, output: engine.output() };
}

test('each kind of bad input is refused with one readable line and nothing written', async () => {

  const { a, b, za, zb } = pair;
  const root = uniqueRoot('bad');
  await za.mkdirp(root);
  const src = a.connectString + root;
  const dst = b.connectString + root;
  const cases: [string[], RegExp][] = [
    [['copy', '--source', '127.0.0.1:1' + root, '--target', dst, '--connect-timeout-ms', '500'], /--source ensemble 127\.0\.0\.1:1 is unreachable/],
    [['sync', '--source', src, '--target', '127.0.0.1:1/x', '--connect-timeout-ms', '500'], /--target ensemble 127\.0\.0\.1:1 is unreachable/],
    [['copy', '--source', a.connectString + '/does-not-exist', '--target', dst], /--source chroot "\/does-not-exist" does not exist/],
    [['copy', '--source', a.connectString + '/a//b', '--target', dst], /--source: chroot "\/a\/\/b" must not contain an empty segment/],
    [['copy', '--source', src, '--target', dst, '--include', '/mesos/**', '--exclude', '/mesos'], /include "\/mesos\/\*\*" is entirely inside exclude "\/mesos"/],
    [['sync', '--source', src, '--target', a.connectString + '/elsewhere'], /--source and --target are the same ensemble/],
    [['sync', '--source', src, '--target', dst.replace('127.0.0.1', 'localhost').replace(b.connectString.split(':')[1], a.connectString.split(':')[1])], /same ensemble/],
    [['sync', '--source', src, '--target', `127.0.0.1:${(relay.address() as AddressInfo).port}/elsewhere`], /reach the same ZooKeeper server/],
    [['copy', '--source', src, '--target', dst, '--max-in-flight', 'lots'], /--max-in-flight must be an integer from 1 to 100000 \(got "lots"\)/],
    [['sync', '--source', src, '--target', dst, '--policy', 'target-wins'], /--policy target-wins needs --direction two-way/],
    [['cutover', '--source', src, '--target', dst], /--state-dir is required for cutover/],
    [['teleport', '--source', src, '--target', dst], /unknown mode "teleport"/],
  ];
  // Four at a time: each is a tsx start-up, and the machine is shared with other suites.
  const results: { code: number | null; output: string }[] = [];
  for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args]) => run(args)))));
  results.forEach((result, i) => {
    expect({ args: cases[i][0].join(' '), code: result.code }).toEqual({ args: cases[i][0].join(' '), code: 2 });
    expect(result.output).toMatch(cases[i][1]);
    const lines = result.output.trim().split('\n').filter((l) => l.startsWith('sync-engine:'));
    expect(lines).toHaveLength(1);
  });
  // Nothing was created on the target: not the chroot, not the published-connect znode.
  expect(await zb.exists(root)).toBeNull();
  expect(await zb.exists('/sync-engine')).toBeNull();
  expect(await za.exists(`${root}/.sync-engine-heartbeat-default`)).toBeNull();
}, 120_000);
