import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { commonLabels } from './labels';

export interface PlatformNamespaceArgs {
  /** The namespace's name; fixed because other teams address the platform through it. */
  name: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
}

/** The namespace every platform object lives in, labelled like the rest of the platform. */
export class PlatformNamespace extends pulumi.ComponentResource {
  /** The namespace's name, resolved once it exists (depend on this to order objects after it). */
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: PlatformNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:core:PlatformNamespace', name, {}, opts);
    const ns = new k8s.core.v1.Namespace(
      name,
      // Named explicitly, not auto-named: the namespace is part of the platform's address (`*.orchestrator.svc`).
      { metadata: { name: args.name, labels: commonLabels({ name: 'orchestrator', instance: args.instance, component: 'namespace' }) } },
      { parent: this },
    );
    this.name = ns.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
