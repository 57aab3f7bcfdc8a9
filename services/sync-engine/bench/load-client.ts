/**
 * The benchmark's clients — the writer that loads the source and the observer that times arrivals on the target —
 * in a process of their own (forked by run.ts), so that their requests and callbacks do not queue on the engine's
 * event loop and the figures are the engine's. Driven over IPC:
 *
 * - `{ cmd: 'lag', ... }`: sets `keys` nodes at `rate` writes/s for `warmupSeconds` and then `seconds` more with
 *   the send time as data, watches the keys on the target, and replies `{ lags, warmupLags }` (ms from send to
 *   arrival, of the values sent after and during the warm-up). The observer watches the whole
 *   directory with one recursive watch and batches its reads (the engine's own wire session): with a one-shot
 *   watch and a get per arrival it loaded the target server as much as the engine's replication did, and the
 *   figure measured the observer.
 * - `{ cmd: 'writer', ... }`: creates numbered nodes, following the connect string the cutover publishes, until
 *   `{ cmd: 'stop' }`; replies `{ acked }` (the names whose create was acknowledged).
 */
import { ZkClient } from '../../lib/zk-client';
import { WireSession } from '../src/wire-session';

export interface LagJob {
  cmd: 'lag';
  sourceHosts: string;
  targetHosts: string;
  root: string;
  keys: number;
  rate: number;
  /**
   * Writes at the same rate before the measured ones: on servers just started, the first second's values wait
   * up to ~300 ms while the JVMs compile their write paths, which says nothing of replication in steady state.
   */
  warmupSeconds: number;
  seconds: number;
}

export interface WriterJob {
  cmd: 'writer';
  /** Where the cutover publishes `{ connect }`, read from `sourceHosts`. */
  publishZnode: string;
  sourceHosts: string;
  root: string;
  everyMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function lag(job: LagJob): Promise<{ lags: number[]; warmupLags: number[] }> {
  const writer = await ZkClient.connect({ connect: job.sourceHosts });
  const observer = new WireSession(job.targetHosts, 10_000, 5000);
  const lags: number[] = [];
  const warmupLags: number[] = [];
  const seen = new Map<string, number>();
  let measuredFrom = Infinity;
  await observer.watchTree(job.root, (event) => {
    if (event.type !== 'changed') return;
    void observer.readData(event.path).then(
      (node) => {
        // Each value once: a read after two quick events sees the second value for both.
        const sent = Number(node?.data.toString());
        if (!(sent > (seen.get(event.path) ?? 0))) return;
        seen.set(event.path, sent);
        if (sent >= measuredFrom) lags.push(Date.now() - sent);
        else warmupLags.push(Date.now() - sent);
      },
      () => undefined,
    );
  });
  await sleep(200);
  const total = job.rate * (job.warmupSeconds + job.seconds);
  const started = Date.now();
  measuredFrom = started + job.warmupSeconds * 1000;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((Date.now() - started) * job.rate) / 1000));
      for (; sent < due; sent++) void writer.set(`${job.root}/k${sent % job.keys}`, String(Date.now()));
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  await sleep(1000);
  writer.close();
  observer.close();
  return { lags, warmupLags };
}

async function write(job: WriterJob, stopped: () => boolean): Promise<string[]> {
  const follow = await ZkClient.connect({ connect: job.sourceHosts });
  let current = job.sourceHosts;
  let currentRoot = job.root;
  const poll = setInterval(() => {
    follow.get(job.publishZnode).then(
      ({ data }) => {
        const value = JSON.parse(data.toString()) as { connect: string };
        const slash = value.connect.indexOf('/');
        current = value.connect.slice(0, slash);
        currentRoot = value.connect.slice(slash);
      },
      () => undefined, // not yet published
    );
  }, 20);
  const acked: string[] = [];
  let zk: ZkClient | undefined;
  let connectedTo = '';
  for (let i = 0; !stopped(); i++) {
    try {
      if (!zk || connectedTo !== current) {
        zk?.close();
        connectedTo = current;
        zk = await ZkClient.connect({ connect: current });
      }
      await zk.create(`${currentRoot}/writes/w-${i}`, String(i));
      acked.push(`w-${i}`);
    } catch {
      await sleep(20);
    }
    await sleep(job.everyMs);
  }
  clearInterval(poll);
  zk?.close();
  follow.close();
  return acked;
}

if (require.main === module) {
  let stop = false;
  process.on('message', (msg: LagJob | WriterJob | { cmd: 'stop' }) => {
    if (msg.cmd === 'stop') stop = true;
    else if (msg.cmd === 'lag') void lag(msg).then((reply) => process.send!(reply, () => process.exit(0)));
    else void write(msg, () => stop).then((acked) => process.send!({ acked }, () => process.exit(0)));
  });
}
