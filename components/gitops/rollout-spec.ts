/**
 * An Argo Rollouts `Rollout` as plain data: the same pods a Deployment would run, replaced by canary steps that are
 * each judged by an analysis (canary-analysis.ts) before the next. `CanaryRollout` (canary-rollout.ts) makes it.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { Labels } from '../labels';
import { CANARY_HASH_ARG, STABLE_HASH_ARG } from './canary-analysis';

type Input<T> = pulumi.Input<T>;

export interface CanaryStrategy {
  /** The canary's share of pods at each step, ascending. */
  weights: number[];
  /** The AnalysisTemplate that judges each step. */
  templateName: Input<string>;
  /** Services the controller points at the canary pods only and at the stable pods only. */
  canaryService: Input<string>;
  stableService: Input<string>;
}

/** Argo Rollouts' limit on a canary that never becomes ready, as a Deployment's progress deadline (the default). */
export const PROGRESS_DEADLINE_SECONDS = 600;

/** The analysis after a weight: the template, given the canary's and the stable ReplicaSet's pod-template hashes. */
export function analysisStep(templateName: Input<string>) {
  return {
    analysis: {
      templates: [{ templateName }],
      args: [
        { name: CANARY_HASH_ARG, valueFrom: { podTemplateHashValue: 'Latest' } },
        { name: STABLE_HASH_ARG, valueFrom: { podTemplateHashValue: 'Stable' } },
      ],
    },
  };
}

/** Each weight, then its analysis; after the last analysis passes, the Rollout takes the canary to 100 %. */
export function canarySteps(weights: number[], templateName: Input<string>) {
  return weights.flatMap((setWeight) => [{ setWeight }, analysisStep(templateName)]);
}

export interface RolloutSpecArgs<Template> {
  replicas: number;
  /** The pods' selector labels, as the Deployment it replaces selected them. */
  selector: Labels;
  /** The pod template, the very one the Deployment would run. */
  template: Template;
  strategy: CanaryStrategy;
}

export function rolloutSpec<Template>(r: RolloutSpecArgs<Template>) {
  return {
    replicas: r.replicas,
    selector: { matchLabels: r.selector },
    template: r.template,
    // A canary that never becomes ready (a crash loop, a failing /readyz) is rolled back too, not left waiting.
    progressDeadlineSeconds: PROGRESS_DEADLINE_SECONDS,
    progressDeadlineAbort: true,
    strategy: {
      canary: {
        canaryService: r.strategy.canaryService,
        stableService: r.strategy.stableService,
        // Never fewer ready pods than asked for: the canary comes up beside the stable pods, as the Deployment's new
        // pod came up before its old one went (with the app's one replica: one canary pod beside it at every weight).
        maxSurge: 1,
        maxUnavailable: 0,
        steps: canarySteps(r.strategy.weights, r.strategy.templateName),
      },
    },
  };
}
