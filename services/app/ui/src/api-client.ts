/**
 * The app's public API as the page uses it: the same routes and shapes (api-shapes.ts) any other client has. The
 * base is the page's own origin, so the UI works behind whatever proxy serves it. Views come over the WebSocket
 * (a snapshot, then diffs), so the REST view route is not needed here.
 */
import type { NodeDetails, ProbeList, TopologyList, TopologyQuery } from '../../src/api-shapes';
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

const TOKEN_PARAM = 'access_token';
const TOKEN_KEY = 'monitor.accessToken';

/**
 * The read API's bearer token, when the app is run with one (APP_API_TOKEN): given once as `?access_token=` on the
 * page's URL, kept for the tab's session, and taken out of the address bar so a shared link never carries it.
 */
let accessToken: string | null = null;

export function takeAccessToken(): void {
  const url = new URL(location.href);
  const given = url.searchParams.get(TOKEN_PARAM);
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete(TOKEN_PARAM);
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  accessToken = sessionStorage.getItem(TOKEN_KEY);
}

async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  try {
    res = await fetch(url, { headers, signal });
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
    if (res.status === 401) detail = `${detail}: this app asks for a token; open the page once with ?${TOKEN_PARAM}=<token>`;
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

export function nodeDetails(name: string, id: string, signal?: AbortSignal): Promise<NodeDetails> {
  return getJson<NodeDetails>(path('topology', name, id), signal);
}

export function probes(signal?: AbortSignal): Promise<ProbeList> {
  return getJson<ProbeList>('/api/probes', signal);
}

/** `ws(s)://<this origin>/api/topology/<name>/ws?<query>` (a browser's WebSocket cannot send a header: the token goes in the query). */
export function socketUrl(name: string, q: TopologyQuery): string {
  const params = appendQuery(new URLSearchParams(), q);
  if (accessToken) params.set(TOKEN_PARAM, accessToken);
  const qs = params.toString();
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path('topology', name, 'ws')}${qs ? `?${qs}` : ''}`;
}
