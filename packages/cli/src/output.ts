import { MynakitError } from '@mynakit/card';

/** Print a result as JSON (for machines) or through `human` (for people). */
export function emit<T>(json: boolean, value: T, human: (value: T) => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, jsonReplacer, 2)}\n` : `${human(value)}\n`);
}

/** Bytes go out as hex in JSON. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

export function hex(bytes: Uint8Array, separator = ' '): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(separator);
}

/** Turn any failure into one line on stderr and an exit code; typed errors keep their code. */
export function reportError(error: unknown, json: boolean): number {
  if (
    error instanceof MynakitError ||
    (error instanceof Error && typeof (error as { code?: unknown }).code === 'string')
  ) {
    const typed = error as MynakitError;
    if (json)
      process.stderr.write(
        `${JSON.stringify({ error: typed.toJSON?.() ?? { code: typed.code, message: typed.message } })}\n`,
      );
    else process.stderr.write(`mynakit: ${typed.code}: ${typed.message}\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`mynakit: ${message}\n`);
  return 1;
}
