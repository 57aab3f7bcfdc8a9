/** Processes and processes by name on the fixed two-host cluster. */
import { processesByNameRenderer, processesRenderer } from '../../../services/app/src/renderers/process-renderers';
import { INTERNET_ID } from '../../../services/app/src/renderers/render-model';
import { IDS } from './support/fixed-reports';
import { edgeList, nodeIds, render, viewOf } from './support/render-fixtures';

describe('the processes topology', () => {
  const topology = render(processesRenderer);

  test('has every process, named, with its host as sublabel and group', () => {
    expect(nodeIds(topology)).toEqual([IDS.nginx, IDS.sshd, IDS.java, IDS.postgres, INTERNET_ID].sort());
    expect(viewOf(topology, IDS.nginx)).toMatchObject({ label: 'nginx', sublabel: 'node-a', kind: 'process', metrics: { cpu_usage_percent: 1.5 }, group: { host: 'node-a', container: 'web', name: 'nginx', marathon_app: '/shop/web' } });
    expect(viewOf(topology, IDS.sshd).group).toEqual({ host: 'node-a', name: 'sshd' });
  });

  test('edges are between the processes holding the sockets', () => {
    expect(edgeList(topology)).toEqual([`${IDS.nginx} -> ${IDS.java}: 3`, `${IDS.java} -> ${IDS.postgres}: 1`, `${IDS.nginx} -> ${INTERNET_ID}: 1`, `${INTERNET_ID} -> ${IDS.sshd}: 1`].sort());
  });

  test('a process belongs to its container and host', () => {
    expect(topology.relations(topology.nodes.get(IDS.java)!).parents).toEqual([{ id: IDS.api, label: 'api', kind: 'container' }, { id: IDS.hostB, label: 'node-b', kind: 'host' }]);
  });
});

describe('the processes-by-name topology', () => {
  const topology = render(processesByNameRenderer);

  test('has a node per executable name across hosts', () => {
    expect(viewOf(topology, 'process-name:java')).toMatchObject({ label: 'java', sublabel: '1 process', kind: 'process-name', labels: { processes: '1', hosts: '1' } });
  });

  test('edges are between names', () => {
    expect(edgeList(topology)).toEqual(['process-name:java -> process-name:postgres: 1', 'process-name:nginx -> process-name:java: 3', `process-name:nginx -> ${INTERNET_ID}: 1`, `${INTERNET_ID} -> process-name:sshd: 1`].sort());
  });

  test('a name holds its processes', () => {
    expect(topology.relations(topology.nodes.get('process-name:nginx')!).children).toEqual([{ id: IDS.nginx, label: 'nginx', kind: 'process' }]);
  });
});
