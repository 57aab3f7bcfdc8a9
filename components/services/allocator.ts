import * as pulumi from '@pulumi/pulumi';
import { ALLOCATOR } from '../../services/lib/contract';
import { selectorLabels } from '../labels';
import { podAntiAffinity } from '../pod-spec';
import type { AntiAffinity, ResourceRequirements } from '../stack-config';
import { serviceWorkload } from './service-workload';
import { allocatorEnv } from './spec';

export interface AllocatorArgs {
  /** Namespace the allocator lives in. */
  namespace: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
  /** The allocator image (from `ServiceImageRefs`, by digest when the program built it). */
  image: pulumi.Input<string>;
  /** Requests and limits of the allocator container. */
  resources: ResourceRequirements;
  /** Replicas: one leads, the others redirect API calls to it and stand by; at least 2. */
  replicas: number;
  /** Spread of replicas over nodes. */
  antiAffinity: AntiAffinity;
  /** The platform ensemble's connect string (no chroot). */
  zkConnect: pulumi.Input<string>;
  /** The allocator's tree on that ensemble, e.g. `/allocator`. */
  zkRoot: string;
}

/**
 * The allocator: a Deployment of interchangeable replicas (all state is journalled in ZooKeeper, one leader is
 * elected there), a Service on 8090, a PodDisruptionBudget, a ServiceAccount without a token.
 */
export class Allocator extends pulumi.ComponentResource {
  /** `http://<service>.<namespace>.svc:8090`; a follower answers leader-only calls with a redirect to the leader. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: AllocatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:services:Allocator', name, {}, opts);
    const identity = { app: 'allocator', component: 'allocation' };
    this.url = serviceWorkload(
      name,
      {
        ...identity,
        namespace: args.namespace,
        instance: args.instance,
        image: args.image,
        resources: args.resources,
        port: ALLOCATOR.httpPort,
        replicas: args.replicas,
        // A new replica is up before an old one goes: the election always has a standby to hand over to.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        affinity: podAntiAffinity(args.antiAffinity, selectorLabels({ name: identity.app, instance: args.instance, component: identity.component })),
        env: pulumi.output(args.zkConnect).apply((zkConnect) => allocatorEnv({ zkConnect, zkRoot: args.zkRoot })),
        // The drain ends framework streams and waits up to 2 s for pending journal writes.
        terminationGracePeriodSeconds: 30,
        // One replica at a time: losing the leader costs a re-election, never every replica at once.
        disruption: { maxUnavailable: 1 },
      },
      this,
    );
    this.registerOutputs({ url: this.url });
  }
}
