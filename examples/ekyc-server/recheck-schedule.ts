import type { EkycService, RecheckOutcome } from '@mynakit/workflows';
import type { CustomerDirectory } from './customer-directory.js';

export interface RecheckLog {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * 現況確認 on a schedule (W4.3): every round asks the revocation service about each verified customer's kept
 * signing certificate. A revoked one means the basic four changed (move, marriage), the card was lost, or the holder
 * died: the customer is marked to verify again, and with their consent the business may ask J-LIS for the latest
 * basic four (`service.latest`). Rounds never overlap; a failed check is retried next round.
 */
export class RecheckSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RecheckOutcome[]> | undefined;

  constructor(
    private readonly service: EkycService,
    private readonly customers: CustomerDirectory,
    private readonly log: RecheckLog,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.running === undefined) void this.runOnce();
    }, intervalMs);
    // The schedule alone does not keep the process alive.
    this.timer.unref();
  }

  /** One round now (also what the timer runs); resolves with the outcomes of the customers checked. */
  runOnce(): Promise<RecheckOutcome[]> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async round(): Promise<RecheckOutcome[]> {
    const outcomes: RecheckOutcome[] = [];
    for (const customerId of this.customers.toRecheck()) {
      try {
        const outcome = await this.service.recheck(customerId);
        outcomes.push(outcome);
        if (outcome.status === 'valid') {
          this.log.info(`recheck ${customerId}: signing certificate valid`);
        } else {
          this.customers.set(customerId, 'reverify', this.clock());
          const why = [outcome.meaning, outcome.reason].filter((x) => x !== undefined).join(', ');
          this.log.warn(
            `recheck ${customerId}: signing certificate ${outcome.status} (${why}): ask to verify again`,
          );
        }
      } catch (error) {
        // Codes only (e.g. REVOCATION_UNDETERMINED when J-LIS is unreachable): nothing personal in them.
        const code = (error as { code?: unknown }).code;
        this.log.warn(
          `recheck ${customerId}: failed (${typeof code === 'string' ? code : 'error'}), retried next round`,
        );
      }
    }
    return outcomes;
  }
}
