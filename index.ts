/**
 * orchestrator: the Mesos + Marathon + ZooKeeper platform on Kubernetes.
 *
 * Config is read and validated once, before any resource is declared; a bad value stops the program with one
 * line naming the key and the rule. The exports below are the stack's public contract (see README.md).
 */
import * as pulumi from '@pulumi/pulumi';
import { definePlatform } from './components/platform';
import { parseStackConfig, rawConfigFromEngine, StackConfigError } from './components/stack-config';

/** Declares the platform; a config rule broken on the way (some defaults are facts of the checkout) is one line too. */
function declare() {
  try {
    const config = parseStackConfig(rawConfigFromEngine(pulumi.runtime.allConfig()));
    return definePlatform(config, `${pulumi.getProject()}-${pulumi.getStack()}`);
  } catch (err) {
    // Surface the one readable line instead of a stack trace through the language host.
    if (err instanceof StackConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const platform = declare();

export const namespace = platform.namespace;
export const zookeeperConnectString = platform.zookeeperConnectString;
export const zookeeperQuorum = platform.zookeeperQuorum;
export const mesosMasterUrl = platform.mesosMasterUrl;
export const mesosZkUrl = platform.mesosZkUrl;
export const mesosQuorum = platform.mesosQuorum;
export const marathonUrl = platform.marathonUrl;
export const marathonZkUrl = platform.marathonZkUrl;
export const allocatorUrl = platform.allocatorUrl;
export const monitoringUrl = platform.monitoringUrl;
// `syncEngineUrl` and `syncEnginePublishedConnect` exist only while `syncEngine.enabled`. Pulumi reads the stack
// outputs from this module's exports, so they are added only then (an exported `undefined` warns on every run).
if (platform.syncEngine) Object.assign(module.exports, platform.syncEngine);
