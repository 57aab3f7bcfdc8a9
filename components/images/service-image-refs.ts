/**
 * The one place that decides where the services' images come from: built and pushed by the program
 * (`images.build: true`, by digest), or pushed before (`images.build: false`: `images.<service>`, a pinned
 * reference CI set, else `<registry>/<repository>:<tag>`). Either way the workloads get the same `ServiceImageRefs`.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../stack-config';
import { gitCommitTag } from './image-tag';
import type { ServiceImageRefs } from './refs';
import { ServiceKey, serviceImageName, ServiceImages } from './service-images';

/** The prebuilt references of `images.build: false`: plain strings, no resource declared. */
export function prebuiltImageRefs(images: StackConfig['images'], tag: () => string): ServiceImageRefs {
  const ref = (key: ServiceKey) => images[key] ?? serviceImageName(key, images.registry, tag());
  return { allocator: ref('allocator'), syncEngine: ref('syncEngine'), probe: ref('probe'), app: ref('app') };
}

export function serviceImageRefs(images: StackConfig['images'], opts?: pulumi.ComponentResourceOptions): ServiceImageRefs {
  // Prebuilt images were pushed by CI from a commit, so the commit itself names them; a build from uncommitted
  // changes gets a tag of its own. Git is asked only when a tag is needed.
  const tag = () => images.tag ?? gitCommitTag({ markUncommitted: images.build });
  if (!images.build) return prebuiltImageRefs(images, tag);
  return new ServiceImages('service-images', { registry: images.registry, tag: tag(), buildOnPreview: images.buildOnPreview }, opts).refs;
}
