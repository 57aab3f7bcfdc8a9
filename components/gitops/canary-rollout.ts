import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { Labels } from '../labels';
import { analysisTemplateSpec, CanaryCheck, CanaryDelivery } from './canary-analysis';
import { rolloutSpec } from './rollout-spec';

export interface CanaryRolloutArgs {
  /** Namespace and labels of every object, the service's own. */
  metadata: { namespace: string; labels: Labels };
  /** The service's pod selector labels. */
  selector: Labels;
  replicas: number;
  /** The pod template the service's Deployment would run. */
  template: k8s.types.input.core.v1.PodTemplateSpec;
  /** The service's HTTP port, which the stable and canary Services expose as its own Service does. */
  port: number;
  /** Where the analysis asks, the steps, and what each step is judged on. */
  canary: CanaryDelivery & { checks: CanaryCheck[] };
}

/**
 * A service delivered as an Argo Rollouts canary: the `Rollout` in place of its Deployment, the `AnalysisTemplate`
 * that judges each step on Prometheus, and a stable and a canary Service, which the controller narrows to the stable
 * and the canary pods (by their pod-template hash) for whoever wants one version alone. The service's own Service
 * keeps selecting both, so the canary takes its share of the real traffic. The Argo Rollouts controller and its
 * CRDs must already run in the cluster.
 */
export class CanaryRollout extends pulumi.ComponentResource {
  /** Names of the Services selecting the stable pods only and the canary pods only. */
  public readonly stableService: pulumi.Output<string>;
  public readonly canaryService: pulumi.Output<string>;

  constructor(name: string, args: CanaryRolloutArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:gitops:CanaryRollout', name, {}, opts);
    const { metadata, selector } = args;
    const service = (suffix: string) => new k8s.core.v1.Service(`${name}-${suffix}`, { metadata, spec: { selector, ports: [{ name: 'http', port: args.port }] } }, { parent: this });
    const stable = service('stable');
    const canary = service('canary');
    const template = new k8s.apiextensions.CustomResource(
      `${name}-analysis`,
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate', metadata, spec: analysisTemplateSpec(args.canary.prometheusUrl, args.canary.checks, args.canary.analysis) },
      { parent: this },
    );
    new k8s.apiextensions.CustomResource(
      name,
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        metadata,
        spec: rolloutSpec({
          replicas: args.replicas,
          selector,
          template: args.template,
          strategy: { weights: args.canary.weights, templateName: template.metadata.name, canaryService: canary.metadata.name, stableService: stable.metadata.name },
        }),
      },
      { parent: this },
    );
    this.stableService = stable.metadata.name;
    this.canaryService = canary.metadata.name;
    this.registerOutputs({ stableService: this.stableService, canaryService: this.canaryService });
  }
}
