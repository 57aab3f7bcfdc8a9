/**
 * The GitHub workflows (.github/workflows): actionlint finds nothing wrong with them, and they keep the promises the
 * README makes about the pipeline — pinned actions, least privilege, one deploy per stack at a time, prod behind
 * its environment, the policy pack on every preview and update, every image scanned.
 *
 * actionlint is built by tools/build.sh into the tools cache; the test finds it there or on PATH. Without it the
 * lint is skipped on a developer's machine, and fails in CI (CI=true), where .ci/run must have built it.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml'));
const text = (file: string) => readFileSync(join(WORKFLOWS, file), 'utf8');
const workflow = (file: string): any => parse(text(file));
const jobsOf = (file: string): [string, any][] => Object.entries(workflow(file).jobs);
const steps = (file: string) => jobsOf(file).flatMap(([, job]) => (job.steps ?? []) as any[]);
const isReusable = (file: string) => Object.keys(workflow(file).on).join() === 'workflow_call';

function findActionlint(): string | undefined {
  const cache = process.env.ORCHESTRATOR_TOOLS_CACHE ?? join(homedir(), '.cache', 'orchestrator', 'tools');
  const candidates = [join(cache, 'bin', 'actionlint'), ...(process.env.PATH ?? '').split(':').filter(Boolean).map((dir) => join(dir, 'actionlint'))];
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const actionlint = findActionlint();
const inCI = process.env.CI === 'true';
const withActionlint = actionlint || inCI ? test : test.skip;

describe('actionlint', () => {
  withActionlint('finds nothing wrong with the workflows', () => {
    if (!actionlint) throw new Error('actionlint is not in the tools cache nor on PATH: .ci/run must build it (tools/build.sh actionlint)');
    const result = spawnSync(actionlint, ['-no-color', '-oneline'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  withActionlint('rejects a workflow with a mistake, so the lint above can fail', () => {
    if (!actionlint) throw new Error('actionlint is not in the tools cache nor on PATH: .ci/run must build it (tools/build.sh actionlint)');
    const dir = mkdtempSync(join(tmpdir(), 'workflows-'));
    try {
      const broken = join(dir, 'broken.yml');
      writeFileSync(broken, 'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.missing }}\n');
      const result = spawnSync(actionlint, ['-no-color', '-oneline', broken], { encoding: 'utf8' });
      expect(result.status).not.toBe(0);
      expect(result.stdout).toMatch(/property "missing" is not defined/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the workflows', () => {
  const uses = files.flatMap((file) =>
    text(file)
      .split('\n')
      .map((line, i) => ({ file, line: i + 1, match: /^\s*(?:-\s+)?uses:\s*(\S+)\s*(?:#\s*(\S+))?/.exec(line) }))
      .filter((u) => u.match)
      .map(({ file, line, match }) => ({ at: `${file}:${line}`, ref: match![1], comment: match![2] })),
  );
  const remote = uses.filter((u) => !u.ref.startsWith('./'));

  test('pin every action by full commit SHA, with the release it is noted beside it', () => {
    expect(remote.length).toBeGreaterThan(10);
    for (const u of remote) expect({ at: u.at, ok: /^[\w.-]+\/[\w.-]+(\/[\w.-]+)*@[0-9a-f]{40}$/.test(u.ref) && /^v\d+\.\d+\.\d+$/.test(u.comment ?? '') }).toEqual({ at: u.at, ok: true });
  });

  test('use one release of each action throughout', () => {
    const shas = new Map<string, Set<string>>();
    for (const u of remote) {
      const [action, sha] = u.ref.split('@');
      const repo = action.split('/').slice(0, 2).join('/');
      shas.set(repo, (shas.get(repo) ?? new Set()).add(sha));
    }
    expect([...shas].filter(([, s]) => s.size > 1).map(([repo]) => repo)).toEqual([]);
  });

  test('start from no permissions and grant each job only what it needs', () => {
    for (const file of files) {
      expect({ file, permissions: workflow(file).permissions }).toEqual({ file, permissions: isReusable(file) && file === 'images.yml' ? undefined : {} });
      for (const [name, job] of jobsOf(file)) {
        // images.yml is called with the caller's grant (a called workflow can only narrow it), so it sets none.
        if (file === 'images.yml') expect(job.permissions).toBeUndefined();
        else expect({ job: `${file}/${name}`, declares: typeof job.permissions === 'object' }).toEqual({ job: `${file}/${name}`, declares: true });
        expect(JSON.stringify(job.permissions ?? {})).not.toMatch(/all/);
      }
    }
    const grants = (scope: string) =>
      files.flatMap((file) => jobsOf(file).filter(([, job]) => job.permissions?.[scope] === 'write').map(([name]) => `${file}/${name}`)).sort();
    expect(grants('pull-requests')).toEqual(['pull-request.yml/preview']);
    expect(grants('packages')).toEqual(['main.yml/images']);
    expect(grants('security-events')).toEqual(['pull-request.yml/codeql']);
    expect(grants('contents')).toEqual([]);
  });

  test('never leave the GitHub token in the checkout', () => {
    const checkouts = files.flatMap(steps).filter((s) => String(s.uses).startsWith('actions/checkout@'));
    for (const s of checkouts) expect(s.with?.['persist-credentials']).toBe(false);
  });

  test('on main, deploy dev after the tests and images, and prod only after dev, each in its own environment', () => {
    const main = workflow('main.yml');
    expect(main.on.push.branches).toEqual(['main']);
    expect(main.jobs['deploy-dev']).toMatchObject({ needs: ['test', 'images'], uses: './.github/workflows/deploy.yml', with: { stack: 'dev' } });
    expect(main.jobs['deploy-prod']).toMatchObject({ needs: ['deploy-dev'], uses: './.github/workflows/deploy.yml', with: { stack: 'prod' } });
    expect(main.jobs.images.with).toEqual({ push: true });
    const up = workflow('deploy.yml').jobs.up;
    expect(up.environment).toBe('${{ inputs.stack }}');
    expect(up.concurrency).toEqual({ group: 'deploy-${{ inputs.stack }}', 'cancel-in-progress': false });
  });

  test('preview every stack on pull requests and apply the policy pack to every preview and update', () => {
    const stacks = readdirSync(ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter(Boolean).sort();
    const preview = workflow('pull-request.yml').jobs.preview;
    expect([...preview.strategy.matrix.stack].sort()).toEqual(stacks);
    const pulumiSteps = files.flatMap(steps).filter((s) => String(s.uses).startsWith('pulumi/actions@') && s.with?.command);
    expect(pulumiSteps.map((s) => s.with.command).sort()).toEqual(['preview', 'up']);
    for (const s of pulumiSteps) expect(s.with.policyPacks).toBe('policy');
    expect(preview.steps.find((s: any) => s.with?.command === 'preview').with['comment-on-pr']).toBe(true);
    expect(workflow('pull-request.yml').jobs.images.with).toEqual({ push: false });
  });

  test('run the Pulumi CLI that tools/versions.env pins', () => {
    const pinned = /^PULUMI_VERSION=(\S+)$/m.exec(readFileSync(join(ROOT, 'tools', 'versions.env'), 'utf8'))![1];
    const versions = files.flatMap(steps).filter((s) => String(s.uses).startsWith('pulumi/actions@')).map((s) => s.with?.['pulumi-version']);
    expect(versions.length).toBeGreaterThan(0);
    expect(new Set(versions)).toEqual(new Set([pinned]));
  });

  test('build and scan an image of every service with a Dockerfile, failing on high and critical findings', () => {
    const services = readdirSync(join(ROOT, 'services')).filter((d) => existsSync(join(ROOT, 'services', d, 'Dockerfile'))).sort();
    const matrix = workflow('images.yml').jobs.image.strategy.matrix.include;
    expect(matrix.map((m: any) => m.service).sort()).toEqual(services);
    // Each digest lands on the stack setting that service's image is read from (images.syncEngine for sync-engine).
    for (const m of matrix) expect(m.config).toBe(`images.${m.service.replace(/-(\w)/g, (_: string, c: string) => c.toUpperCase())}`);
    const scan = steps('images.yml').find((s) => String(s.uses).startsWith('aquasecurity/trivy-action@'));
    expect(scan.with).toMatchObject({ 'scan-type': 'image', severity: 'HIGH,CRITICAL', 'exit-code': '1' });
    // Scanned before it is pushed: the push step comes after the scan.
    const names = steps('images.yml').map((s) => s.name);
    expect(names.indexOf('Push')).toBeGreaterThan(names.indexOf('Scan for high and critical vulnerabilities'));
  });

  test('scan the npm tree, review new dependencies and run CodeQL on pull requests', () => {
    const jobs = workflow('pull-request.yml').jobs;
    expect(jobs['npm-audit'].steps.map((s: any) => s.run).filter(Boolean)).toEqual(['npm audit --audit-level=high']);
    expect(jobs['dependency-review'].steps[0].with['fail-on-severity']).toBe('high');
    expect(jobs.codeql.steps.find((s: any) => String(s.uses).startsWith('github/codeql-action/init@')).with.languages).toBe('javascript-typescript');
  });

  test('run the tests as .ci/run does, on Debian 12 as root', () => {
    const job = workflow('test.yml').jobs.test;
    expect(job.container.image).toMatch(/^node:20-bookworm/);
    // The image tests start a dockerd of their own, which needs a privileged container and a data root off overlayfs.
    expect(job.container.options).toContain('--privileged');
    const dataRoot = job.container.env.ORCHESTRATOR_DOCKERD_DIR;
    expect(job.container.volumes.map((v: string) => v.split(':')[1])).toContain(dataRoot);
    expect(job.steps.at(-1).run).toBe('bash .ci/run');
  });
});
