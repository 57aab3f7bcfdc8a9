/**
 * Start-up configuration: a bad variable is one readable line naming it and the rule.
 */
import { loadConfig, parseMinAllocatable } from '../../../services/allocator/src/config';

test('configuration errors name the variable and the rule', () => {
  expect(() => loadConfig({})).toThrow('ALLOCATOR_ZK_CONNECT must be a ZooKeeper connect string host:port[,host:port...][/chroot] (not set)');
  expect(() => loadConfig({ ALLOCATOR_ZK_CONNECT: '127.0.0.1:2181', ALLOCATOR_INTERVAL_MS: '0' })).toThrow('ALLOCATOR_INTERVAL_MS must be an integer from 10 to 600000 (got "0")');
  expect(() => loadConfig({ ALLOCATOR_ZK_CONNECT: '127.0.0.1:2181', ALLOCATOR_FAIRNESS_EXCLUDED_RESOURCES: 'gpus,foo' })).toThrow(/ALLOCATOR_FAIRNESS_EXCLUDED_RESOURCES must be a comma-separated list/);
  const c = loadConfig({ ALLOCATOR_ZK_CONNECT: 'zk-0:2181,zk-1:2181/prod', ALLOCATOR_MIN_ALLOCATABLE: 'cpus:0.1;mem:64|gpus:1' });
  expect(c.minAllocatable).toEqual([{ cpus: 0.1, mem: 64 }, { gpus: 1 }]);
  expect(c.excludedResources).toEqual(['gpus']);
  expect(parseMinAllocatable('cpus')).toBeNull();
});
