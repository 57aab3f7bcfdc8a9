/**
 * The app's public API as the page uses it: the same routes and shapes (api-shapes.ts) any other client has. The
 * base is the page's own origin, so the UI works behind whatever proxy serves it.
 */
import type { NodeDetails, ProbeList, TopologyList, TopologyQuery, TopologyView } from '../../src/api-shapes';
import { appendQuery } from './view-state';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, `the app is unreachable (${(err as Error).message})`);
  }
  if (!res.ok) {
    let detail = res.statusText;
    try {
      const body = (await res.json()) as { error?: string; message?: string };
      detail = body.message ?? body.error ?? detail;
    } catch {
      // A proxy's HTML error page: the status says enough.
    }
    throw new ApiError(res.status, `${res.status} ${detail}`);
  }
  return (await res.json()) as T;
}

function path(...segments: string[]): string {
  return `/api/${segments.map(encodeURIComponent).join('/')}`;
}

export function topologies(signal?: AbortSignal): Promise<TopologyList> {
  return getJson<TopologyList>('/api/topology', signal);
}

export function view(name: string, q: TopologyQuery, signal?: AbortSignal): Promise<TopologyView> {
  const qs = appendQuery(new URLSearchParams(), q).toString();
  return getJson<TopologyView>(`${path('topology', name)}${qs ? `?${qs}` : ''}`, signal);
}

export function nodeDetails(name: string, id: string, signal?: AbortSignal): Promise<NodeDetails> {
  return getJson<NodeDetails>(path('topology', name, id), signal);
}

export function probes(signal?: AbortSignal): Promise<ProbeList> {
  return getJson<ProbeList>('/api/probes', signal);
}

/** `ws(s)://<this origin>/api/topology/<name>/ws?<query>`. */
export function socketUrl(name: string, q: TopologyQuery): string {
  const qs = appendQuery(new URLSearchParams(), q).toString();
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path('topology', name, 'ws')}${qs ? `?${qs}` : ''}`;
}
