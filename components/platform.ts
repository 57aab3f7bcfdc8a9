/**
 * The whole platform from one validated `StackConfig`: namespace, ZooKeeper, Mesos masters and agents, Marathon,
 * the allocator, the sync-engine (when enabled), the monitoring app and probes, and what Prometheus needs to watch
 * all of it. `index.ts` calls this and exports its outputs; tests call it under Pulumi's mocks.
 */
import * as pulumi from '@pulumi/pulumi';
import type { ServiceImageRefs } from './images/refs';
import { ArgoCdEnvironment } from './gitops/argocd';
import { registerSyncWaves } from './gitops/sync-waves';
import { serviceImageRefs } from './images/service-image-refs';
import { Marathon } from './marathon';
import { MesosAgents } from './mesos/agents';
import { MesosMaster } from './mesos/master';
import { PlatformAlerts } from './monitoring/alerts';
import { Monitoring } from './monitoring/monitoring';
import { PlatformMonitors } from './monitoring/pod-monitors';
import { SCRAPE_TARGETS } from './monitoring/scrape-targets';
import { PlatformNamespace } from './namespace';
import { Allocator } from './services/allocator';
import type { PublishedConnect } from './services/spec';
import { SyncEngine } from './services/sync-engine';
import { enabledSyncEngine, StackConfig } from './stack-config';
import { ZooKeeperEnsemble } from './zookeeper/ensemble';

/** ZooKeeper chroots of the platform's parts. */
export const ZK_CHROOTS = { mesos: 'mesos', marathon: 'marathon', allocator: 'allocator' } as const;

/** The stack outputs, by the names other teams read through `StackReference`. */
export interface PlatformOutputs {
  namespace: pulumi.Output<string>;
  zookeeperConnectString: pulumi.Output<string>;
  zookeeperQuorum: number;
  mesosMasterUrl: pulumi.Output<string>;
  mesosZkUrl: pulumi.Output<string>;
  mesosQuorum: number;
  marathonUrl: pulumi.Output<string>;
  marathonZkUrl: pulumi.Output<string>;
  allocatorUrl: pulumi.Output<string>;
  monitoringUrl: pulumi.Output<string>;
  /** Only while `syncEngine.enabled`: its status API, and where the cutover publishes the connect string to use. */
  syncEngine?: { syncEngineUrl: pulumi.Output<string>; syncEnginePublishedConnect: PublishedConnect };
}

export function definePlatform(config: StackConfig, instance: string): PlatformOutputs {
  // First, so that every object declared below (and every part added later) carries its Argo CD sync wave.
  registerSyncWaves();
  const namespace = new PlatformNamespace('orchestrator', { name: config.namespace, instance });
  const inNamespace = { dependsOn: [namespace] };
  const common = { namespace: config.namespace, instance };
  // The four services' images: built and pushed here, by digest, or the prebuilt references (`images.build`).
  const serviceImages: ServiceImageRefs = serviceImageRefs(config.images);

  const zookeeper = new ZooKeeperEnsemble('zookeeper', { ...common, image: config.images.zookeeper, ...config.zookeeper }, inNamespace);
  const mesosZkUrl = zookeeper.url(ZK_CHROOTS.mesos);
  const marathonZkUrl = zookeeper.url(ZK_CHROOTS.marathon);

  const master = new MesosMaster(
    'mesos-master',
    { ...common, image: config.images.mesosMaster, exporterImage: config.images.mesosExporter, zkUrl: mesosZkUrl, ...config.mesosMaster },
    inNamespace,
  );
  new MesosAgents('mesos-agent', { ...common, image: config.images.mesosAgent, exporterImage: config.images.mesosExporter, masterZkUrl: master.zkUrl, ...config.mesosAgents }, inNamespace);
  const marathon = new Marathon(
    'marathon',
    { ...common, image: config.images.marathon, masterZkUrl: master.zkUrl, stateZkUrl: marathonZkUrl, ...config.marathon },
    inNamespace,
  );

  const allocator = new Allocator(
    'allocator',
    { ...common, image: serviceImages.allocator, zkConnect: zookeeper.connectString, zkRoot: `/${ZK_CHROOTS.allocator}`, ...config.allocator },
    inNamespace,
  );

  const syncSettings = enabledSyncEngine(config);
  const syncEngine = syncSettings
    ? new SyncEngine('sync-engine', { ...common, image: serviceImages.syncEngine, resources: syncSettings.resources, settings: syncSettings }, inNamespace)
    : undefined;

  const monitoring = new Monitoring(
    'monitoring',
    {
      ...common,
      images: { probe: serviceImages.probe, app: serviceImages.app },
      probeResources: config.monitoring.probeResources,
      appResources: config.monitoring.appResources,
      probeToken: config.monitoring.probeToken,
    },
    inNamespace,
  );
  const prometheusLabels = config.monitoring.prometheusLabels;
  new PlatformMonitors('metrics', { ...common, prometheusLabels, targets: SCRAPE_TARGETS.filter((t) => t.app !== 'sync-engine' || syncEngine) }, inNamespace);
  new PlatformAlerts('platform-alerts', { ...common, prometheusLabels, zookeeperServers: config.zookeeper.replicas, probeDaemonSet: monitoring.probeDaemonSetName }, inNamespace);
  const { gitops } = config;
  if (gitops.enabled && gitops.repoURL) new ArgoCdEnvironment('gitops', { gitops: { ...gitops, repoURL: gitops.repoURL }, stack: pulumi.getStack(), instance, namespace: config.namespace });

  return {
    namespace: namespace.name,
    zookeeperConnectString: zookeeper.connectString,
    zookeeperQuorum: zookeeper.quorum,
    mesosMasterUrl: master.url,
    mesosZkUrl: master.zkUrl,
    mesosQuorum: master.quorum,
    marathonUrl: marathon.url,
    marathonZkUrl,
    allocatorUrl: allocator.url,
    monitoringUrl: monitoring.url,
    syncEngine: syncEngine && { syncEngineUrl: syncEngine.url, syncEnginePublishedConnect: syncEngine.publishedConnect },
  };
}
