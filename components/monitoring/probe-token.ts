import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { PROBE_TOKEN_SECRET_KEY } from '../../services/lib/contract';
import { partIdentity } from '../labels';

export interface ProbeTokenArgs {
  /** Namespace the Secret lives in, beside the probes and the app that read it. */
  namespace: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
  /** A token of the operator's own (`monitoring.probeToken`); unset, one is generated and kept in the stack's state. */
  token?: pulumi.Input<string>;
}

/** Generated tokens: 48 characters from [A-Za-z0-9], ~285 bits, safe in a header without escaping. */
const GENERATED_LENGTH = 48;

/**
 * The bearer token probes present on `POST /api/report` and the app checks, in one Secret both read under
 * `PROBE_TOKEN_SECRET_KEY`. Generated with @pulumi/random unless the stack brings its own, which also lets the
 * program run where the random provider plugin is not installed.
 */
export class ProbeToken extends pulumi.ComponentResource {
  /** The Secret's name, for `secretKeyRef`s. */
  public readonly secretName: pulumi.Output<string>;

  constructor(name: string, args: ProbeTokenArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:monitoring:ProbeToken', name, {}, opts);
    const { metadata } = partIdentity({ name: 'probe-token', component: 'monitoring', instance: args.instance, namespace: args.namespace });
    const token =
      args.token !== undefined
        ? pulumi.secret(args.token)
        : new random.RandomPassword(name, { length: GENERATED_LENGTH, special: false }, { parent: this }).result;
    const secret = new k8s.core.v1.Secret(name, { metadata, type: 'Opaque', stringData: { [PROBE_TOKEN_SECRET_KEY]: token } }, { parent: this });
    this.secretName = secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName });
  }
}
