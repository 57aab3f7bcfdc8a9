import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { PLATFORM_PORTS } from '../../services/lib/contract';
import { partIdentity } from '../labels';
import { containerResources, httpProbe, nonRootPodSecurity, podAntiAffinity, restrictedContainerSecurity } from '../pod-spec';
import { quorumSize } from '../quorum';
import type { AntiAffinity, StorageConfig } from '../stack-config';
import { disruptionBudget, tokenlessServiceAccount, volumeClaim, WorkloadArgs } from '../workload-parts';
import { MASTER_WORK_DIR, MESOS_LOG_DIR, masterEnv, metricsExporterContainer } from './spec';

export interface MesosMasterArgs extends WorkloadArgs {
  /** Number of masters; odd, since the replicated log needs a majority. */
  replicas: number;
  /** Spread of masters over nodes. */
  antiAffinity: AntiAffinity;
  /** Volume claim for each master's work dir (the replicated log). */
  storage: StorageConfig;
  /** `zk://…/mesos`, from the ZooKeeper ensemble. */
  zkUrl: pulumi.Input<string>;
  /** Cluster name. */
  cluster: string;
  /** Pinned image of the metrics exporter sidecar (mesos/mesos_exporter). */
  exporterImage: string;
}

/**
 * Mesos masters: a StatefulSet so each master keeps its replicated-log replica on its own volume across restarts,
 * one leader elected through ZooKeeper, a Service on 5050, and a PodDisruptionBudget keeping the log's quorum.
 */
export class MesosMaster extends pulumi.ComponentResource {
  /** `http://<service>.<namespace>.svc:5050`; non-leading masters redirect to the leader. */
  public readonly url: pulumi.Output<string>;
  /** `zk://…/mesos`: what frameworks and agents use to find the leading master. */
  public readonly zkUrl: pulumi.Output<string>;
  /** The replicated log's quorum, as passed in `MESOS_QUORUM`. */
  public readonly quorum: number;

  constructor(name: string, args: MesosMasterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:mesos:MesosMaster', name, {}, opts);
    const { labels, selector, metadata } = partIdentity({ name: 'mesos-master', component: 'master', instance: args.instance, namespace: args.namespace });
    this.quorum = quorumSize(args.replicas);
    this.zkUrl = pulumi.output(args.zkUrl);

    const serviceAccount = tokenlessServiceAccount(name, metadata, this);

    // Governing Service of the StatefulSet: gives each master a stable DNS name for its log replica's peers.
    const headless = new k8s.core.v1.Service(
      `${name}-headless`,
      { metadata, spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector, ports: [{ name: 'http', port: PLATFORM_PORTS.mesosMaster }] } },
      { parent: this },
    );
    const service = new k8s.core.v1.Service(`${name}-svc`, { metadata, spec: { selector, ports: [{ name: 'http', port: PLATFORM_PORTS.mesosMaster }] } }, { parent: this });

    new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata,
        spec: {
          serviceName: headless.metadata.name,
          replicas: args.replicas,
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: selector },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              affinity: podAntiAffinity(args.antiAffinity, selector),
              securityContext: nonRootPodSecurity(),
              containers: [
                {
                  name: 'mesos-master',
                  image: args.image,
                  imagePullPolicy: 'IfNotPresent',
                  env: pulumi.output(args.zkUrl).apply((zkUrl) => masterEnv({ zkUrl, replicas: args.replicas, cluster: args.cluster })),
                  ports: [{ name: 'http', containerPort: PLATFORM_PORTS.mesosMaster }],
                  resources: containerResources(args.resources),
                  securityContext: restrictedContainerSecurity(),
                  readinessProbe: httpProbe('/health', PLATFORM_PORTS.mesosMaster, 5),
                  livenessProbe: httpProbe('/health', PLATFORM_PORTS.mesosMaster, 30),
                  volumeMounts: [
                    { name: 'work', mountPath: MASTER_WORK_DIR },
                    { name: 'logs', mountPath: MESOS_LOG_DIR },
                  ],
                },
                metricsExporterContainer('master', args.exporterImage, { fieldPath: 'status.podIP', port: PLATFORM_PORTS.mesosMaster }),
              ],
              volumes: [{ name: 'logs', emptyDir: {} }],
            },
          },
          volumeClaimTemplates: [volumeClaim('work', labels, args.storage)],
        },
      },
      { parent: this },
    );

    disruptionBudget(name, metadata, selector, { minAvailable: this.quorum }, this);

    this.url = pulumi.interpolate`http://${service.metadata.name}.${args.namespace}.svc:${PLATFORM_PORTS.mesosMaster}`;
    this.registerOutputs({ url: this.url, zkUrl: this.zkUrl, quorum: this.quorum });
  }
}
