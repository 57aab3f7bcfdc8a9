/**
 * Connections resolved across hosts: client socket → the listening socket it reaches (by the peer's scope, or by
 * the address some host reports) → its process → container → host; peers nobody reports are the internet.
 */
import fc from 'fast-check';
import { endpointId, UNKNOWN_NETNS } from '../../../services/lib/report/node-ids';
import { parseProbeReport, ProbeReport } from '../../../services/lib/report/report-schema';
import { ConnectionResolver, EndpointOwner, ResolvedConnection, resolveConnections, wholeReport } from '../../../services/app/src/connection-resolution';
import { compactReport } from '../../../services/app/src/report-compaction';
import { ReportWindow } from '../../../services/app/src/report-window';
import { fixedReports, IDS, merged, NS_A, NS_B, reportA, reportB } from './support/fixed-reports';

/** Connections as comparable text, summed by their ends' values (owner objects are the resolver's business). */
function summary(connections: readonly ResolvedConnection[]): Record<string, number> {
  const end = (o: EndpointOwner) => (o.external !== undefined ? `external ${o.external}` : [o.process, o.container, o.host].filter(Boolean).join(' / '));
  const out: Record<string, number> = {};
  for (const c of connections) {
    const key = `${end(c.client)} -> ${end(c.server)} :${c.port}`;
    out[key] = (out[key] ?? 0) + c.count;
  }
  return out;
}

const owner = (process: string, container: string | undefined, host: string) => [process, container, host].filter(Boolean).join(' / ');

describe('resolving the fixed two-host cluster', () => {
  const connections = summary(resolveConnections(merged()));

  test('a client on node-a reaches the listener on node-b through a `*` peer and the address node-b reports', () => {
    expect(connections[`${owner(IDS.nginx, IDS.web, IDS.hostA)} -> ${owner(IDS.java, IDS.api, IDS.hostB)} :8080`]).toBe(3);
  });

  test('a peer the probe placed on its own host resolves in that namespace, to a listener bound to one address', () => {
    expect(connections[`${owner(IDS.java, IDS.api, IDS.hostB)} -> ${owner(IDS.postgres, IDS.db, IDS.hostB)} :5432`]).toBe(1);
  });

  test('peers at addresses no probe reports are the internet, outbound and inbound', () => {
    expect(connections[`${owner(IDS.nginx, IDS.web, IDS.hostA)} -> external 93.184.216.34 :443`]).toBe(1);
    expect(connections[`external 203.0.113.9 -> ${owner(IDS.sshd, undefined, IDS.hostA)} :22`]).toBe(1);
  });

  test('connections both ends report are counted once, and nothing else appears', () => {
    expect(Object.values(connections).reduce((a, b) => a + b, 0)).toBe(6);
    expect(Object.keys(connections)).toHaveLength(4);
  });
});

describe('resolving other layouts', () => {
  const withHost = (report: ReturnType<typeof reportA>, labels: Record<string, string>) => {
    const host = Object.values(report.topologies.host)[0];
    host.labels = { ...host.labels, ...labels };
    return report;
  };

  test('an address two namespaces claim places nothing: its peers count as outside', () => {
    // node-b claims node-a's address too (a copied interface, a NAT): 10.0.0.1 no longer says which host.
    const b = withHost(reportB(), { addresses: '10.0.0.2,10.0.0.1' });
    const connections = summary(resolveConnections(merged([parseProbeReport(reportA()), parseProbeReport(b)])));
    // node-b's accepted connections from 10.0.0.1 are now from outside; node-a's own clients still resolve by 10.0.0.2.
    expect(connections[`external 10.0.0.1 -> ${owner(IDS.java, IDS.api, IDS.hostB)} :8080`]).toBe(3);
    expect(connections[`${owner(IDS.nginx, IDS.web, IDS.hostA)} -> ${owner(IDS.java, IDS.api, IDS.hostB)} :8080`]).toBe(3);
  });

  test('with no probe on node-a, node-b counts the connections it accepted from node-a itself, as from outside', () => {
    const connections = summary(resolveConnections(merged([parseProbeReport(reportB())])));
    expect(connections[`external 10.0.0.1 -> ${owner(IDS.java, IDS.api, IDS.hostB)} :8080`]).toBe(3);
  });

  test('a listener bound to :: takes IPv4 peers, and IPv6 peers resolve by the v6 address a host reports', () => {
    const a = withHost(reportA(), { addresses: '10.0.0.1,fd00::1' });
    const b = withHost(reportB(), { addresses: '10.0.0.2,fd00::2' });
    const java = { process: [IDS.java], container: [IDS.api], host: [IDS.hostB] };
    b.topologies.endpoint = { [endpointId(NS_B, '::', 8080)]: { timestamp: b.timestamp, labels: { role: 'listen', state: 'listen' }, parents: java } };
    a.topologies.endpoint = {
      [endpointId(NS_A, '10.0.0.1', 40001)]: { timestamp: a.timestamp, labels: { role: 'client' }, parents: { process: [IDS.nginx], host: [IDS.hostA] }, adjacency: [endpointId(UNKNOWN_NETNS, '10.0.0.2', 8080)] },
      [endpointId(NS_A, 'fd00::1', 40002)]: { timestamp: a.timestamp, labels: { role: 'client' }, parents: { process: [IDS.nginx], host: [IDS.hostA] }, adjacency: [endpointId(UNKNOWN_NETNS, 'fd00::2', 8080)] },
    };
    const connections = summary(resolveConnections(merged([parseProbeReport(a), parseProbeReport(b)])));
    // The endpoint's parents name no container: the process's parents fill it in.
    expect(connections[`${owner(IDS.nginx, IDS.web, IDS.hostA)} -> ${owner(IDS.java, IDS.api, IDS.hostB)} :8080`]).toBe(2);
  });

  test('a peer in a reported namespace with no listener on its port ends at that host', () => {
    const a = reportA();
    a.topologies.endpoint = { [endpointId(NS_A, '10.0.0.1', 40001)]: { timestamp: a.timestamp, labels: { role: 'client' }, parents: { process: [IDS.nginx], container: [IDS.web], host: [IDS.hostA] }, adjacency: [endpointId(UNKNOWN_NETNS, '10.0.0.2', 9999)] } };
    const connections = summary(resolveConnections(merged([parseProbeReport(a), parseProbeReport(reportB())])));
    expect(connections[`${owner(IDS.nginx, IDS.web, IDS.hostA)} -> ${IDS.hostB} :9999`]).toBe(1);
  });
});

describe('resolving from the parts the window keeps', () => {
  const hosts = ['h1', 'h2', 'h3'];
  const address = (h: number) => `10.9.0.${h + 1}`;
  /** A random fleet: each host listens on some ports and opens connections to some host:port, maybe unreported. */
  const fleet = fc.array(
    fc.record({ listens: fc.subarray([80, 443, 5432]), clients: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(80, 443, 5432, 9000)), { maxLength: 6 }) }),
    { minLength: hosts.length, maxLength: hosts.length },
  );

  function reports(plan: Array<{ listens: number[]; clients: Array<[number, number]> }>, at = 1): ProbeReport[] {
    return plan.map((p, h) => {
      const name = hosts[h];
      const ns = `${name}/1`;
      const proc = `process:${name}:1:1`;
      const parents = { process: [proc], host: [`host:${name}`] };
      const endpoint: Record<string, { timestamp: number; labels: Record<string, string>; parents: Record<string, string[]>; adjacency?: string[] }> = {};
      for (const port of p.listens) endpoint[endpointId(ns, '0.0.0.0', port)] = { timestamp: at, labels: { role: 'listen' }, parents };
      p.clients.forEach(([to, port], k) => {
        // Host 3 does not exist: its address is outside.
        endpoint[endpointId(ns, address(h), 30000 + k)] = { timestamp: at, labels: { role: 'client' }, parents, adjacency: [endpointId(UNKNOWN_NETNS, to === h ? '127.0.0.1' : address(to), port)] };
      });
      return parseProbeReport({
        schemaVersion: '1.0',
        probe: { id: name, version: '1' },
        host: name,
        timestamp: at,
        intervalSeconds: 1,
        topologies: { host: { [`host:${name}`]: { timestamp: at, labels: { name, addresses: address(h), netns: ns } } }, process: { [proc]: { timestamp: at, labels: { name: 'p' }, parents: { host: [`host:${name}`] } } }, endpoint },
      });
    });
  }

  test('equals resolving the whole report at once, generation after generation, as hosts report and age out', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fleet, fc.subarray([0, 1, 2], { minLength: 1 })), { minLength: 1, maxLength: 5 }), (steps) => {
        let now = 0;
        const window = new ReportWindow({ windowMs: 2500, graceMs: 0, clock: () => now });
        const resolver = new ConnectionResolver();
        for (const [plan, reporting] of steps) {
          now += 1000;
          for (const h of reporting) window.add(compactReport(reports(plan, now)[h], window.previous(hosts[h])));
          const report = window.advance().report;
          expect(summary(resolver.resolve(report, report.parts!))).toEqual(summary(new ConnectionResolver().resolve(report, [wholeReport(report)])));
        }
      }),
      { numRuns: 100 },
    );
  });

  test('keeps a part\'s digest while the part is the same object', () => {
    const report = merged(fixedReports());
    const resolver = new ConnectionResolver();
    const first = resolver.resolve(report, report.parts!);
    const again = resolver.resolve(report, report.parts!);
    // The same connection objects: nothing was resolved again.
    expect(again).toHaveLength(first.length);
    again.forEach((c, i) => expect(c).toBe(first[i]));
  });
});
