/** The hosts topology on the fixed two-host cluster. */
import { hostsRenderer } from '../../../services/app/src/renderers/host-renderer';
import { INTERNET_ID } from '../../../services/app/src/renderers/render-model';
import { IDS } from './support/fixed-reports';
import { edgeList, nodeIds, render, viewOf } from './support/render-fixtures';

describe('the hosts topology', () => {
  const topology = render(hostsRenderer);

  test('has a node per reporting host, plus the internet its connections reach', () => {
    expect(nodeIds(topology)).toEqual([IDS.hostA, IDS.hostB, INTERNET_ID].sort());
  });

  test('a host node carries its labels, latest metrics and its OS as group and sublabel', () => {
    expect(viewOf(topology, IDS.hostA)).toMatchObject({
      label: 'node-a',
      sublabel: 'Debian GNU/Linux 12 (bookworm)',
      kind: 'host',
      labels: { name: 'node-a', addresses: '10.0.0.1' },
      metrics: { cpu_usage_percent: 30, memory_usage_bytes: 1000 },
      group: { os: 'Debian GNU/Linux 12 (bookworm)' },
    });
  });

  test('edges are connections between hosts, weighted by count; a host talking to itself draws none', () => {
    expect(edgeList(topology)).toEqual([`${IDS.hostA} -> ${IDS.hostB}: 3`, `${IDS.hostA} -> ${INTERNET_ID}: 1`, `${INTERNET_ID} -> ${IDS.hostA}: 1`].sort());
  });

  test('a host holds its containers', () => {
    const relations = topology.relations(topology.nodes.get(IDS.hostB)!);
    expect(relations.parents).toEqual([]);
    expect(relations.children.map((c) => c.id).sort()).toEqual([IDS.api, IDS.db].sort());
  });
});
