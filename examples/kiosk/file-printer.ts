import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KioskJob, PrinterPort } from '@mynakit/workflows/device';

const EXTENSION: Record<string, string> = { 'application/pdf': 'pdf' };

/**
 * A "printer" that writes each job's document to a file: swap it for the driver of the kiosk's printer. The kiosk
 * acknowledges the job only after `print` resolves, so a failed print can be presented again.
 */
export class FilePrinter implements PrinterPort {
  /** The files written, in order. */
  readonly printed: string[] = [];

  constructor(private readonly directory: string) {}

  async print(job: KioskJob): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const extension = EXTENSION[job.mediaType ?? ''] ?? 'bin';
    // The job id, not the certificate's content, names the file: the document itself is personal data.
    const file = join(this.directory, `${job.jobId}.${extension}`);
    await writeFile(file, job.document, { mode: 0o600 });
    this.printed.push(file);
  }
}
