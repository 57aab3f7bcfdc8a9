/** Containers, containers by image, and pods by namespace, on the fixed two-host cluster. */
import { containersByImageRenderer, containersRenderer, imageName, podsRenderer } from '../../../services/app/src/renderers/container-renderers';
import { INTERNET_ID } from '../../../services/app/src/renderers/render-model';
import { IDS } from './support/fixed-reports';
import { edgeList, nodeIds, render, viewOf } from './support/render-fixtures';

describe('the containers topology', () => {
  const topology = render(containersRenderer);

  test('has the containers, the internet, and the host of an uncontained process that has connections', () => {
    expect(nodeIds(topology)).toEqual([IDS.web, IDS.api, IDS.db, INTERNET_ID, IDS.hostA].sort());
    expect(viewOf(topology, IDS.hostA)).toMatchObject({ kind: 'host', label: 'node-a', sublabel: 'uncontained', labels: { pseudo: 'true' } });
  });

  test('a container shows its name and image, and groups by host, image, namespace, app, framework, state and runtime', () => {
    expect(viewOf(topology, IDS.web)).toMatchObject({
      label: 'web',
      sublabel: 'nginx:1.27',
      kind: 'container',
      metrics: { cpu_usage_percent: 4, memory_working_set_bytes: 100 },
      group: { host: 'node-a', image: 'nginx:1.27', marathon_app: '/shop/web', mesos_framework: 'fw-marathon', state: 'running', runtime: 'docker' },
    });
    expect(viewOf(topology, IDS.db).group).toMatchObject({ namespace: 'payments', host: 'node-b' });
  });

  test('edges go container to container, across hosts and within one', () => {
    expect(edgeList(topology)).toEqual([`${IDS.web} -> ${IDS.api}: 3`, `${IDS.api} -> ${IDS.db}: 1`, `${IDS.web} -> ${INTERNET_ID}: 1`, `${INTERNET_ID} -> ${IDS.hostA}: 1`].sort());
  });

  test('a container belongs to its host, pod and app, and holds its processes', () => {
    const api = topology.relations(topology.nodes.get(IDS.api)!);
    expect(api.parents).toEqual([{ id: IDS.hostB, label: 'node-b', kind: 'host' }, { id: 'marathon-app:/shop/api', label: '/shop/api', kind: 'marathon-app' }]);
    expect(api.children).toEqual([{ id: IDS.java, label: 'java', kind: 'process' }]);
    expect(topology.relations(topology.nodes.get(IDS.db)!).parents).toContainEqual({ id: 'pod:payments/db-0', label: 'db-0', kind: 'pod' });
  });
});

describe('the containers-by-image topology', () => {
  const topology = render(containersByImageRenderer);

  test('has a node per image name, tags listed, metrics summed over its containers', () => {
    expect(nodeIds(topology)).toEqual(['image:nginx', 'image:postgres', 'image:registry.local/api', INTERNET_ID, IDS.hostA].sort());
    expect(viewOf(topology, 'image:registry.local/api')).toMatchObject({ label: 'registry.local/api', kind: 'image', labels: { tags: '2.1', containers: '1', hosts: '1' }, group: { registry: 'registry.local' } });
    expect(viewOf(topology, 'image:nginx').group).toEqual({ registry: 'docker.io' });
  });

  test('edges are between images', () => {
    expect(edgeList(topology)).toEqual([`image:nginx -> image:registry.local/api: 3`, `image:registry.local/api -> image:postgres: 1`, `image:nginx -> ${INTERNET_ID}: 1`, `${INTERNET_ID} -> ${IDS.hostA}: 1`].sort());
  });

  test('an image reference is split into name and tag, a registry port and a digest notwithstanding', () => {
    expect(imageName('registry.local:5000/team/svc:1.2')).toEqual({ name: 'registry.local:5000/team/svc', tag: '1.2' });
    expect(imageName('nginx@sha256:abc')).toEqual({ name: 'nginx', tag: 'sha256:abc' });
    expect(imageName('busybox')).toEqual({ name: 'busybox', tag: undefined });
  });
});

describe('the pods topology', () => {
  const topology = render(podsRenderer);

  test('has a node per pod, from the pod labels its containers carry, grouped by namespace', () => {
    expect(viewOf(topology, 'pod:payments/db-0')).toMatchObject({ label: 'db-0', sublabel: 'payments', kind: 'pod', labels: { pod_uid: 'uid-db-0', host: 'node-b', containers: '1' }, group: { namespace: 'payments', host: 'node-b' } });
    expect(podsRenderer.descriptor.defaultGroupBy).toBe('namespace');
  });

  test('ends outside any pod are their hosts', () => {
    expect(viewOf(topology, IDS.hostB).sublabel).toBe('outside any pod');
    expect(edgeList(topology)).toContain(`${IDS.hostB} -> pod:payments/db-0: 1`);
  });

  test('a pod holds its containers and belongs to its host', () => {
    const relations = topology.relations(topology.nodes.get('pod:payments/db-0')!);
    expect(relations).toEqual({ parents: [{ id: IDS.hostB, label: 'node-b', kind: 'host' }], children: [{ id: IDS.db, label: 'db', kind: 'container' }] });
  });
});
