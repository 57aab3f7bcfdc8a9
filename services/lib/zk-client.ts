/**
 * A small promise API over the native `zookeeper` client, shared by every service that talks to ZooKeeper.
 *
 * Why a wrapper: the package's callback API reports failures as `(rc, message)` pairs, its connect never fails on
 * an unreachable ensemble (the C client retries forever), and session expiry arrives as a bare `close` event. The
 * services need typed errors with the ZooKeeper code and path, a bounded connect, and one event for "this session
 * is gone, rebuild your watches".
 */
import { EventEmitter } from 'node:events';
import ZooKeeper = require('zookeeper');

/** ZooKeeper return codes the services branch on (values from zookeeper.h). */
export const ZkCode = {
  OK: 0,
  CONNECTIONLOSS: -4,
  OPERATIONTIMEOUT: -7,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  CLOSING: -116,
} as const;

/** Permission bits of an ACL entry. */
export const ZkPerm = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

/** Create-mode flags, combinable with `|`. */
export const CreateMode = { PERSISTENT: 0, EPHEMERAL: 1, SEQUENTIAL: 2, EPHEMERAL_SEQUENTIAL: 3 } as const;

export interface ZkAcl {
  perms: number;
  scheme: string;
  auth: string;
}

export const OPEN_ACL_UNSAFE: ZkAcl[] = [{ perms: ZkPerm.ALL, scheme: 'world', auth: 'anyone' }];

/** A znode's Stat. zxids are 64-bit on the wire; JavaScript numbers hold them exactly up to epoch 2^21. */
export interface ZkStat {
  czxid: number;
  mzxid: number;
  pzxid: number;
  ctime: Date;
  mtime: Date;
  version: number;
  cversion: number;
  aversion: number;
  /** Session id of the owner as a hex string; "0" for persistent nodes. */
  ephemeralOwner: string;
  dataLength: number;
  numChildren: number;
}

export type WatchEventType = 'created' | 'deleted' | 'changed' | 'child' | 'session' | 'notwatching';

export interface WatchEvent {
  type: WatchEventType;
  path: string;
}

export type Watcher = (event: WatchEvent) => void;

const WATCH_TYPES: Record<number, WatchEventType> = { 1: 'created', 2: 'deleted', 3: 'changed', 4: 'child', [-1]: 'session', [-2]: 'notwatching' };

/** A failed ZooKeeper operation, carrying the server's code and the path it concerned. */
export class ZkError extends Error {
  constructor(
    readonly code: number,
    readonly op: string,
    readonly path: string,
    detail: string,
  ) {
    super(`zookeeper ${op} ${path}: ${detail} (${code})`);
    this.name = 'ZkError';
  }

  /** True when the operation may or may not have been applied and the caller should re-read. */
  get isConnectionProblem(): boolean {
    return this.code === ZkCode.CONNECTIONLOSS || this.code === ZkCode.OPERATIONTIMEOUT || this.code === ZkCode.SESSIONEXPIRED || this.code === ZkCode.CLOSING;
  }
}

export function isZkError(err: unknown, code?: number): err is ZkError {
  return err instanceof ZkError && (code === undefined || err.code === code);
}

export interface ZkConnectOptions {
  /** host:port[,host:port...][/chroot] */
  connect: string;
  /** Session timeout the client asks for; the server clamps it to [2, 20] ticks. */
  sessionTimeoutMs?: number;
  /** How long `connect` waits for a first session before failing. */
  connectTimeoutMs?: number;
}

/** The requests of the package's compiled binding; the JS wrapper class exposes the same methods. */
interface NativeRequests {
  a_create(path: string, data: Buffer, flags: number, cb: (rc: number, err: string, path: string) => void): void;
  a_get(path: string, watch: boolean, cb: (rc: number, err: string, stat: ZkStat, data: Buffer | null) => void): void;
  aw_get(path: string, watchCb: NativeWatch, cb: (rc: number, err: string, stat: ZkStat, data: Buffer | null) => void): void;
  a_exists(path: string, watch: boolean, cb: (rc: number, err: string, stat: ZkStat) => void): void;
  aw_exists(path: string, watchCb: NativeWatch, cb: (rc: number, err: string, stat: ZkStat) => void): void;
  a_get_children2(path: string, watch: boolean, cb: (rc: number, err: string, children: string[], stat: ZkStat) => void): void;
  aw_get_children2(path: string, watchCb: NativeWatch, cb: (rc: number, err: string, children: string[], stat: ZkStat) => void): void;
  a_set(path: string, data: Buffer, version: number, cb: (rc: number, err: string, stat: ZkStat) => void): void;
  a_delete_(path: string, version: number, cb: (rc: number, err: string) => void): void;
  a_get_acl(path: string, cb: (rc: number, err: string, acl: ZkAcl[], stat: ZkStat) => void): void;
  a_set_acl(path: string, version: number, acl: ZkAcl[], cb: (rc: number, err: string) => void): void;
  add_auth(scheme: string, auth: string, cb: (rc: number, err: string) => void): void;
  a_sync(path: string, cb: (rc: number, err: string) => void): void;
}

/** The package's JS wrapper: session lifecycle and events. */
interface NativeZk extends EventEmitter, NativeRequests {
  /** The compiled binding the wrapper forwards to. */
  native: NativeRequests;
  init(config: object): void;
  close(): void;
  client_id: string;
  data_as_buffer: boolean;
}

type NativeWatch = (type: number, state: number, path: string) => void;

/**
 * One ZooKeeper session. Emits `connected`, `disconnected` (the client is retrying; the session may survive) and
 * `expired` (the session and its ephemerals and watches are gone; the owner must build a new client).
 */
export class ZkClient extends EventEmitter {
  private closed = false;
  /**
   * Data requests go to the binding directly: the wrapper formats every call's arguments with `util.inspect` for a
   * logger that is off, a cost that showed in every profile of the engine's hot paths.
   */
  private readonly binding: NativeRequests;

  private constructor(
    private readonly native: NativeZk,
    readonly connectString: string,
  ) {
    super();
    this.binding = native.native;
    native.on('connect', () => this.emit('connected'));
    native.on('connecting', () => this.emit('disconnected'));
    native.on('close', () => {
      if (!this.closed) {
        this.closed = true;
        this.emit('expired');
      }
    });
  }

  /** Opens a session, failing with a readable error if none is established within `connectTimeoutMs`. */
  static connect(options: ZkConnectOptions): Promise<ZkClient> {
    const native = new (ZooKeeper as unknown as new (config: object) => NativeZk)({
      connect: options.connect,
      timeout: options.sessionTimeoutMs ?? 10_000,
      debug_level: 0,
      host_order_deterministic: false,
    });
    native.data_as_buffer = true;
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        native.removeAllListeners();
        native.close();
        reject(new Error(`zookeeper ${options.connect}: no session within ${connectTimeoutMs} ms (is the ensemble reachable?)`));
      }, connectTimeoutMs);
      native.once('connect', () => {
        clearTimeout(timer);
        resolve(new ZkClient(native, options.connect));
      });
      native.init({});
    });
  }

  /** The session id as a hex string (stable for the session's life). */
  get sessionId(): string {
    return this.native.client_id;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  create(path: string, data: Buffer | string = '', mode: number = CreateMode.PERSISTENT): Promise<string> {
    return new Promise((resolve, reject) => {
      this.binding.a_create(path, toBuffer(data), mode, (rc, err, created) => (rc === 0 ? resolve(created) : reject(new ZkError(rc, 'create', path, err))));
    });
  }

  /** Creates `path` and any missing parents as empty persistent nodes; an existing node is not an error. */
  mkdirp(path: string): Promise<void> {
    return createWithParents(path, (p) => this.create(p));
  }

  get(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZkStat }> {
    return new Promise((resolve, reject) => {
      const cb = (rc: number, err: string, stat: ZkStat, data: Buffer | null): void =>
        rc === 0 ? resolve({ data: data ?? Buffer.alloc(0), stat }) : reject(new ZkError(rc, 'get', path, err));
      if (watcher) this.binding.aw_get(path, nativeWatch(watcher), cb);
      else this.binding.a_get(path, false, cb);
    });
  }

  /** The node's Stat, or null if it does not exist. A watcher set here also fires on creation. */
  exists(path: string, watcher?: Watcher): Promise<ZkStat | null> {
    return new Promise((resolve, reject) => {
      const cb = (rc: number, err: string, stat: ZkStat): void => {
        if (rc === 0) resolve(stat);
        else if (rc === ZkCode.NONODE) resolve(null);
        else reject(new ZkError(rc, 'exists', path, err));
      };
      if (watcher) this.binding.aw_exists(path, nativeWatch(watcher), cb);
      else this.binding.a_exists(path, false, cb);
    });
  }

  getChildren(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: ZkStat }> {
    return new Promise((resolve, reject) => {
      const cb = (rc: number, err: string, children: string[], stat: ZkStat): void =>
        rc === 0 ? resolve({ children: children ?? [], stat }) : reject(new ZkError(rc, 'getChildren', path, err));
      if (watcher) this.binding.aw_get_children2(path, nativeWatch(watcher), cb);
      else this.binding.a_get_children2(path, false, cb);
    });
  }

  /** Writes data if the node's version is `version` (-1: any). Returns the new Stat. */
  set(path: string, data: Buffer | string, version = -1): Promise<ZkStat> {
    return new Promise((resolve, reject) => {
      this.binding.a_set(path, toBuffer(data), version, (rc, err, stat) => (rc === 0 ? resolve(stat) : reject(new ZkError(rc, 'set', path, err))));
    });
  }

  delete(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => {
      this.binding.a_delete_(path, version, (rc, err) => (rc === 0 ? resolve() : reject(new ZkError(rc, 'delete', path, err))));
    });
  }

  getAcl(path: string): Promise<{ acl: ZkAcl[]; stat: ZkStat }> {
    return new Promise((resolve, reject) => {
      this.native.a_get_acl(path, (rc, err, acl, stat) =>
        rc === 0 ? resolve({ acl: acl.map((a) => ({ perms: a.perms, scheme: a.scheme, auth: a.auth })), stat }) : reject(new ZkError(rc, 'getAcl', path, err)),
      );
    });
  }

  setAcl(path: string, acl: ZkAcl[], aversion = -1): Promise<void> {
    return new Promise((resolve, reject) => {
      this.native.a_set_acl(path, aversion, acl, (rc, err) => (rc === 0 ? resolve() : reject(new ZkError(rc, 'setAcl', path, err))));
    });
  }

  addAuth(scheme: string, auth: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.native.add_auth(scheme, auth, (rc, err) => (rc === 0 ? resolve() : reject(new ZkError(rc, 'addAuth', scheme, err))));
    });
  }

  /** Makes the server this session talks to catch up with the leader before the next read. */
  sync(path = '/'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.binding.a_sync(path, (rc, err) => (rc === 0 ? resolve() : reject(new ZkError(rc, 'sync', path, err))));
    });
  }

  /**
   * Ends the session. The close request is sent without waiting for the reply, so the server removes the session's
   * ephemeral nodes shortly after, not before this returns. Safe to call twice.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.removeAllListeners();
    this.native.close();
  }
}

/**
 * Creates `path` and its missing ancestors, top-down, through `create` (so a caller that wraps its requests, with
 * timing or retries, keeps them); a node that already exists is not an error.
 */
export async function createWithParents(path: string, create: (path: string) => Promise<unknown>): Promise<void> {
  let prefix = '';
  for (const part of path.split('/').filter(Boolean)) {
    prefix += `/${part}`;
    try {
      await create(prefix);
    } catch (err) {
      if (!isZkError(err, ZkCode.NODEEXISTS)) throw err;
    }
  }
}

function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function nativeWatch(watcher: Watcher): NativeWatch {
  return (type, _state, path) => watcher({ type: WATCH_TYPES[type] ?? 'notwatching', path });
}
