/**
 * What the workloads of the four companion services are given: one image reference each, pinned by digest when the
 * program built and pushed it. `ServiceImages` (built images) and the prebuilt references of `images.build: false`
 * both produce this; the service and monitoring components only consume it.
 */
import type * as pulumi from '@pulumi/pulumi';

export interface ServiceImageRefs {
  /** `<registry>/orchestrator/allocator:<tag>@sha256:…` when built (the tag for readers, the digest pins), or the prebuilt reference. */
  allocator: pulumi.Input<string>;
  syncEngine: pulumi.Input<string>;
  probe: pulumi.Input<string>;
  app: pulumi.Input<string>;
}
