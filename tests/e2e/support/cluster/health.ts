/**
 * Waiting for a component to answer its health endpoint, bounded, with the reason it did not.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HealthTarget {
  url: string;
  /** CA to verify the server with; without one (kube-controller-manager and kube-scheduler serve a self-signed
   * certificate they make at start) the loopback endpoint is trusted as it is. */
  ca?: Buffer;
  token?: string;
}

/** One GET; resolves to the status and body, or to status 0 and the error if nothing answered. */
export function probe(target: HealthTarget, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const url = new URL(target.url);
    const headers = target.token ? { Authorization: `Bearer ${target.token}` } : {};
    const options = url.protocol === 'https:' ? { ca: target.ca, rejectUnauthorized: target.ca !== undefined, headers } : { headers };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { ...options, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns true; on timeout throws with the last reason `check` gave. */
export async function waitFor(what: string, deadline: number, check: () => Promise<true | string>, intervalMs = 200): Promise<void> {
  let reason = 'not checked yet';
  while (Date.now() < deadline) {
    const result = await check().catch((err: Error) => err.message);
    if (result === true) return;
    reason = result;
    await sleep(intervalMs);
  }
  throw new Error(`${what} did not happen in time (last: ${reason.trim().split('\n').slice(-3).join(' / ')})`);
}

/** Waits until GET `target` answers 200. */
export function waitHealthy(what: string, target: HealthTarget, deadline: number): Promise<void> {
  return waitFor(`${what} answering ${target.url}`, deadline, async () => {
    const { status, body } = await probe(target);
    return status === 200 ? true : `${status} ${body}`;
  });
}
