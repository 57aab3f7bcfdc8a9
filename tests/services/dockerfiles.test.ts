/**
 * The rules every service Dockerfile follows (documented at the top of services/allocator/Dockerfile), read from the
 * files themselves so a new service's Dockerfile is held to them on its first commit. The images built from them
 * are run and measured by `npm run test:images` (tests/images/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { instructions, PINNED_NODE_BASE, ROOT, serviceDockerfiles } from '../support/service-dockerfiles';

const dockerfiles = serviceDockerfiles();
const cases = dockerfiles.map((d) => [d.name, d] as const);

test('every service Dockerfile builds on one pinned Node base', () => {
  const bases = new Set(dockerfiles.flatMap((d) => d.from));
  expect(bases.size).toBe(1);
  expect([...bases][0]).toMatch(PINNED_NODE_BASE);
});

test.each(cases)('%s: multi-stage, the runtime stage built from the build stage output alone', (_name, d) => {
  expect(d.from.length).toBeGreaterThanOrEqual(2);
  const lines = instructions(d.text);
  const runtime = lines.slice(lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true));
  // Production dependencies come bundled from the build stage; nothing installs or copies packages here.
  expect(runtime.filter((l) => /\bnpm\s+(ci|install)\b/.test(l))).toEqual([]);
  expect(runtime.filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l))).toEqual([]);
});

test.each(cases)('%s: runs as the user its contract says (unprivileged unless the contract runs it as root)', (_name, d) => {
  expect(d.contract).toBeDefined();
  const root = d.contract?.security?.runAsUser === 0;
  if (root) expect(d.user === undefined || d.user === 'root' || d.user === '0').toBe(true);
  else expect(d.user).toMatch(/^(?!root$|0$|0:)\S+$/);
});

test.each(cases)('%s: a HEALTHCHECK on /healthz at $HTTP_PORT, the port the contract names', (_name, d) => {
  expect(d.healthcheck).toMatch(/\/healthz/);
  expect(d.healthcheck).toMatch(/HTTP_PORT/);
  expect(instructions(d.text)).toContain(`EXPOSE ${d.contract?.httpPort}`);
});

test.each(cases)('%s: an exec-form ENTRYPOINT, so SIGTERM reaches node itself', (_name, d) => {
  expect(d.entrypoint?.[0]).toBe('node');
});

test('the build context leaves out everything but what the Dockerfiles copy', () => {
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  expect(ignore).toContain('*');
  expect(ignore.filter((l) => /^!(\.git|node_modules|dist)\b/.test(l))).toEqual([]);
});
