/**
 * `/proc/<pid>/stat`, parsed from bytes. The fields a probe needs every collection for every process; one line, so
 * reading it is the cheapest way to learn a process is alive, what it is called now and what it has used.
 */
import { parseDecimal } from './proc-files';

/** Linux's USER_HZ: the unit of /proc's tick counts on every architecture the probe runs on (x86-64, arm64). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** `flags` bit of a kernel thread (PF_KTHREAD): no cmdline, environment, fds or sockets of its own. */
const PF_KTHREAD = 0x00200000;

export interface ProcStat {
  pid: number;
  /** The kernel's 15-character name (`comm`); it changes on exec, the pid and start time do not. */
  comm: string;
  state: string;
  ppid: number;
  kernelThread: boolean;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  threads: number;
  /** Clock ticks after boot: with the pid, what tells a reused pid from the process that had it before. */
  starttime: number;
  /** Resident pages. */
  rssPages: number;
}

/** Field positions after the `(comm)` field, 1-based as in proc(5). */
const FIELD = { state: 3, ppid: 4, flags: 9, utime: 14, stime: 15, threads: 20, starttime: 22, rss: 24 } as const;

/** Parses one stat line in `buf[0, length)`; undefined if it is not one (a truncated read). */
export function parseProcStat(buf: Buffer, length: number): ProcStat | undefined {
  const open = buf.indexOf(40 /* ( */);
  // comm may itself contain ')' and spaces; the last ')' ends it.
  let close = length - 1;
  while (close > open && buf[close] !== 41 /* ) */) close--;
  if (open < 0 || close <= open) return undefined;
  const pid = parseDecimal(buf, 0, open - 1);
  const comm = buf.toString('utf8', open + 1, close);
  let field = 3;
  let i = close + 2;
  let state = '';
  let ppid = 0;
  let flags = 0;
  let utime = 0;
  let stime = 0;
  let threads = 0;
  let starttime = 0;
  let rss = 0;
  while (i < length && field <= FIELD.rss) {
    let j = i;
    while (j < length && buf[j] !== 32 && buf[j] !== 10) j++;
    switch (field) {
      case FIELD.state:
        state = String.fromCharCode(buf[i]);
        break;
      case FIELD.ppid:
        ppid = parseDecimal(buf, i, j);
        break;
      case FIELD.flags:
        flags = parseDecimal(buf, i, j);
        break;
      case FIELD.utime:
        utime = parseDecimal(buf, i, j);
        break;
      case FIELD.stime:
        stime = parseDecimal(buf, i, j);
        break;
      case FIELD.threads:
        threads = parseDecimal(buf, i, j);
        break;
      case FIELD.starttime:
        starttime = parseDecimal(buf, i, j);
        break;
      case FIELD.rss:
        rss = parseDecimal(buf, i, j);
        break;
    }
    field++;
    i = j + 1;
  }
  if (field <= FIELD.rss || !Number.isFinite(pid + ppid + utime + stime + starttime + rss)) return undefined;
  // A flags word above 2^31 still parses; the bit test needs the low 32 bits only.
  return { pid, comm, state, ppid, kernelThread: (flags % 0x100000000 & PF_KTHREAD) !== 0, cpuTicks: utime + stime, threads, starttime, rssPages: rss };
}
