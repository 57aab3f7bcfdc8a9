/** Marathon apps and Mesos frameworks on the fixed two-host cluster. */
import { parseProbeReport } from '../../../services/lib/report/report-schema';
import { INTERNET_ID } from '../../../services/app/src/renderers/render-model';
import { marathonAppsRenderer, mesosFrameworksRenderer } from '../../../services/app/src/renderers/runner-renderers';
import { IDS, merged, reportA, reportB, T0 } from './support/fixed-reports';
import { edgeList, render, viewOf } from './support/render-fixtures';

describe('the marathon-apps topology', () => {
  const topology = render(marathonAppsRenderer);

  test('has a node per app, with its tasks, containers and hosts counted and its framework as group', () => {
    expect(viewOf(topology, 'marathon-app:/shop/web')).toMatchObject({
      label: '/shop/web',
      sublabel: '1 task',
      kind: 'marathon-app',
      labels: { marathon_app_id: '/shop/web', mesos_framework_id: 'fw-marathon', tasks: '1', containers: '1', hosts: '1' },
      metrics: { cpu_usage_percent: 4 },
      group: { mesos_framework: 'fw-marathon' },
    });
  });

  test('edges are between apps; an end in no app is its host', () => {
    expect(edgeList(topology)).toEqual(
      ['marathon-app:/shop/web -> marathon-app:/shop/api: 3', 'marathon-app:/shop/web -> pseudo:internet: 1', `marathon-app:/shop/api -> ${IDS.hostB}: 1`, `${INTERNET_ID} -> ${IDS.hostA}: 1`].sort(),
    );
  });

  test('an app belongs to its framework and holds its tasks, then their containers', () => {
    const relations = topology.relations(topology.nodes.get('marathon-app:/shop/api')!);
    expect(relations.parents).toEqual([{ id: 'mesos-framework:fw-marathon', label: 'fw-marathon', kind: 'mesos-framework' }]);
    expect(relations.children).toEqual([{ id: 'mesos-task:shop_api.1', label: 'shop_api.1', kind: 'mesos-task' }, { id: IDS.api, label: 'api', kind: 'container' }]);
  });

  test('a task whose process runs in no reported container is the process', () => {
    const a = reportA();
    a.topologies.container = {};
    const b = reportB();
    const topology = render(marathonAppsRenderer, merged([parseProbeReport(a), parseProbeReport(b)], T0 + 1000));
    const web = topology.relations(topology.nodes.get('marathon-app:/shop/web')!);
    expect(web.children).toEqual([{ id: 'mesos-task:shop_web.1', label: 'shop_web.1', kind: 'mesos-task' }, { id: IDS.nginx, label: 'nginx', kind: 'process' }]);
    expect(edgeList(topology)).toContain('marathon-app:/shop/web -> marathon-app:/shop/api: 3');
  });
});

describe('the mesos-frameworks topology', () => {
  const topology = render(mesosFrameworksRenderer);

  test('has a node per framework, counting its tasks and apps', () => {
    expect(viewOf(topology, 'mesos-framework:fw-marathon')).toMatchObject({ label: 'fw-marathon', sublabel: '2 tasks', labels: { tasks: '2', marathon_apps: '2', hosts: '2' } });
  });

  test('connections within one framework draw no edge; the rest go to hosts and the internet', () => {
    expect(edgeList(topology)).toEqual(['mesos-framework:fw-marathon -> pseudo:internet: 1', `mesos-framework:fw-marathon -> ${IDS.hostB}: 1`, `${INTERNET_ID} -> ${IDS.hostA}: 1`].sort());
  });

  test('a framework holds its apps and tasks', () => {
    const children = topology.relations(topology.nodes.get('mesos-framework:fw-marathon')!).children.map((c) => c.id);
    expect(children).toEqual(expect.arrayContaining(['marathon-app:/shop/api', 'marathon-app:/shop/web', 'mesos-task:shop_api.1', 'mesos-task:shop_web.1']));
  });
});
