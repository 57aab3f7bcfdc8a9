/**
 * The shape the companion services share on Kubernetes (allocator, sync-engine, monitoring app): a Deployment of
 * the service image running as its `node` user with a read-only root, `/readyz` and `/healthz` probes on its one
 * HTTP port, a Service on that port, a PodDisruptionBudget and a ServiceAccount without a token. Each component
 * says only what differs: replicas, rollout, placement, environment, volumes.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { partIdentity } from '../labels';
import { containerResources, httpProbe, nonRootPodSecurity, restrictedContainerSecurity } from '../pod-spec';
import type { ResourceRequirements } from '../stack-config';
import { disruptionBudget, tokenlessServiceAccount } from '../workload-parts';
import { SERVICE_UID } from './spec';

type Input<T> = pulumi.Input<T>;

export interface ServiceWorkload {
  /** Namespace and `app.kubernetes.io/instance`. */
  namespace: string;
  instance: string;
  /** `app.kubernetes.io/name` and `component` of the service's objects; the name is also the container's. */
  app: string;
  component: string;
  image: Input<string>;
  resources: ResourceRequirements;
  /** The port of its API, /healthz, /readyz and /metrics (the contract's `httpPort`). */
  port: number;
  replicas: number;
  strategy: k8s.types.input.apps.v1.DeploymentStrategy;
  affinity?: k8s.types.input.core.v1.Affinity;
  env: Input<Input<k8s.types.input.core.v1.EnvVar>[]>;
  volumes?: Input<k8s.types.input.core.v1.Volume>[];
  volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
  /** How long SIGTERM's drain may take before the kubelet kills the container. */
  terminationGracePeriodSeconds: number;
  /** The PodDisruptionBudget's bound on voluntary evictions. */
  disruption: { minAvailable: number } | { maxUnavailable: number };
}

/** Declares the service's objects under `parent`; returns its in-cluster URL `http://<service>.<namespace>.svc:<port>`. */
export function serviceWorkload(name: string, w: ServiceWorkload, parent: pulumi.Resource): pulumi.Output<string> {
  const { labels, selector, metadata } = partIdentity({ name: w.app, component: w.component, instance: w.instance, namespace: w.namespace });
  const serviceAccount = tokenlessServiceAccount(name, metadata, parent);
  const service = new k8s.core.v1.Service(`${name}-svc`, { metadata, spec: { selector, ports: [{ name: 'http', port: w.port }] } }, { parent });

  new k8s.apps.v1.Deployment(
    name,
    {
      metadata,
      spec: {
        replicas: w.replicas,
        selector: { matchLabels: selector },
        strategy: w.strategy,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: serviceAccount.metadata.name,
            automountServiceAccountToken: false,
            affinity: w.affinity,
            securityContext: nonRootPodSecurity(SERVICE_UID),
            terminationGracePeriodSeconds: w.terminationGracePeriodSeconds,
            containers: [
              {
                name: w.app,
                image: w.image,
                imagePullPolicy: 'IfNotPresent',
                env: w.env,
                ports: [{ name: 'http', containerPort: w.port }],
                resources: containerResources(w.resources),
                // The services write only to the volumes they are given (the sync-engine's state dir).
                securityContext: { ...restrictedContainerSecurity(), readOnlyRootFilesystem: true },
                // /readyz is 503 until the service can do its work; /healthz only says the process answers.
                readinessProbe: httpProbe('/readyz', w.port, 5),
                livenessProbe: httpProbe('/healthz', w.port, 15),
                volumeMounts: w.volumeMounts,
              },
            ],
            volumes: w.volumes,
          },
        },
      },
    },
    { parent },
  );

  disruptionBudget(name, metadata, selector, w.disruption, parent);
  return pulumi.interpolate`http://${service.metadata.name}.${w.namespace}.svc:${w.port}`;
}
