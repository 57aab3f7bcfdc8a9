/**
 * The services' images as the program declares them, under Pulumi's mocks: one Docker image per service built from
 * its own Dockerfile with the repository root as context, handed on by digest; `images.build: false` declares no
 * image at all; a bad images setting is one readable line. The builds themselves are proven by `npm run test:images`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseStackConfig, StackConfig } from '../../components/stack-config';
import { prebuiltImageRefs } from '../../components/images/service-image-refs';
import { pinnedByDigest, registryHost, SERVICE_KEYS, serviceDockerfile, serviceImageName } from '../../components/images/service-images';
import { containers } from './support/pods';
import { engineConfig, ProgramRun, runProgram, runUnderMocks, stackFileConfig, withSyncEngine } from './support/program';

const ROOT = join(__dirname, '..', '..');
const DOCKER_IMAGE = 'docker:index/image:Image';
const images = (raw: Record<string, unknown>): StackConfig['images'] => parseStackConfig({ images: raw }).images;

test('an image is named <registry>/<repository from the contract>:<tag> and built from its service Dockerfile', () => {
  expect(serviceImageName('syncEngine', 'registry.example.com/platform', 'abc123')).toBe('registry.example.com/platform/orchestrator/sync-engine:abc123');
  expect(SERVICE_KEYS.map(serviceDockerfile)).toEqual(['services/allocator/Dockerfile', 'services/sync-engine/Dockerfile', 'services/probe/Dockerfile', 'services/app/Dockerfile']);
  expect(registryHost('registry.example.com:5000/platform')).toBe('registry.example.com:5000');
});

test('a pushed image is referenced by name and tag and pinned by the digest the push returned', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  expect(pinnedByDigest('localhost:5000/orchestrator/app:abc', `localhost:5000/orchestrator/app@${digest}`)).toBe(`localhost:5000/orchestrator/app:abc@${digest}`);
  expect(() => pinnedByDigest('localhost:5000/orchestrator/app:abc', '')).toThrow(/no digest for localhost:5000\/orchestrator\/app:abc/);
});

test('prebuilt references: images.<service> where given (CI sets the pushed digest), else <registry>/<repository>:<tag>', () => {
  const pinned = `ghcr.io/acme/orchestrator/probe@sha256:${'b'.repeat(64)}`;
  const refs = prebuiltImageRefs(images({ build: false, registry: 'registry.example.com', probe: pinned }), () => 'abc123');
  expect(refs).toEqual({
    allocator: 'registry.example.com/orchestrator/allocator:abc123',
    syncEngine: 'registry.example.com/orchestrator/sync-engine:abc123',
    probe: pinned,
    app: 'registry.example.com/orchestrator/app:abc123',
  });
});

describe('built by the program (the default)', () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runUnderMocks('dev', {}, () => {
      const { ServiceImages } = require('../../components/images/service-images');
      return { ...new ServiceImages('service-images', { registry: 'registry.example.com/platform', tag: 'abc123', buildOnPreview: false }).refs };
    });
  });

  test('every service has a Docker image, built with BuildKit from its Dockerfile in the repository-root context, and pushed', () => {
    const built = run.resources.filter((r) => r.type === DOCKER_IMAGE);
    expect(built.map((r) => r.inputs.build.dockerfile).sort()).toEqual(SERVICE_KEYS.map(serviceDockerfile).sort());
    for (const { inputs } of built) {
      expect(inputs.build).toMatchObject({ context: '.', builderVersion: 'BuilderBuildKit', platform: 'linux/amd64' });
      expect(existsSync(join(ROOT, inputs.build.context, '.dockerignore'))).toBe(true);
      expect(inputs.registry).toEqual({ server: 'registry.example.com' });
      expect(inputs.skipPush).toBe(false);
    }
  });

  test('no image is built on preview unless asked', () => {
    for (const image of run.resources.filter((r) => r.type === DOCKER_IMAGE)) expect(image.inputs.buildOnPreview).toBe(false);
  });

  test('the workloads get each image by digest, under its tagged name', () => {
    expect(Object.keys(run.outputs).sort()).toEqual([...SERVICE_KEYS].sort());
    expect(run.outputs.allocator).toMatch(/^registry\.example\.com\/platform\/orchestrator\/allocator:abc123@sha256:[a-f0-9]{64}$/);
    expect(run.outputs.syncEngine).toMatch(/^registry\.example\.com\/platform\/orchestrator\/sync-engine:abc123@sha256:[a-f0-9]{64}$/);
    expect(new Set(Object.values(run.outputs)).size).toBe(4);
  });
});

describe('the whole program', () => {
  const imagesOf = (run: ProgramRun) => run.resources.filter((r) => r.type === DOCKER_IMAGE);

  // With the sync-engine enabled, all four services have a workload.
  const everyService = (extra: Record<string, unknown>) => ({ ...withSyncEngine('dev'), ...engineConfig(extra) });
  const serviceImagesIn = (run: ProgramRun) =>
    containers(run)
      .map(({ container }) => container.image as string)
      .filter((image) => /\/orchestrator\/(allocator|sync-engine|probe|app)[:@]/.test(image))
      .sort();

  test('builds the four service images of a stack by default, tagged with the git commit', async () => {
    const run = await runProgram('dev', stackFileConfig('dev'));
    const names = imagesOf(run).map((r) => r.inputs.imageName);
    expect(names).toHaveLength(4);
    for (const name of names) expect(name).toMatch(/^localhost:5000\/orchestrator\/[a-z-]+:[a-f0-9]{12}(-dirty)?$/);
  });

  test('every service workload runs its built image by digest', async () => {
    const run = await runProgram('dev', everyService({ 'orchestrator:images': { tag: 'abc123' } }));
    const images = serviceImagesIn(run);
    const repositories = new Set(images.map((image) => image.split('@')[0].replace(/:[^:/]+$/, '')));
    expect(repositories).toEqual(new Set(['allocator', 'sync-engine', 'probe', 'app'].map((name) => `localhost:5000/orchestrator/${name}`)));
    for (const image of images) expect(image).toMatch(/^localhost:5000\/orchestrator\/[a-z-]+:abc123@sha256:[a-f0-9]{64}$/);
  });

  test('with images.build: false declares no Docker image, and the workloads run the prebuilt references', async () => {
    const probe = `ghcr.io/acme/orchestrator/probe@sha256:${'c'.repeat(64)}`;
    const run = await runProgram('dev', everyService({ 'orchestrator:images': { build: false, registry: 'registry.example.com', tag: 'abc123', probe } }));
    expect(imagesOf(run)).toEqual([]);
    expect(new Set(serviceImagesIn(run))).toEqual(
      new Set(['registry.example.com/orchestrator/allocator:abc123', 'registry.example.com/orchestrator/sync-engine:abc123', probe, 'registry.example.com/orchestrator/app:abc123']),
    );
  });

  test.each([
    [{ registry: 'platform' }, 'orchestrator:images.registry must be a registry host with an optional path, e.g. registry.example.com/platform or localhost:5000 (got "platform")'],
    [{ build: false, app: 'registry.example.com/orchestrator/app:latest' }, 'orchestrator:images.app must be an image pinned by digest or to a tag other than latest, e.g. registry.example.com/orchestrator/allocator@sha256:… (got "registry.example.com/orchestrator/app:latest")'],
  ])('a bad images setting stops the program with one line: %j', async (raw, message) => {
    let registered = -1;
    const run = runProgram('dev', engineConfig({ 'orchestrator:images': raw })).then((r) => (registered = r.resources.length));
    await expect(run).rejects.toThrow(message);
    expect(registered).toBe(-1);
  });
});
