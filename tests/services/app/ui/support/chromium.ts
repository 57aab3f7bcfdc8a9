/**
 * Debian's Chromium, headless, driven by playwright-core, in a user data directory of its own that is removed on
 * close. Used by the UI tests and the UI benchmark; nothing is downloaded (no `playwright install`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export interface Chromium {
  context: BrowserContext;
  /** A new page; its console errors and uncaught exceptions are collected in `errors`. */
  page(): Promise<Page>;
  errors: string[];
  /** CPU milliseconds (user + system) this browser's processes have used so far, by process type. */
  cpuMs(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * CPU time of the browser whose command line names `marker` (its own user data directory, so other engineers'
 * browsers on the machine are not counted) and all its descendants (zygote, renderers, GPU process), from /proc.
 */
function processCpuMs(marker: string): Record<string, number> {
  const procs: Array<{ pid: number; ppid: number; type: string; ms: number; root: boolean }> = [];
  const msPerTick = 1000 / 100; // USER_HZ is 100 on Linux
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const type = /--type=([a-z-]+)/.exec(cmdline)?.[1] ?? 'browser';
      procs.push({ pid: Number(pid), ppid: Number(fields[1]), type, ms: (Number(fields[11]) + Number(fields[12])) * msPerTick, root: cmdline.includes(marker) && type === 'browser' });
    } catch {
      // The process ended meanwhile.
    }
  }
  const ours = new Set(procs.filter((p) => p.root).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!ours.has(p.pid) && ours.has(p.ppid)) grew = ours.add(p.pid) !== undefined;
  }
  const out: Record<string, number> = {};
  for (const p of procs) if (ours.has(p.pid)) out[p.type] = (out[p.type] ?? 0) + p.ms;
  return out;
}

export async function launchChromium(viewport = { width: 1440, height: 900 }): Promise<Chromium> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'monitor-ui-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, viewport, headless: true });
  const errors: string[] = [];
  return {
    context,
    errors,
    async page() {
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        // Software GL's performance notes are not the page's errors.
        if (m.type() === 'error' && !m.text().includes('GL Driver Message')) errors.push(`console: ${m.text()}`);
      });
      return page;
    },
    cpuMs: () => processCpuMs(userDataDir),
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
