import { describe, expect, it } from 'vitest';
import { CardError } from '../src/errors.js';
import { isValidMyNumber, myNumberCheckDigit } from '../src/my-number.js';

// Weights written out left to right for the 11 digits: position n from the right (n = 11 … 1)
// gets Q = n − 5 for n ≥ 7 and n + 1 for n ≤ 6.
const WEIGHTS = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

describe('myNumberCheckDigit', () => {
  it('matches hand-computed examples', () => {
    // 1·6 + 2·5 + 3·4 + 4·3 + 5·2 + 6·7 + 7·6 + 8·5 + 9·4 + 0·3 + 1·2 = 212; 212 mod 11 = 3; 11 − 3 = 8.
    expect(myNumberCheckDigit('12345678901')).toBe(8);
    // All zeros: r = 0 → 0.
    expect(myNumberCheckDigit('00000000000')).toBe(0);
    // Only the last digit 6: 6·2 = 12, r = 1 → 0 (the r ≤ 1 branch).
    expect(myNumberCheckDigit('00000000006')).toBe(0);
    // Only the last digit 5: 5·2 = 10, r = 10 → 1.
    expect(myNumberCheckDigit('00000000005')).toBe(1);
    // Only the first digit 1: weight 6, r = 6 → 5.
    expect(myNumberCheckDigit('10000000000')).toBe(5);
    // Only the sixth digit 1 (n = 6, Q = 7): r = 7 → 4.
    expect(myNumberCheckDigit('00000100000')).toBe(4);
  });

  it('agrees with the weight table on many numbers', () => {
    let seed = 99;
    for (let i = 0; i < 500; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const digits = String(seed % 100_000_000_000).padStart(11, '0');
      const r = [...digits].reduce((sum, d, j) => sum + Number(d) * WEIGHTS[j]!, 0) % 11;
      expect(myNumberCheckDigit(digits)).toBe(r <= 1 ? 0 : 11 - r);
    }
  });

  it('rejects anything but 11 ASCII digits without echoing it', () => {
    for (const bad of ['1234567890', '123456789012', '1234567890a', '１２３４５６７８９０１', '']) {
      try {
        myNumberCheckDigit(bad);
        throw new Error('expected a throw');
      } catch (error) {
        expect(error).toBeInstanceOf(CardError);
        expect((error as CardError).code).toBe('INVALID_INPUT');
        if (bad) expect((error as CardError).message).not.toContain(bad);
      }
    }
  });
});

describe('isValidMyNumber', () => {
  it('accepts numbers with the right check digit', () => {
    expect(isValidMyNumber('123456789018')).toBe(true);
    expect(isValidMyNumber('000000000000')).toBe(true);
    expect(isValidMyNumber('000000000060')).toBe(true);
    expect(isValidMyNumber('000000000051')).toBe(true);
  });

  it('rejects wrong check digits and wrong shapes', () => {
    for (let d = 0; d <= 9; d++) if (d !== 8) expect(isValidMyNumber(`12345678901${d}`)).toBe(false);
    expect(isValidMyNumber('12345678901')).toBe(false);
    expect(isValidMyNumber('1234567890180')).toBe(false);
    expect(isValidMyNumber('12345678901a')).toBe(false);
    expect(isValidMyNumber(' 123456789018')).toBe(false);
    expect(isValidMyNumber(123456789018 as unknown as string)).toBe(false);
  });

  it('catches every single-digit typo in a valid number', () => {
    const valid = '123456789018';
    for (let i = 0; i < 11; i++) {
      for (let d = 0; d <= 9; d++) {
        if (String(d) === valid[i]) continue;
        const typo = valid.slice(0, i) + d + valid.slice(i + 1);
        // The weights are 2..7, all coprime to 11, so a changed digit always changes r.
        expect(isValidMyNumber(typo)).toBe(false);
      }
    }
  });
});
