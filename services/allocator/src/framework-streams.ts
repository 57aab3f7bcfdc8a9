/**
 * Live event streams to frameworks (offers, rescinds, placements, lost tasks), whatever the transport: the HTTP layer
 * wraps an SSE response or a WebSocket in a `StreamSink` and subscribes it here.
 */

export interface StreamSink {
  send(event: string, data: unknown): void;
  close(): void;
}

export class FrameworkStreams {
  private readonly sinks = new Map<string, Set<StreamSink>>();

  get connections(): number {
    let n = 0;
    for (const set of this.sinks.values()) n += set.size;
    return n;
  }

  /** Returns the function that unsubscribes. */
  subscribe(frameworkId: string, sink: StreamSink): () => void {
    let set = this.sinks.get(frameworkId);
    if (!set) this.sinks.set(frameworkId, (set = new Set()));
    set.add(sink);
    return () => {
      set.delete(sink);
      if (set.size === 0 && this.sinks.get(frameworkId) === set) this.sinks.delete(frameworkId);
    };
  }

  hasSubscribers(frameworkId: string): boolean {
    return this.sinks.has(frameworkId);
  }

  publish(frameworkId: string, event: string, data: unknown): void {
    const set = this.sinks.get(frameworkId);
    if (!set) return;
    for (const sink of set) sink.send(event, data);
  }

  /** Ends every stream of one framework (it was removed) or of all (this replica stops leading). */
  close(frameworkId?: string): void {
    const sets = frameworkId === undefined ? [...this.sinks.values()] : [this.sinks.get(frameworkId) ?? new Set<StreamSink>()];
    for (const set of sets) for (const sink of [...set]) sink.close();
    if (frameworkId === undefined) this.sinks.clear();
    else this.sinks.delete(frameworkId);
  }
}
