/**
 * The jars ZooKeeper's Prometheus metrics provider needs, which Debian's `zookeeper` package (3.8.0) leaves out:
 * the provider itself and the Prometheus simpleclient it is built on (the official image ships them in lib/).
 * They are resolved once from Maven Central with Debian's `mvn` into a cache outside the clone, and reused.
 *
 * `npx tsx tests/support/zookeeper-prometheus-jars.ts` fills the cache and prints the classpath (.ci/run does,
 * so a test never waits on the download).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Must match Debian's zookeeper.jar: the provider implements that server's MetricsProvider interface. */
export const ZOOKEEPER_VERSION = '3.8.0';
/** The simpleclient version ZooKeeper 3.8.0's provider is built against (its pom's `prometheus.version`). */
const SIMPLECLIENT_VERSION = '0.9.0';

const ARTIFACTS = [
  `org.apache.zookeeper:zookeeper-prometheus-metrics:${ZOOKEEPER_VERSION}`,
  `io.prometheus:simpleclient:${SIMPLECLIENT_VERSION}`,
  `io.prometheus:simpleclient_common:${SIMPLECLIENT_VERSION}`,
  `io.prometheus:simpleclient_hotspot:${SIMPLECLIENT_VERSION}`,
  `io.prometheus:simpleclient_servlet:${SIMPLECLIENT_VERSION}`,
];

/** The servlet API the provider's Jetty handler is compiled against; Debian's libjetty9-java pulls it in. */
const DEBIAN_SERVLET_API = '/usr/share/java/servlet-api.jar';

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'orchestrator', `zookeeper-prometheus-${ZOOKEEPER_VERSION}`);
}

function jarName(coordinate: string): string {
  const [, artifact, version] = coordinate.split(':');
  return `${artifact}-${version}.jar`;
}

/**
 * A pom naming exactly these artifacts, each with every transitive dependency excluded: the provider's own pom
 * would also pull in the whole ZooKeeper server and Jetty, which Debian already has at the versions it runs.
 */
function pom(): string {
  const deps = ARTIFACTS.map((coordinate) => {
    const [groupId, artifactId, version] = coordinate.split(':');
    return `<dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version><exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions></dependency>`;
  });
  return `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>orchestrator.test</groupId><artifactId>zookeeper-prometheus-jars</artifactId><version>1</version><packaging>pom</packaging><dependencies>${deps.join('')}</dependencies></project>\n`;
}

/** The classpath entries the provider needs beside Debian's zookeeper.jar, downloading them on first use. */
export function zookeeperPrometheusClasspath(): string[] {
  const dir = cacheDir();
  const jars = ARTIFACTS.map((a) => join(dir, jarName(a)));
  if (!jars.every((jar) => existsSync(jar))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pom.xml'), pom());
    try {
      execFileSync('mvn', ['-B', '-q', '-f', join(dir, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${dir}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    } catch (err) {
      const output = String((err as { stdout?: Buffer }).stdout ?? '') + String((err as { stderr?: Buffer }).stderr ?? '');
      throw new Error(`could not fetch ZooKeeper's Prometheus provider jars with mvn into ${dir}: ${output.trim().split('\n').slice(-5).join(' | ') || (err as Error).message}`);
    }
    const missing = jars.filter((jar) => !existsSync(jar));
    if (missing.length > 0) throw new Error(`mvn ran but left out ${missing.join(', ')} (have: ${readdirSync(dir).join(', ')})`);
  }
  return [...jars, DEBIAN_SERVLET_API];
}

if (require.main === module) {
  process.stdout.write(`${zookeeperPrometheusClasspath().join(':')}\n`);
}
