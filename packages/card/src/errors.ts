import { z } from 'zod';

/**
 * Every failure the card layer reports. Codes are stable API: integrators switch on them,
 * persist them and send them over IPC, so they are never renamed.
 */
export const cardErrorCodes = [
  'WRONG_PIN',
  'PIN_BLOCKED',
  'LOCK_GUARD',
  'SECURITY_STATUS_NOT_SATISFIED',
  'FILE_NOT_FOUND',
  'NOT_A_MY_NUMBER_CARD',
  'CARD_REMOVED',
  'NO_CARD',
  'NO_READER',
  'READER_UNAVAILABLE',
  'SHARING_VIOLATION',
  'TIMEOUT',
  'MALFORMED_RESPONSE',
  'UNEXPECTED_STATUS',
  'WRONG_LENGTH',
  'EXTENDED_LENGTH_UNSUPPORTED',
  'INVALID_INPUT',
  'TRANSPORT_CLOSED',
  'PCSC_ERROR',
  'REPLAY_MISMATCH',
  'UPDATE_SCRIPT_REJECTED',
] as const;

export type CardErrorCode = (typeof cardErrorCodes)[number];

/** Details are small JSON values: never PINs, passwords, My Numbers or photo bytes. */
export type ErrorDetails = Record<string, string | number | boolean | null | undefined>;

const serializedErrorSchema = z.object({
  name: z.string(),
  code: z.string(),
  message: z.string(),
  sw: z.number().int().min(0).max(0xffff).optional(),
  scardCode: z.number().int().optional(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  cause: z.unknown().optional(),
});

export type SerializedError = z.infer<typeof serializedErrorSchema>;

export interface MynakitErrorOptions {
  /** The status word that caused the error, when the card answered. */
  sw?: number;
  /** The PC/SC SCARD_* code, when the PC/SC layer failed. */
  scardCode?: number;
  details?: ErrorDetails;
  cause?: unknown;
}

/**
 * Base class of every typed error in mynakit. Subclasses narrow `code` to their own union.
 * `toJSON()`/`fromJSON()` let errors survive persistence and IPC with their code intact.
 */
export class MynakitError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly sw?: number;
  readonly scardCode?: number;
  readonly details: ErrorDetails;

  constructor(code: Code, message: string, options: MynakitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MynakitError';
    this.code = code;
    if (options.sw !== undefined) this.sw = options.sw;
    if (options.scardCode !== undefined) this.scardCode = options.scardCode;
    this.details = options.details ?? {};
  }

  toJSON(): SerializedError {
    const json: SerializedError = { name: this.name, code: this.code, message: this.message };
    if (this.sw !== undefined) json.sw = this.sw;
    if (this.scardCode !== undefined) json.scardCode = this.scardCode;
    const details = Object.fromEntries(Object.entries(this.details).filter(([, v]) => v !== undefined));
    if (Object.keys(details).length > 0)
      json.details = details as Record<string, string | number | boolean | null>;
    if (this.cause instanceof MynakitError) json.cause = this.cause.toJSON();
    else if (this.cause instanceof Error) json.cause = { name: this.cause.name, message: this.cause.message };
    return json;
  }

  static fromJSON(value: unknown): MynakitError {
    const json = serializedErrorSchema.parse(value);
    const cause = json.cause === undefined ? undefined : reviveCause(json.cause);
    const error = new MynakitError(json.code, json.message, {
      ...(json.sw !== undefined && { sw: json.sw }),
      ...(json.scardCode !== undefined && { scardCode: json.scardCode }),
      ...(json.details !== undefined && { details: json.details }),
      ...(cause !== undefined && { cause }),
    });
    error.name = json.name;
    return error;
  }
}

function reviveCause(cause: unknown): Error | undefined {
  if (serializedErrorSchema.safeParse(cause).success) return MynakitError.fromJSON(cause);
  const plain = z.object({ name: z.string(), message: z.string() }).safeParse(cause);
  if (!plain.success) return undefined;
  const error = new Error(plain.data.message);
  error.name = plain.data.name;
  return error;
}

/** An error from the card layer: a card, reader or APDU problem. */
export class CardError extends MynakitError<CardErrorCode> {
  constructor(code: CardErrorCode, message: string, options: MynakitErrorOptions = {}) {
    super(code, message, options);
    this.name = 'CardError';
  }

  static override fromJSON(value: unknown): CardError {
    const revived = MynakitError.fromJSON(value);
    if (!isCardErrorCode(revived.code)) {
      throw new TypeError(`not a card error code: ${revived.code}`);
    }
    return new CardError(revived.code, revived.message, {
      ...(revived.sw !== undefined && { sw: revived.sw }),
      ...(revived.scardCode !== undefined && { scardCode: revived.scardCode }),
      details: revived.details,
      ...(revived.cause !== undefined && { cause: revived.cause }),
    });
  }
}

export function isCardErrorCode(code: string): code is CardErrorCode {
  return (cardErrorCodes as readonly string[]).includes(code);
}

/** True when `error` is a mynakit error with the given code (works across package copies). */
export function hasErrorCode<C extends string>(error: unknown, code: C): error is MynakitError<C> {
  return error instanceof Error && (error as { code?: unknown }).code === code;
}

export function toHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}
