/**
 * The Damm check digit: one table lookup per digit, and it catches every single-digit error and every swap of two
 * adjacent digits — the two mistakes people make when they type a number they read off a phone into a kiosk.
 */
const TABLE = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
] as const;

/** The check digit of a string of ASCII digits. */
export function dammCheckDigit(digits: string): number {
  let interim = 0;
  for (const char of digits) interim = TABLE[interim]![char.charCodeAt(0) - 48]!;
  return interim;
}

/** True when the last digit is the Damm check digit of the others. */
export function isDammValid(digits: string): boolean {
  return /^\d+$/.test(digits) && dammCheckDigit(digits) === 0;
}
