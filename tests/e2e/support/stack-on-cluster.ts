/**
 * One stack on one fresh local cluster for a test file: started before its first test, destroyed with the cluster
 * after its last, whatever happened in between.
 */
import { LocalCluster } from './cluster/local-cluster';
import { StackWorkspace } from './engine/stack-workspace';

export interface StackOnCluster {
  cluster: LocalCluster;
  ws: StackWorkspace;
}

/** Registers the file's beforeAll/afterAll; the returned object's fields are set once beforeAll has run. */
export function stackOnLocalCluster(stack: string): StackOnCluster {
  const env = {} as StackOnCluster;
  beforeAll(async () => {
    env.cluster = await LocalCluster.start();
    env.ws = await StackWorkspace.create({ stack, kubeconfig: env.cluster.kubeconfig });
  }, 4 * 60_000);
  afterAll(async () => {
    env.ws?.dispose();
    await env.cluster?.stop();
  }, 2 * 60_000);
  return env;
}
