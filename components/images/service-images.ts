/**
 * The four companion services' images, built by the program from their Dockerfiles (the repository root is every
 * build's context), pushed to `images.registry`, and handed to the workloads by digest: a pod then runs exactly
 * the bits this `pulumi up` built, whatever the tag points at later.
 */
import { relative } from 'node:path';
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import { ALLOCATOR, APP, PROBE, ServiceContract, SYNC_ENGINE } from '../../services/lib/contract';
import type { ServiceImageRefs } from './refs';
import { REPOSITORY_ROOT } from './image-tag';

/** Each service's contract, by the key `ServiceImageRefs` uses. */
export const SERVICE_CONTRACTS = { allocator: ALLOCATOR, syncEngine: SYNC_ENGINE, probe: PROBE, app: APP } as const satisfies Record<keyof ServiceImageRefs, ServiceContract>;
export type ServiceKey = keyof typeof SERVICE_CONTRACTS;
export const SERVICE_KEYS = Object.keys(SERVICE_CONTRACTS) as ServiceKey[];

/** `<registry>/<repository>:<tag>`, the repository (`orchestrator/allocator`) from the contract. */
export function serviceImageName(key: ServiceKey, registry: string, tag: string): string {
  return `${registry}/${SERVICE_CONTRACTS[key].image}:${tag}`;
}

/** A service's Dockerfile, `services/<name>/Dockerfile` for the repository `orchestrator/<name>`. */
export function serviceDockerfile(key: ServiceKey): string {
  return `services/${SERVICE_CONTRACTS[key].image.split('/').pop()}/Dockerfile`;
}

/** The registry's host (and port): what the Docker provider looks up credentials for. */
export function registryHost(registry: string): string {
  return registry.split('/')[0];
}

/**
 * `name:tag@sha256:…` from the image name and the provider's `repoDigest` (`name@sha256:…`): the digest pins the
 * pod to the pushed bits, and the tag left beside it tells a reader which commit they are.
 */
export function pinnedByDigest(imageName: string, repoDigest: string): string {
  const at = repoDigest.lastIndexOf('@');
  if (at < 0) throw new Error(`the Docker provider returned no digest for ${imageName} (got "${repoDigest}"); was the image pushed?`);
  return `${imageName}${repoDigest.slice(at)}`;
}

export interface ServiceImagesArgs {
  /** `images.registry`: the images are pushed as `<registry>/<repository>:<tag>`. */
  registry: string;
  /** `images.tag`, or the git commit. */
  tag: string;
  /** `images.buildOnPreview`: build during `pulumi preview` too. */
  buildOnPreview: boolean;
}

export class ServiceImages extends pulumi.ComponentResource {
  /** Every service's image, pinned by the digest its push returned. */
  public readonly refs: ServiceImageRefs;

  constructor(name: string, args: ServiceImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:images:ServiceImages', name, {}, opts);
    // Paths relative to the program's directory (the repository root), so the state holds no machine's paths and a
    // different checkout does not show as a change.
    const context = relative(process.cwd(), REPOSITORY_ROOT) || '.';
    const refs = {} as Record<ServiceKey, pulumi.Output<string>>;
    for (const key of SERVICE_KEYS) {
      const imageName = serviceImageName(key, args.registry, args.tag);
      const image = new docker.Image(
        `${name}-${SERVICE_CONTRACTS[key].image.split('/').pop()}`,
        {
          imageName,
          build: {
            context,
            dockerfile: relative(process.cwd(), `${REPOSITORY_ROOT}/${serviceDockerfile(key)}`),
            builderVersion: docker.BuilderVersion.BuilderBuildKit,
            // The platform's nodes run the Mesos images, which exist for amd64 only.
            platform: 'linux/amd64',
          },
          // Pushed: the digest the workloads run by exists only once the registry has the image. Credentials come
          // from the Docker config of the machine running `pulumi up` (`docker login <registry>`).
          skipPush: false,
          registry: { server: registryHost(args.registry) },
          buildOnPreview: args.buildOnPreview,
        },
        { parent: this },
      );
      refs[key] = image.repoDigest.apply((digest) => pinnedByDigest(imageName, digest));
    }
    this.refs = refs;
    this.registerOutputs({ ...refs });
  }
}
