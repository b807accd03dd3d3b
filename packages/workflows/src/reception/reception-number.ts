import { z } from 'zod';
import { WorkflowError } from '../engine/errors.js';
import { dammCheckDigit, isDammValid } from './damm.js';

/**
 * W3 reception numbers (受付番号): 15 random decimal digits and a Damm check digit, shown as 4-4-4-4.
 * 15 uniform digits carry log2(10^15) ≈ 49.8 bits, above the 40 the issue asks for: with a million live numbers an
 * attacker still needs ≈ 10^9 guesses per hit, and the kiosk endpoint's rate limit keeps guesses to a trickle.
 * Single use and expiry are the issuance server's job (the number is the key of a case that a successful print ends).
 */
export const RECEPTION_RANDOM_DIGITS = 15;
export const RECEPTION_NUMBER_LENGTH = RECEPTION_RANDOM_DIGITS + 1;
export const RECEPTION_ENTROPY_BITS = RECEPTION_RANDOM_DIGITS * Math.log2(10);

/** Canonical form: 16 ASCII digits, no separators. */
export const receptionNumberSchema = z
  .string()
  .regex(/^\d{16}$/)
  .refine(isDammValid, 'check digit mismatch');
export type ReceptionNumber = z.infer<typeof receptionNumberSchema>;

export type RandomBytes = (length: number) => Uint8Array;

const defaultRandom: RandomBytes = (length) => globalThis.crypto.getRandomValues(new Uint8Array(length));

/** A new reception number from a cryptographic random source (uniform digits by rejection sampling). */
export function generateReceptionNumber(random: RandomBytes = defaultRandom): ReceptionNumber {
  let digits = '';
  while (digits.length < RECEPTION_RANDOM_DIGITS) {
    for (const byte of random(RECEPTION_RANDOM_DIGITS)) {
      // 250 = 25 × 10: bytes 250..255 would favour the digits 0–5, so they are drawn again.
      if (byte < 250 && digits.length < RECEPTION_RANDOM_DIGITS) digits += String(byte % 10);
    }
  }
  return `${digits}${dammCheckDigit(digits)}`;
}

/** `1234-5678-9012-3456`, as the phone shows it and the kiosk prints it. */
export function formatReceptionNumber(number: ReceptionNumber): string {
  return number.match(/.{4}/g)!.join('-');
}

/**
 * What a person typed → the canonical number. Spaces, hyphens and full-width digits (from a Japanese IME) are
 * accepted; anything else, a wrong length or a wrong check digit is RECEPTION_NUMBER_INVALID — without echoing the
 * input, which is as good as a password until it is used.
 */
export function parseReceptionNumber(input: string): ReceptionNumber {
  const normalised = input.normalize('NFKC').replace(/[\s\-‐−ー]/g, '');
  const parsed = receptionNumberSchema.safeParse(normalised);
  if (!parsed.success) {
    const reason = /^\d{16}$/.test(normalised) ? 'check-digit' : 'format';
    throw new WorkflowError('RECEPTION_NUMBER_INVALID', 'not a valid reception number', {
      details: { reason },
    });
  }
  return parsed.data;
}
