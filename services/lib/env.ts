/**
 * Start-up configuration from environment variables, validated with zod into a typed object. A bad value fails
 * with one line naming the variable and the rule, e.g. `HTTP_PORT must be an integer from 1 to 65535 (got "abc")`.
 */
import { z } from 'zod';

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

/** Parses `env` against a zod object schema whose keys are variable names. */
export function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = issue.path.map(String).join('.');
  const got = env[key];
  throw new EnvError(`${key} ${issue.message}${got === undefined ? ' (not set)' : ` (got ${JSON.stringify(got)})`}`);
}

/** An integer read from a string variable, with a readable rule. */
export function intVar(min: number, max: number) {
  return z.coerce
    .number({ error: `must be an integer from ${min} to ${max}` })
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, { error: `must be an integer from ${min} to ${max}` })
    .max(max, { error: `must be an integer from ${min} to ${max}` });
}

export const portVar = () => intVar(1, 65535);

export const logLevelVar = () =>
  z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info');

/** A ZooKeeper connect string `host:port[,host:port...][/chroot]`. */
export const zkConnectVar = () =>
  z
    .string({ error: 'must be a ZooKeeper connect string host:port[,host:port...][/chroot]' })
    .regex(/^[A-Za-z0-9.\-[\]:]+:\d+(,[A-Za-z0-9.\-[\]:]+:\d+)*(\/[^\s]*)?$/, { error: 'must be a ZooKeeper connect string host:port[,host:port...][/chroot]' });
