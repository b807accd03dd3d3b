import type { DeviceNotifier, KioskPrinter, PrintConfirmationRequest, PrintJob } from './ports.js';

/** In-memory DeviceNotifier for tests and demos: a push service that dedupes by idempotency key, as the W3 ports require. */
export class InMemoryDeviceNotifier implements DeviceNotifier {
  readonly delivered = new Map<string, PrintConfirmationRequest>();
  calls = 0;

  async requestPrintConfirmation(request: PrintConfirmationRequest): Promise<void> {
    this.calls++;
    const key = `${request.caseId}/${request.idempotencyKey}`;
    if (!this.delivered.has(key)) this.delivered.set(key, request);
  }

  requests(): PrintConfirmationRequest[] {
    return [...this.delivered.values()];
  }
}

/** In-memory KioskPrinter for tests and demos: a kiosk print service that dedupes by idempotency key and counts calls and real printouts. */
export class InMemoryKioskPrinter implements KioskPrinter {
  readonly printed = new Map<string, PrintJob & { jobId: string }>();
  calls = 0;

  async print(job: PrintJob): Promise<{ jobId: string }> {
    this.calls++;
    const key = `${job.caseId}/${job.idempotencyKey}`;
    const existing = this.printed.get(key);
    if (existing !== undefined) return { jobId: existing.jobId };
    const jobId = `job-${this.printed.size + 1}`;
    this.printed.set(key, { ...job, jobId });
    return { jobId };
  }
}
