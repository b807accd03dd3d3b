import type { EffectHandlers, WorkflowRuntime } from '../engine/runtime.js';

export interface WorkerLoopOptions {
  readonly runtime: WorkflowRuntime;
  readonly handlers: EffectHandlers;
  /** Pause between polls when there was nothing to do. */
  readonly intervalMs: number;
  /** Effects of different cases run at once (default 1). */
  readonly concurrency?: number;
  /** Failures of single effects/timers (already retried by the runtime) and of whole polls (store down). */
  readonly onError: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * Runs the outbox and the timers: polls every `intervalMs`, drains while there is work, and wakes at once on
 * `poke()` (after a local dispatch). Another process's work is found by polling, so nothing here is state that
 * several processes on one PostgreSQL must share.
 */
export class WorkerLoop {
  private running = false;
  private wake: (() => void) | undefined;
  private poked = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: WorkerLoopOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Work may be waiting: run a round now instead of after the pause. */
  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  /** Stops after the round in progress (an effect handler is never cut off half-way by us). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      this.poked = false;
      let busy = false;
      try {
        const concurrency = this.options.concurrency ?? 1;
        const outbox = await this.options.runtime.runOutboxOnce(this.options.handlers, {
          concurrency,
          limit: Math.max(10, concurrency * 4),
        });
        for (const failure of outbox.failed)
          this.options.onError('effect failed (will retry)', { ...failure });
        const timers = await this.options.runtime.runTimersOnce();
        for (const failure of timers.failed)
          this.options.onError('timer failed (will retry)', { ...failure });
        // Progress (not mere claims) keeps draining; a batch that only failed waits for its retry time.
        busy = outbox.completed > 0 || timers.fired > 0;
        failures = 0;
      } catch (error) {
        // The store is unreachable: back off (up to 5 s) instead of failing every interval.
        failures++;
        this.options.onError('worker round failed', { err: error, failures });
      }
      if (!this.running) break;
      if (failures === 0 && (busy || this.poked)) continue;
      const pause = Math.min(5000, this.options.intervalMs * 2 ** failures);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pause);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
  }
}
