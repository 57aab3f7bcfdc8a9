/**
 * Publishes which ensemble clients should use: the connect string (hosts plus chroot) is written to a well-known
 * znode on both ensembles — a client connected to either one watches it and follows a switch — and, when asked, to a
 * file that the Pulumi stack or a ConfigMap sync can read. The znode lies outside the synced tree (checked at
 * start-up), so replication never carries it and freezing never locks it.
 */
import { isZkError, ZkCode } from '../../lib/zk-client';
import type { EnsembleSide } from './ensemble-side';
import { retryOnConnectionLoss } from './retry';
import type { StateStore } from './state-store';

export interface PublishedConnect {
  connect: string;
  job: string;
  phase: string;
  at: string;
}

export class ConnectPublisher {
  constructor(
    private readonly sides: EnsembleSide[],
    /** Absolute znode path, the same on every ensemble. */
    readonly znode: string,
    private readonly file?: { store: StateStore; name: string },
  ) {}

  async publish(value: PublishedConnect): Promise<void> {
    const body = JSON.stringify(value);
    await Promise.all(this.sides.map((side) => retryOnConnectionLoss(side, () => writeNode(side, this.znode, body))));
    // The plain connect string, one line: what a shell script or `pulumi config set` wants to read.
    if (this.file) this.file.store.writeBuffer(this.file.name, value.connect + '\n');
  }
}

async function writeNode(side: EnsembleSide, path: string, body: string): Promise<void> {
  try {
    await side.client.set(path, body);
  } catch (err) {
    if (!isZkError(err, ZkCode.NONODE)) throw err;
    await side.client.mkdirp(path.slice(0, path.lastIndexOf('/')) || '/');
    try {
      await side.client.create(path, body);
    } catch (e) {
      if (!isZkError(e, ZkCode.NODEEXISTS)) throw e;
      await side.client.set(path, body);
    }
  }
}

/** Reads the published value from a session (for clients and tests). */
export function parsePublished(data: Buffer): PublishedConnect | undefined {
  try {
    const value = JSON.parse(data.toString('utf8')) as PublishedConnect;
    return typeof value.connect === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
