/**
 * The whole platform from one validated `StackConfig`: namespace, ZooKeeper, Mesos masters and agents, Marathon.
 * `index.ts` calls this and exports its outputs; tests call it under Pulumi's mocks.
 */
import * as pulumi from '@pulumi/pulumi';
import { ArgoCdEnvironment } from './gitops/argocd';
import { registerSyncWaves } from './gitops/sync-waves';
import { Marathon } from './marathon';
import { MesosAgents } from './mesos/agents';
import { MesosMaster } from './mesos/master';
import { PlatformNamespace } from './namespace';
import type { StackConfig } from './stack-config';
import { ZooKeeperEnsemble } from './zookeeper/ensemble';

/** ZooKeeper chroots of the platform's parts. */
export const ZK_CHROOTS = { mesos: 'mesos', marathon: 'marathon' } as const;

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
}

export function definePlatform(config: StackConfig, instance: string): PlatformOutputs {
  // First, so that every object declared below (and every part added later) carries its Argo CD sync wave.
  registerSyncWaves();
  const namespace = new PlatformNamespace('orchestrator', { name: config.namespace, instance });
  const inNamespace = { dependsOn: [namespace] };
  const common = { namespace: config.namespace, instance };

  const zookeeper = new ZooKeeperEnsemble('zookeeper', { ...common, image: config.images.zookeeper, ...config.zookeeper }, inNamespace);
  const mesosZkUrl = zookeeper.url(ZK_CHROOTS.mesos);
  const marathonZkUrl = zookeeper.url(ZK_CHROOTS.marathon);

  const master = new MesosMaster(
    'mesos-master',
    { ...common, image: config.images.mesosMaster, zkUrl: mesosZkUrl, ...config.mesosMaster },
    inNamespace,
  );
  new MesosAgents('mesos-agent', { ...common, image: config.images.mesosAgent, masterZkUrl: master.zkUrl, ...config.mesosAgents }, inNamespace);
  const marathon = new Marathon(
    'marathon',
    { ...common, image: config.images.marathon, masterZkUrl: master.zkUrl, stateZkUrl: marathonZkUrl, ...config.marathon },
    inNamespace,
  );

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
  };
}
