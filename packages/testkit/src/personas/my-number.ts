/**
 * The 個人番号 (My Number) check digit. Digits P_n are counted from the right of the first 11 digits (n = 1..11);
 * weights Q_n = n + 1 for n ≤ 6 and n − 5 for n ≥ 7; r = Σ P_n·Q_n mod 11; check = r ≤ 1 ? 0 : 11 − r.
 */
export function myNumberCheckDigit(first11: string): number {
  if (!/^\d{11}$/.test(first11)) throw new RangeError('expected 11 digits');
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = Number(first11[11 - n]);
    const q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

/** True for 12 digits whose last digit is the check digit of the first 11. */
export function isValidMyNumber(value: string): boolean {
  return /^\d{12}$/.test(value) && myNumberCheckDigit(value.slice(0, 11)) === Number(value[11]);
}

/** Completes 11 digits with their check digit. */
export function withCheckDigit(first11: string): string {
  return `${first11}${myNumberCheckDigit(first11)}`;
}
