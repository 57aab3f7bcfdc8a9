/** The engine's Prometheus metrics, on one registry the HTTP frame serves at /metrics. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const PHASES = ['idle', 'copy', 'sync', 'freeze', 'drain', 'switch', 'reverse-sync', 'done', 'rolling-back', 'rolled-back'] as const;
export type Phase = (typeof PHASES)[number];

export class SyncMetrics {
  readonly registry: Registry;
  readonly ops: Counter<'side' | 'op'>;
  readonly errors: Counter<'side' | 'kind'>;
  readonly conflicts: Counter<'kind' | 'winner'>;
  readonly lag: Histogram<'direction'>;
  readonly phase: Gauge<'phase'>;
  readonly queueDepth: Gauge;
  readonly echoesSuppressed: Counter;
  readonly reconciles: Counter<'trigger'>;
  readonly ledgerEntries: Gauge;
  readonly copyNodes: Counter<'outcome'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.ops = new Counter({ name: 'sync_engine_ops_total', help: 'Writes the engine made, by side written and operation', labelNames: ['side', 'op'], registers });
    this.errors = new Counter({ name: 'sync_engine_errors_total', help: 'Failed operations, by side and kind (connection, auth, other)', labelNames: ['side', 'kind'], registers });
    this.conflicts = new Counter({ name: 'sync_engine_conflicts_total', help: 'Conflicts resolved, by kind and winning side', labelNames: ['kind', 'winner'], registers });
    this.lag = new Histogram({
      name: 'sync_engine_replication_lag_seconds',
      help: 'Heartbeat write on one side to its arrival on the other',
      labelNames: ['direction'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.phase = new Gauge({ name: 'sync_engine_phase', help: '1 for the phase the engine is in', labelNames: ['phase'], registers });
    this.queueDepth = new Gauge({ name: 'sync_engine_queue_depth', help: 'Paths waiting to be reconciled', registers });
    this.echoesSuppressed = new Counter({ name: 'sync_engine_echoes_suppressed_total', help: "Watch events caused by the engine's own writes, recognised and not copied back", registers });
    this.reconciles = new Counter({ name: 'sync_engine_reconciles_total', help: 'Paths compared, by trigger (event, full)', labelNames: ['trigger'], registers });
    this.ledgerEntries = new Gauge({ name: 'sync_engine_ledger_entries', help: 'Nodes with a recorded last-synced version', registers });
    this.copyNodes = new Counter({ name: 'sync_engine_copy_nodes_total', help: 'Nodes visited by bulk copy, by outcome', labelNames: ['outcome'], registers });
    this.setPhase('idle');
  }

  setPhase(phase: Phase): void {
    for (const p of PHASES) this.phase.set({ phase: p }, p === phase ? 1 : 0);
  }
}
