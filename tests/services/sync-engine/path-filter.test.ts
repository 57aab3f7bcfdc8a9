import { PathFilter } from '../../../services/sync-engine/src/path-filter';
import { checkZkPath, parseConnect, pathsOverlap } from '../../../services/sync-engine/src/tree-paths';

test('everything is in scope by default, and an exclude removes a whole subtree', () => {
  const f = new PathFilter({ exclude: ['/zookeeper', '/tmp/*/cache'] });
  expect(f.inScope('')).toBe(true);
  expect(f.inScope('/mesos/log')).toBe(true);
  expect(f.inScope('/zookeeper')).toBe(false);
  expect(f.inScope('/zookeeper/quota')).toBe(false);
  expect(f.inScope('/tmp/a/cache/x')).toBe(false);
  expect(f.inScope('/tmp/a/other')).toBe(true);
});

test('an include keeps its subtree and the ancestors leading to it, nothing else', () => {
  const f = new PathFilter({ include: ['/mesos/**', '/marathon/apps/job-*'] });
  expect(f.inScope('/mesos')).toBe(true);
  expect(f.inScope('/mesos/a/b/c')).toBe(true);
  expect(f.inScope('/marathon')).toBe(true);
  expect(f.inScope('/marathon/apps')).toBe(true);
  expect(f.inScope('/marathon/apps/job-1')).toBe(true);
  expect(f.inScope('/marathon/apps/job-1/tasks')).toBe(true);
  expect(f.inScope('/marathon/apps/other')).toBe(false);
  expect(f.inScope('/chronos')).toBe(false);
});

test('alwaysInclude wins over the patterns (the heartbeat node)', () => {
  const f = new PathFilter({ include: ['/mesos/**'], alwaysInclude: ['/.hb'] });
  expect(f.inScope('/.hb')).toBe(true);
});

test.each([
  [['/a/**'], ['/a/**']],
  [['/a/b/**'], ['/a']],
  [['/a/b'], ['/a/*']],
  [['/x'], ['/**']],
])('include %j entirely inside exclude %j is rejected', (include, exclude) => {
  expect(() => new PathFilter({ include, exclude })).toThrow(/entirely inside exclude/);
});

test('carving a hole in an include is fine', () => {
  expect(() => new PathFilter({ include: ['/a/**'], exclude: ['/a/tmp'] })).not.toThrow();
});

test('malformed patterns are rejected with the rule', () => {
  expect(() => new PathFilter({ include: ['a/b'] })).toThrow(/must be a path like/);
  expect(() => new PathFilter({ exclude: ['/a//b'] })).toThrow(/must be a path like/);
});

test('connect strings split into hosts and a checked chroot', () => {
  expect(parseConnect('h1:2181,h2:2181/app/zk')).toEqual({ hosts: 'h1:2181,h2:2181', root: '/app/zk' });
  expect(parseConnect('h1:2181')).toEqual({ hosts: 'h1:2181', root: '/' });
  expect(parseConnect('h1:2181/a/')).toEqual({ error: 'chroot "/a/" must not end with /' });
  expect(parseConnect('h1:2181/a//b')).toEqual({ error: 'chroot "/a//b" must not contain an empty segment (//)' });
  expect(parseConnect('nohost')).toHaveProperty('error');
  expect(checkZkPath('/a/../b')).toMatch(/\.\./);
  expect(pathsOverlap('/a', '/a/b')).toBe(true);
  expect(pathsOverlap('/ab', '/a')).toBe(false);
  expect(pathsOverlap('/x', '/')).toBe(true);
});
