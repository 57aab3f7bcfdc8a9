/**
 * A network namespace's interfaces and addresses from its /proc/<pid>/net files. The DaemonSet mounts only the
 * cgroup part of /sys, so /sys/class/net is not there; /proc/<pid>/net is, for every namespace a process is in.
 */
import { formatIpv6 } from './tcp-table';

/** Local IPv4 addresses (`/32 host LOCAL` entries of fib_trie), loopback excluded, in first-seen order. */
export function ipv4Addresses(fibTrie: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let last = '';
  for (const line of fibTrie.split('\n')) {
    const t = line.trim();
    if (t.startsWith('|-- ')) last = t.slice(4);
    else if (t.startsWith('/32 host LOCAL') && last && !last.startsWith('127.') && !seen.has(last)) {
      seen.add(last);
      out.push(last);
    }
  }
  return out;
}

/** IPv6 addresses of if_inet6, loopback excluded. */
export function ipv6Addresses(ifInet6: string): string[] {
  const out: string[] = [];
  const bytes = new Uint8Array(16);
  for (const line of ifInet6.split('\n')) {
    const hex = line.slice(0, 32);
    if (!/^[0-9a-f]{32}$/i.test(hex)) continue;
    for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    const ip = formatIpv6(bytes);
    if (ip !== '::1' && !out.includes(ip)) out.push(ip);
  }
  return out;
}

/** Interface names of net/dev, loopback included. */
export function interfaceNames(netDev: string): string[] {
  const out: string[] = [];
  for (const line of netDev.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push(line.slice(0, colon).trim());
  }
  return out;
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

export function isUnspecified(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}
