import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { commonLabels } from '../labels';
import type { GitOpsConfig } from '../stack-config';
import { application, appProject, EnvironmentDelivery, manifestPath } from './argocd-spec';

export interface ArgoCdEnvironmentArgs {
  /** The validated `orchestrator:gitops` settings of this stack, with `enabled` true. */
  gitops: GitOpsConfig & { repoURL: string };
  /** The stack's name: its manifests are `deploy/<stack>` unless the config names another directory. */
  stack: string;
  /** `app.kubernetes.io/instance` of this installation; also the name of its AppProject and Application. */
  instance: string;
  /** The namespace the platform's objects live in. */
  namespace: string;
}

/**
 * One environment's Argo CD delivery: an AppProject and an Application in Argo CD's namespace that keep the
 * stack's namespace equal to the manifests rendered into git, in sync-wave order (components/gitops/sync-waves.ts).
 * Argo CD and its CRDs must already run in the cluster.
 */
export class ArgoCdEnvironment extends pulumi.ComponentResource {
  /** Name of the Application (and of its AppProject). */
  public readonly applicationName: pulumi.Output<string>;

  constructor(name: string, args: ArgoCdEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:gitops:ArgoCdEnvironment', name, {}, opts);
    const delivery: EnvironmentDelivery = {
      // Named, not auto-named: the Application references its project by name, and operators address both.
      name: args.instance,
      argocdNamespace: args.gitops.argocdNamespace,
      repoURL: args.gitops.repoURL,
      targetRevision: args.gitops.targetRevision,
      path: manifestPath(args.gitops.path, args.stack),
      destinationServer: args.gitops.destinationServer,
      destinationNamespace: args.namespace,
      labels: commonLabels({ name: 'orchestrator', instance: args.instance, component: 'gitops' }),
    };
    const project = new k8s.apiextensions.CustomResource(`${name}-project`, appProject(delivery), { parent: this });
    const app = new k8s.apiextensions.CustomResource(`${name}-application`, application(delivery), { parent: this, dependsOn: [project] });
    this.applicationName = app.metadata.name;
    this.registerOutputs({ applicationName: this.applicationName });
  }
}
