/**
 * `sync-engine <mode>`: the command line. Parses and validates flags, opens and checks both ensembles before
 * writing anything, runs the mode, prints its result through CliOutput, and exits: 0 success (verify: equal),
 * 1 verify found differences or the run failed, 2 bad input (usage, unreachable ensemble, bad chroot, ...).
 */
import pino from 'pino';
import type { Logger } from '../../lib/logger';
import { CliOutput } from './cli-output';
import { ConfigError, EngineConfig, filterOf, parseCli, USAGE } from './config';
import { Cutover, isTerminal, readCutoverState, requestRollback } from './cutover';
import { SyncMetrics } from './metrics';
import { PathFilter } from './path-filter';
import { openCheckedSides } from './preflight';
import { runService } from './service-runner';
import { StateStore } from './state-store';
import { supervise } from './supervisor';
import { copyTree } from './tree-copy';
import { verifyTrees } from './verify';

export async function runCli(argv: string[]): Promise<number> {
  let config: EngineConfig;
  try {
    config = parseCli(argv);
  } catch (err) {
    const out = new CliOutput(false);
    out.error((err as Error).message);
    if (argv.length === 0 || argv.includes('--help')) process.stderr.write(USAGE + '\n');
    return 2;
  }
  const out = new CliOutput(config.json);
  // Logs go to stderr as JSON so stdout carries only results.
  const logger: Logger = pino({ name: 'sync-engine', level: process.env.LOG_LEVEL ?? 'warn', base: { service: 'sync-engine', job: config.job }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));
  try {
    return await runMode(config, out, logger);
  } catch (err) {
    out.error((err as Error).message);
    return err instanceof ConfigError ? 2 : 1;
  }
}

async function runMode(config: EngineConfig, out: CliOutput, logger: Logger): Promise<number> {
  if (config.mode === 'status') return printStatus(config, out);
  if (config.mode === 'rollback') return rollback(config, out, logger);
  if (config.mode === 'serve' || config.mode === 'sync' || config.mode === 'cutover') {
    if (config.mode === 'cutover' && config.httpPort === 0) return runCutoverOnce(config, out, logger);
    return runService(config, logger, out);
  }

  const { source, target } = await openCheckedSides(config, logger, { targetRootMustExist: config.mode === 'verify' });
  try {
    if (config.mode === 'copy') {
      const report = await copyTree({ source, target, filter: filterOf(config), maxInFlight: config.maxInFlight, logger });
      out.copyReport(report);
      return report.redactedAcls.length ? 1 : 0;
    }
    // verify: the heartbeat changes all the time and is not part of the data being moved.
    const filter = new PathFilter({ include: config.include, exclude: [...config.exclude, '/.sync-engine-heartbeat-*'] });
    const report = await verifyTrees({ source, target, filter, maxInFlight: config.maxInFlight });
    out.verifyReport(report);
    return report.equal ? 0 : 1;
  } finally {
    source.close();
    target.close();
  }
}

async function runCutoverOnce(config: EngineConfig, out: CliOutput, logger: Logger): Promise<number> {
  const store = new StateStore(config.stateDir!);
  const { source, target } = await openCheckedSides(config, logger, { exitOnExpiry: process.env.SYNC_ENGINE_SUPERVISED === '1' });
  const metrics = new SyncMetrics();
  try {
    const cutover = new Cutover({ config, store, source, target, metrics, logger });
    const state = await cutover.run();
    out.result(state, [`cutover ${state.phase}`, ...state.history.map((h) => `  ${h.phase.padEnd(13)} ${(h.durationMs / 1000).toFixed(2)} s`)]);
    return state.phase === 'done' ? 0 : 1;
  } finally {
    source.close();
    target.close();
  }
}

function printStatus(config: EngineConfig, out: CliOutput): number {
  if (!config.stateDir) throw new ConfigError('--state-dir is required for status');
  const state = readCutoverState(new StateStore(config.stateDir));
  if (!state) throw new ConfigError(`no cutover state in ${config.stateDir}`);
  out.result(state, [`cutover ${state.job}: phase ${state.phase} since ${state.phaseStartedAt}`, ...state.history.map((h) => `  ${h.phase.padEnd(13)} ${(h.durationMs / 1000).toFixed(2)} s`)]);
  return 0;
}

/** Asks the running cutover to roll back and waits for it; if none is running, rolls back here. */
async function rollback(config: EngineConfig, out: CliOutput, logger: Logger): Promise<number> {
  const store = new StateStore(config.stateDir!);
  const state = readCutoverState(store);
  if (!state) throw new ConfigError(`no cutover state in ${config.stateDir}: nothing to roll back`);
  if (state.phase === 'done') throw new ConfigError('the cutover is done; rollback is possible only before done');
  if (state.phase === 'rolled-back') {
    out.result(state, ['already rolled back']);
    return 0;
  }
  requestRollback(store);
  const runnerAlive = (): boolean => {
    const s = readCutoverState(store);
    return s?.aliveAt !== undefined && Date.now() - Date.parse(s.aliveAt) < 3000;
  };
  if (runnerAlive()) {
    out.line('rollback requested; waiting for the running cutover');
    for (;;) {
      const s = readCutoverState(store)!;
      if (isTerminal(s.phase)) {
        out.result(s, [`cutover ${s.phase}`]);
        return s.phase === 'rolled-back' ? 0 : 1;
      }
      if (!runnerAlive()) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const { source, target } = await openCheckedSides(config, logger);
  try {
    const final = await new Cutover({ config, store, source, target, metrics: new SyncMetrics(), logger }).run();
    out.result(final, [`cutover ${final.phase}`]);
    return final.phase === 'rolled-back' ? 0 : 1;
  } finally {
    source.close();
    target.close();
  }
}

/** Long-running modes run in a child that `supervise` restarts after a session loss or a crash (see supervisor.ts). */
function runSupervised(argv: string[]): Promise<number> {
  return supervise({
    command: process.execPath,
    args: [...process.execArgv, process.argv[1], ...argv],
    env: { ...process.env, SYNC_ENGINE_SUPERVISED: '1' },
    report: (line) => process.stderr.write(`sync-engine: ${line}\n`),
  });
}

const LONG_RUNNING = new Set(['sync', 'cutover', 'serve']);

if (require.main === module) {
  const argv = process.argv.slice(2);
  const run = LONG_RUNNING.has(argv[0]) && process.env.SYNC_ENGINE_SUPERVISED !== '1' ? runSupervised(argv) : runCli(argv);
  run.then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`sync-engine: ${err.message}\n`);
      process.exit(1);
    },
  );
}
