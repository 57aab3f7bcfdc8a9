import { z } from 'zod';
import { EnvError, intVar, logLevelVar, parseEnv, portVar, zkConnectVar } from '../../../services/lib/env';

const schema = z.object({ HTTP_PORT: portVar().default(8080), LOG_LEVEL: logLevelVar(), ZK: zkConnectVar(), BATCH: intVar(1, 100).default(10) });

test('parses and coerces valid variables, applying defaults', () => {
  expect(parseEnv(schema, { ZK: '127.0.0.1:2181,b:2181/chroot', HTTP_PORT: '9000' })).toEqual({ HTTP_PORT: 9000, LOG_LEVEL: 'info', ZK: '127.0.0.1:2181,b:2181/chroot', BATCH: 10 });
});

test.each([
  [{ ZK: 'a:2181', HTTP_PORT: 'abc' }, 'HTTP_PORT must be an integer from 1 to 65535 (got "abc")'],
  [{ ZK: 'a:2181', HTTP_PORT: '70000' }, 'HTTP_PORT must be an integer from 1 to 65535 (got "70000")'],
  [{ ZK: 'a:2181', LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
  [{ ZK: 'localhost' }, 'ZK must be a ZooKeeper connect string host:port[,host:port...][/chroot] (got "localhost")'],
  [{}, 'ZK must be a ZooKeeper connect string host:port[,host:port...][/chroot] (not set)'],
  [{ ZK: 'a:2181', BATCH: '0' }, 'BATCH must be an integer from 1 to 100 (got "0")'],
])('%j fails with one line naming the variable', (env, message) => {
  expect(() => parseEnv(schema, env)).toThrow(new EnvError(message));
});
