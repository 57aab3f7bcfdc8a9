import { parseQuantity, parseStackConfig, rawConfigFromEngine, stackConfigSchema } from '../../components/stack-config';
import { stackFileRaw } from './support/program';

describe('parseStackConfig', () => {
  test('an empty config yields the documented defaults', () => {
    const config = parseStackConfig({});
    expect(config.namespace).toBe('orchestrator');
    expect(config.zookeeper).toMatchObject({ replicas: 1, antiAffinity: 'preferred', storage: { className: '', size: '5Gi' }, heapMb: 512 });
    expect(config.mesosMaster.replicas).toBe(1);
    expect(config.marathon.replicas).toBe(1);
    expect(config.mesosAgents).toMatchObject({ nodeSelector: {}, tolerations: [], prePullImages: [], workDir: '/var/lib/mesos/agent' });
    const { zookeeper, mesosMaster, mesosAgent, marathon } = config.images;
    expect([zookeeper, mesosMaster, mesosAgent, marathon].every((image) => /:[^:]+$/.test(image) && !image.endsWith(':latest'))).toBe(true);
    expect(config.images).toMatchObject({ registry: 'localhost:5000', build: true, buildOnPreview: false });
    expect(config.allocator).toMatchObject({ replicas: 2, antiAffinity: 'preferred' });
    expect(config.syncEngine).toMatchObject({ enabled: false, mode: 'sync', direction: 'one-way', policy: 'source-wins', include: [], exclude: [], job: 'default' });
    expect(config.monitoring).toMatchObject({ prometheusLabels: {} });
    expect(config.monitoring.probeToken).toBeUndefined();
  });

  test.each([
    [{ zookeeper: { replicas: 2 } }, 'orchestrator:zookeeper.replicas must be an odd number between 1 and 7 (got 2)'],
    [{ zookeeper: { replicas: 9 } }, 'orchestrator:zookeeper.replicas must be an odd number between 1 and 7 (got 9)'],
    [{ mesosMaster: { replicas: 0 } }, 'orchestrator:mesosMaster.replicas must be an odd number between 1 and 7 (got 0)'],
    [{ zookeeper: { replicas: '3' } }, 'orchestrator:zookeeper.replicas must be an odd number between 1 and 7 (got "3")'],
    [{ marathon: { replicas: 1.5 } }, 'orchestrator:marathon.replicas must be a whole number between 1 and 9 (got 1.5)'],
    [{ zookeeper: { replica: 3 } }, 'orchestrator:zookeeper.replica is not a known setting (see the config reference in README.md)'],
    [{ zookeper: {} }, 'orchestrator:zookeper is not a known setting (see the config reference in README.md)'],
    [{ images: { zookeeper: 'zookeeper' } }, 'orchestrator:images.zookeeper must be an image pinned to a tag, e.g. zookeeper:3.8.4 (got "zookeeper")'],
    [{ images: { zookeeper: 'zookeeper:latest' } }, 'orchestrator:images.zookeeper must be pinned to a tag other than latest (got "zookeeper:latest")'],
    [{ mesosAgents: { prePullImages: ['busybox'] } }, 'orchestrator:mesosAgents.prePullImages.0 must be an image pinned to a tag, e.g. zookeeper:3.8.4 (got "busybox")'],
    [
      { zookeeper: { resources: { requests: { cpu: '-1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } } },
      'orchestrator:zookeeper.resources.requests.cpu must be a positive Kubernetes quantity such as 500m, 2, 512Mi or 10Gi (got "-1")',
    ],
    [
      { zookeeper: { resources: { requests: { cpu: '0', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } } },
      'orchestrator:zookeeper.resources.requests.cpu must be a positive Kubernetes quantity such as 500m, 2, 512Mi or 10Gi (got "0")',
    ],
    [
      { marathon: { resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } } },
      'orchestrator:marathon.resources.requests.cpu must not exceed limits.cpu (got "2")',
    ],
    [{ zookeeper: { resources: { requests: { cpu: '1' } } } }, 'orchestrator:zookeeper.resources.requests.memory is required'],
    [{ zookeeper: { storage: { size: '10 GB' } } }, 'orchestrator:zookeeper.storage.size must be a positive Kubernetes quantity such as 500m, 2, 512Mi or 10Gi (got "10 GB")'],
    [{ zookeeper: { antiAffinity: 'strict' } }, 'orchestrator:zookeeper.antiAffinity must be "required" (one pod per node) or "preferred" (got "strict")'],
    [{ namespace: 'Orchestrator' }, 'orchestrator:namespace must be a DNS-1123 label (lower-case letters, digits and -) (got "Orchestrator")'],
    [{ mesosAgents: { workDir: 'var/lib/mesos' } }, 'orchestrator:mesosAgents.workDir must be an absolute host path without a trailing slash (got "var/lib/mesos")'],
    [{ zookeeper: { heapMb: 1024 } }, 'orchestrator:zookeeper.heapMb must leave a quarter of the memory limit to the page cache and JVM overhead (got 1024)'],
    [{ images: { registry: 'platform' } }, 'orchestrator:images.registry must be a registry host with an optional path, e.g. registry.example.com/platform or localhost:5000 (got "platform")'],
    [{ images: { tag: 'latest' } }, 'orchestrator:images.tag must be a tag other than latest (got "latest")'],
    [{ images: { tag: 'v1/2' } }, 'orchestrator:images.tag must be a Docker tag (letters, digits, _ . -, at most 128, not starting with . or -) (got "v1/2")'],
    [{ images: { build: 'false' } }, 'orchestrator:images.build must be true or false (got "false")'],
    [{ images: { app: 'registry.example.com/orchestrator/app:1.0.0' } }, 'orchestrator:images.app is only used with images.build: false (otherwise the program builds it) (got "registry.example.com/orchestrator/app:1.0.0")'],
    [{ images: { build: false, probe: 'registry.example.com/orchestrator/probe' } }, 'orchestrator:images.probe must be an image pinned by digest or to a tag other than latest, e.g. registry.example.com/orchestrator/allocator@sha256:… (got "registry.example.com/orchestrator/probe")'],
    [{ images: { build: false, probe: 'registry.example.com/orchestrator/probe@sha256:abc' } }, 'orchestrator:images.probe must be an image pinned by digest or to a tag other than latest'],
    [{ images: { build: false, probes: 'registry.example.com/orchestrator/probe:1' } }, 'orchestrator:images.probes is not a known setting (see the config reference in README.md)'],
    [{ images: { build: false, buildOnPreview: true } }, 'orchestrator:images.buildOnPreview needs images.build: true (nothing is built otherwise) (got true)'],
    [{ allocator: { replicas: 1 } }, 'orchestrator:allocator.replicas must be a whole number between 2 and 9 (one leads, the others take over) (got 1)'],
    [{ syncEngine: { enabled: true } }, 'orchestrator:syncEngine.source is required when syncEngine.enabled is true'],
    [{ syncEngine: { enabled: 'yes' } }, 'orchestrator:syncEngine.enabled must be true or false (got "yes")'],
    [{ syncEngine: { enabled: true, source: 'old:2181/mesos', target: 'new:2181' } }, 'orchestrator:syncEngine.target must name the chroot of the tree that moves'],
    [{ syncEngine: { enabled: true, source: 'old:2181/sync-engine/x', target: 'new:2181/mesos' } }, 'orchestrator:syncEngine.source must name the chroot of the tree that moves'],
    [{ syncEngine: { enabled: true, source: 'old:2181/mesos', target: 'old:2181/mesos' } }, 'orchestrator:syncEngine.target must differ from syncEngine.source (got "old:2181/mesos")'],
    [{ syncEngine: { enabled: true, source: 'old:2181/mesos', target: 'new:2181/mesos', policy: 'newest-wins' } }, 'orchestrator:syncEngine.policy needs direction two-way'],
    [{ syncEngine: { source: 'old 2181' } }, 'orchestrator:syncEngine.source must be a ZooKeeper connect string host:port[,host:port...][/chroot] (got "old 2181")'],
    [{ syncEngine: { include: ['/a,/b'] } }, 'orchestrator:syncEngine.include.0 must be an absolute path pattern such as /mesos/** (no commas or spaces) (got "/a,/b")'],
    [{ syncEngine: { mode: 'copy' } }, 'orchestrator:syncEngine.mode must be sync or cutover (got "copy")'],
    // Credentials have no setting of their own: only the name of the Secret that holds them.
    [{ syncEngine: { sourceAuth: 'digest:admin:secret' } }, 'orchestrator:syncEngine.sourceAuth is not a known setting'],
    [{ syncEngine: { credentialsSecret: 'Migration Auth' } }, 'orchestrator:syncEngine.credentialsSecret must be a Kubernetes object name (lower-case DNS subdomain) (got "Migration Auth")'],
  ])('%j is refused: %s', (raw, message) => {
    expect(() => parseStackConfig(raw)).toThrow(message);
  });

  test('a refused probe token is not repeated in the error', () => {
    expect(() => parseStackConfig({ monitoring: { probeToken: 'hunter2 hunter2' } })).toThrow(/^orchestrator:monitoring\.probeToken must be at least 32 printable characters without spaces$/);
    expect(() => parseStackConfig({ monitoring: { probeToken: 12345 } })).toThrow(/^orchestrator:monitoring\.probeToken [^(]*$/);
  });

  test('a refused config names only the first problem, in one line', () => {
    try {
      parseStackConfig({ zookeeper: { replicas: 2 }, marathon: { replicas: 0 } });
      throw new Error('accepted');
    } catch (err) {
      expect((err as Error).message.split('\n')).toHaveLength(1);
    }
  });
});

describe('rawConfigFromEngine', () => {
  test('keeps only the orchestrator namespace and decodes structured values', () => {
    const raw = rawConfigFromEngine({ 'orchestrator:zookeeper': '{"replicas":3}', 'orchestrator:namespace': 'platform', 'kubernetes:context': 'kind' });
    expect(raw).toEqual({ zookeeper: { replicas: 3 }, namespace: 'platform' });
  });
});

describe.each(['dev', 'prod'])('Pulumi.%s.yaml', (stack) => {
  test('is a valid stack config', () => {
    expect(() => parseStackConfig(stackFileRaw(stack))).not.toThrow();
  });

  test('sets only values that differ from the defaults', () => {
    const defaults = stackConfigSchema.parse({});
    const sameAsDefault: string[] = [];
    const visit = (value: unknown, fallback: unknown, path: string): void => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) visit(v, (fallback as Record<string, unknown> | undefined)?.[k], `${path}.${k}`);
      } else if (JSON.stringify(value) === JSON.stringify(fallback)) sameAsDefault.push(path);
    };
    for (const [key, value] of Object.entries(stackFileRaw(stack))) visit(value, (defaults as Record<string, unknown>)[key], key);
    expect(sameAsDefault).toEqual([]);
  });
});

describe('parseQuantity', () => {
  test.each([
    ['500m', 0.5],
    ['2', 2],
    ['1.5', 1.5],
    ['512Mi', 512 * 2 ** 20],
    ['10Gi', 10 * 2 ** 30],
    ['1G', 1e9],
  ])('%s = %d', (q, value) => expect(parseQuantity(q)).toBe(value));

  test('is NaN for something that is not a quantity', () => {
    expect(parseQuantity('-1')).toBeNaN();
    expect(parseQuantity('ten')).toBeNaN();
  });
});
