/**
 * The CLI supervisor with real child processes: a small Node script stands in for the engine and ends the way
 * the engine can (session loss, a native crash, a clean or failed exit), counting its runs in a file.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { supervise } from '../../../services/sync-engine/src/supervisor';

/** A child that ends with `endings[run]` (an exit code or a signal name), one per run, and logs its runs. */
function fakeEngine(endings: (number | string)[]): { args: string[]; runs: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
  const counter = join(dir, 'runs');
  const script = `
    const fs = require('fs');
    const runs = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) : 0) + 1;
    fs.writeFileSync(${JSON.stringify(counter)}, String(runs));
    const endings = ${JSON.stringify(endings)};
    const end = endings[Math.min(runs, endings.length) - 1];
    if (typeof end === 'string') process.kill(process.pid, end);
    else process.exit(end);
  `;
  return { args: ['-e', script], runs: () => Number(readFileSync(counter, 'utf8')) };
}

function run(endings: (number | string)[], extra: { maxCrashes?: number } = {}): Promise<{ code: number; runs: number; lines: string[] }> {
  const engine = fakeEngine(endings);
  const lines: string[] = [];
  return supervise({ command: process.execPath, args: engine.args, env: process.env, report: (l) => lines.push(l), initialDelayMs: 10, ...extra }).then((code) => ({
    code,
    runs: engine.runs(),
    lines,
  }));
}

describe('supervise', () => {
  test('restarts after a session loss (exit 75) and ends with the final exit code', async () => {
    const { code, runs, lines } = await run([75, 75, 0]);
    expect({ code, runs }).toEqual({ code: 0, runs: 3 });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ZooKeeper session loss; restarting in 10 ms/);
    expect(lines[1]).toMatch(/restarting in 20 ms/); // backs off while the child dies young
  });

  test('restarts after a crash by a signal it did not send', async () => {
    const { code, runs, lines } = await run(['SIGSEGV', 'SIGABRT', 3]);
    expect({ code, runs }).toEqual({ code: 3, runs: 3 });
    expect(lines[0]).toMatch(/died from SIGSEGV; restarting/);
    expect(lines[1]).toMatch(/died from SIGABRT; restarting/);
  });

  test('any other exit is final: a failed run is not retried', async () => {
    const { code, runs, lines } = await run([2, 0]);
    expect({ code, runs, lines }).toEqual({ code: 2, runs: 1, lines: [] });
  });

  test('a crash loop ends the supervisor instead of restarting forever', async () => {
    const { code, runs, lines } = await run(['SIGSEGV'], { maxCrashes: 2 });
    expect({ code, runs }).toEqual({ code: 1, runs: 3 });
    expect(lines.at(-1)).toMatch(/died from SIGSEGV 3 times within 600 s; giving up/);
  });
});
