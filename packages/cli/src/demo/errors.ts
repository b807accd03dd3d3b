export const demoErrorCodes = ['PCSCD_UNAVAILABLE', 'NO_READER', 'READER_BUSY', 'INVALID_INPUT'] as const;
export type DemoErrorCode = (typeof demoErrorCodes)[number];

/** Why the demo could not start (its scenarios' failures are outcomes, not errors). */
export class DemoError extends Error {
  override readonly name = 'DemoError';
  constructor(
    readonly code: DemoErrorCode,
    message: string,
  ) {
    super(message);
  }
}
