/**
 * Search-as-you-type: waits ~200 ms after the last keystroke, cancels the request
 * that is in flight when a newer query starts, and drops any answer that is not for
 * the latest query, so a slow reply for "ca" never overwrites the list for "cat".
 * Timers are injected so tests drive it deterministically.
 */

export interface Cancellable<R> {
  promise: Promise<R>;
  cancel(): void;
}

export type SearchRunner<R> = (query: string) => Cancellable<R>;

export interface SearchEvents<R> {
  busy(busy: boolean): void;
  result(query: string, result: R): void;
  error(query: string, error: unknown): void;
  /** The query became empty: show nothing. */
  clear(): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export const DEFAULT_DEBOUNCE_MS = 200;

export class DebouncedSearch<R> {
  private timer: unknown;
  private inFlight: Cancellable<R> | undefined;
  private seq = 0;
  private query = '';
  private disposed = false;

  constructor(
    private readonly run: SearchRunner<R>,
    private readonly events: SearchEvents<R>,
    private readonly delayMs: number = DEFAULT_DEBOUNCE_MS,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Call on every change of the input box. */
  update(query: string): void {
    if (this.disposed) return;
    this.query = query;
    this.abortPending();
    if (query.trim() === '') {
      this.events.busy(false);
      this.events.clear();
      return;
    }
    const seq = this.seq;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.fire(seq, query);
    }, this.delayMs);
  }

  /** Re-runs the current query now (e.g. after the search mode changed). */
  refresh(): void {
    if (this.disposed) return;
    this.abortPending();
    if (this.query.trim() === '') return;
    void this.fire(this.seq, this.query);
  }

  dispose(): void {
    this.abortPending();
    this.disposed = true;
  }

  private abortPending(): void {
    this.seq++;
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inFlight) {
      this.inFlight.cancel();
      this.inFlight = undefined;
    }
  }

  private async fire(seq: number, query: string): Promise<void> {
    if (seq !== this.seq || this.disposed) return;
    const request = this.run(query);
    this.inFlight = request;
    this.events.busy(true);
    try {
      const result = await request.promise;
      if (seq !== this.seq || this.disposed) return;
      this.events.result(query, result);
    } catch (error) {
      if (seq !== this.seq || this.disposed) return;
      this.events.error(query, error);
    } finally {
      if (seq === this.seq && !this.disposed) {
        this.inFlight = undefined;
        this.events.busy(false);
      }
    }
  }
}
