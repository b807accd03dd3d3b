import { z } from 'zod';
import { CardError } from './errors.js';
import { isValidMyNumber } from './my-number.js';

/**
 * Secrets typed by users, checked before they reach the card (a malformed PIN would still cost a try).
 * Errors never contain the value: zod's own messages and issues can carry the input, so they are
 * replaced by fixed messages and only the field name and a reason code are kept.
 */

/** 利用者証明用 PIN (JPKI auth, EF 0018): exactly 4 ASCII digits. */
export const authPinSchema = z.string().regex(/^[0-9]{4}$/);

/** 券面事項入力補助用暗証番号 (EF 0011 of the text AP): exactly 4 ASCII digits. */
export const inputSupportPinSchema = z.string().regex(/^[0-9]{4}$/);

/**
 * 署名用パスワード (JPKI sign, EF 001B): 6–16 of A–Z and 0–9, lower case accepted and upper-cased like
 * every client does. Non-ASCII letters are rejected before upper-casing ('ß'.toUpperCase() is 'SS').
 */
export const signPasswordSchema = z
  .string()
  .min(6)
  .max(16)
  .regex(/^[A-Za-z0-9]+$/)
  .transform((value) => value.toUpperCase());

/** 照合番号A: the 12-digit My Number, with a valid check digit. */
export const verificationNumberASchema = z
  .string()
  .regex(/^[0-9]{12}$/)
  .refine(isValidMyNumber);

/** 照合番号B: birth date YYMMDD as printed + expiry year + 4-digit security code = 14 digits. */
export const verificationNumberBSchema = z.string().regex(/^[0-9]{14}$/);

type Reason = 'type' | 'length' | 'charset' | 'check_digit';

function reasonOf(code: string | undefined): Reason {
  switch (code) {
    case 'invalid_type':
      return 'type';
    case 'too_small':
    case 'too_big':
      return 'length';
    case 'custom':
      return 'check_digit';
    default:
      return 'charset';
  }
}

function parseSecret(
  schema: z.ZodType<string, unknown>,
  value: unknown,
  field: string,
  messages: Partial<Record<Reason, string>> & { charset: string },
): Uint8Array {
  const result = schema.safeParse(value);
  if (!result.success) {
    const reason = reasonOf(result.error.issues[0]?.code);
    const message = messages[reason] ?? (reason === 'type' ? `${field} must be a string` : messages.charset);
    // No `cause`: the ZodError would carry the input into logs and toJSON().
    throw new CardError('INVALID_INPUT', message, { details: { field, reason } });
  }
  // Every schema admits ASCII only, so this is one byte per character.
  return new TextEncoder().encode(result.data);
}

/** The auth PIN as the bytes VERIFY sends. */
export function encodeAuthPin(value: unknown): Uint8Array {
  return parseSecret(authPinSchema, value, 'authPin', {
    charset: 'the auth PIN must be exactly 4 digits (0-9)',
  });
}

/** The 券面事項入力補助 PIN as the bytes VERIFY sends. */
export function encodeInputSupportPin(value: unknown): Uint8Array {
  return parseSecret(inputSupportPinSchema, value, 'inputSupportPin', {
    charset: 'the input-support PIN must be exactly 4 digits (0-9)',
  });
}

/** The signing password, upper-cased, as the bytes VERIFY sends. */
export function encodeSignPassword(value: unknown): Uint8Array {
  return parseSecret(signPasswordSchema, value, 'signPassword', {
    length: 'the signing password must be 6 to 16 characters',
    charset: 'the signing password may contain only letters A-Z and digits 0-9',
  });
}

/** 照合番号A as the bytes VERIFY sends. */
export function encodeVerificationNumberA(value: unknown): Uint8Array {
  return parseSecret(verificationNumberASchema, value, 'verificationNumberA', {
    charset: 'verification number A must be the 12-digit My Number',
    check_digit: 'verification number A is not a valid My Number (check digit)',
  });
}

/** 照合番号B as the bytes VERIFY sends. */
export function encodeVerificationNumberB(value: unknown): Uint8Array {
  return parseSecret(verificationNumberBSchema, value, 'verificationNumberB', {
    charset: 'verification number B must be 14 digits',
  });
}
