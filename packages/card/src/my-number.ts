import { CardError } from './errors.js';

/**
 * The 個人番号 (My Number) check digit, from the 11 digits before it.
 * For the digits counted from the right (n = 1..11) the weight is Q = n + 1 for n ≤ 6 and n − 5 for n ≥ 7;
 * r = Σ P·Q mod 11; the check digit is 0 when r ≤ 1, otherwise 11 − r.
 * Throws CardError INVALID_INPUT (without the digits) unless given exactly 11 ASCII digits.
 */
export function myNumberCheckDigit(first11: string): number {
  if (typeof first11 !== 'string' || !/^[0-9]{11}$/.test(first11)) {
    throw new CardError('INVALID_INPUT', 'the check digit needs exactly 11 ASCII digits');
  }
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = first11.charCodeAt(11 - n) - 0x30;
    const q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

/** True for 12 ASCII digits whose last digit is the check digit of the first 11. Never throws. */
export function isValidMyNumber(digits: string): boolean {
  if (typeof digits !== 'string' || !/^[0-9]{12}$/.test(digits)) return false;
  return myNumberCheckDigit(digits.slice(0, 11)) === digits.charCodeAt(11) - 0x30;
}
