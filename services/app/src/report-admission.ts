/**
 * Back-pressure for report ingest. A report takes a slot from when its request arrives until its answer is sent;
 * with every slot taken, or with the event loop already lagging, the next one is answered 503 with Retry-After
 * before its body is read. Nothing queues: a probe keeps its report and retries, which is cheaper than the app
 * holding reports it cannot process yet.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface AdmissionOptions {
  maxInFlight: number;
  /** Refuse while the event loop's recent delay (p99 over the last second) exceeds this. */
  maxLagMs?: number;
  /** Tests pin the lag. */
  lag?: () => number;
}

export type Admission = { admitted: true; release: () => void } | { admitted: false; retryAfterSeconds: number; reason: string };

export class ReportAdmission {
  private inFlight = 0;
  private readonly maxLagMs: number;
  private readonly lag: () => number;
  private readonly stop: () => void;

  constructor(private readonly options: AdmissionOptions) {
    this.maxLagMs = options.maxLagMs ?? 2000;
    if (options.lag) {
      this.lag = options.lag;
      this.stop = () => {};
    } else {
      const histogram = monitorEventLoopDelay({ resolution: 20 });
      histogram.enable();
      let recent = 0;
      const timer = setInterval(() => {
        recent = histogram.percentile(99) / 1e6;
        histogram.reset();
      }, 1000);
      timer.unref();
      this.lag = () => recent;
      this.stop = () => {
        clearInterval(timer);
        histogram.disable();
      };
    }
  }

  get pending(): number {
    return this.inFlight;
  }

  admit(): Admission {
    if (this.inFlight >= this.options.maxInFlight) {
      return { admitted: false, retryAfterSeconds: this.retryAfter(), reason: `${this.inFlight} reports are being processed, the most this app takes at once` };
    }
    const lag = this.lag();
    if (lag > this.maxLagMs) return { admitted: false, retryAfterSeconds: this.retryAfter(), reason: `the app is behind by ${Math.round(lag)} ms` };
    this.inFlight++;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
      },
    };
  }

  close(): void {
    this.stop();
  }

  /** 1-5 s, spread so that probes refused together do not come back together. */
  private retryAfter(): number {
    return 1 + Math.floor(Math.random() * 5);
  }
}
