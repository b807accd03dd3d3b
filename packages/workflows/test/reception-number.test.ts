import { describe, expect, it } from 'vitest';
import {
  dammCheckDigit,
  formatReceptionNumber,
  generateReceptionNumber,
  isDammValid,
  parseReceptionNumber,
  RateLimiter,
  RECEPTION_ENTROPY_BITS,
} from '../src/index.js';

describe('reception numbers (W3.3, rules: unguessable, checkable)', () => {
  it('carries at least 40 bits of entropy and a valid check digit', () => {
    expect(RECEPTION_ENTROPY_BITS).toBeGreaterThanOrEqual(40);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const number = generateReceptionNumber();
      expect(number).toMatch(/^\d{16}$/);
      expect(isDammValid(number)).toBe(true);
      seen.add(number);
    }
    expect(seen.size).toBe(2000);
  });

  it('draws uniform digits (bytes 250–255 are redrawn, not folded onto 0–5)', () => {
    // A source that always offers 255 first, then 7: a biased generator would emit 5s.
    let call = 0;
    const number = generateReceptionNumber((n) => new Uint8Array(n).fill(call++ % 2 === 0 ? 255 : 7));
    expect(number.slice(0, 15)).toBe('777777777777777');
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 4000; i++)
      for (const d of generateReceptionNumber().slice(0, 15)) counts[Number(d)]++;
    const expected = (4000 * 15) / 10;
    // Chi-square with 9 degrees of freedom: 33.7 is the 0.01 % critical value (a false alarm once in 10 000 runs).
    const chi = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(33.7);
  });

  it('the check digit catches every single-digit error and every adjacent swap', () => {
    const number = generateReceptionNumber();
    for (let i = 0; i < number.length; i++) {
      for (let d = 0; d <= 9; d++) {
        if (String(d) === number[i]) continue;
        const typo = number.slice(0, i) + d + number.slice(i + 1);
        expect(isDammValid(typo), typo).toBe(false);
      }
      if (i + 1 < number.length && number[i] !== number[i + 1]) {
        const swapped = number.slice(0, i) + number[i + 1] + number[i] + number.slice(i + 2);
        expect(isDammValid(swapped), swapped).toBe(false);
      }
    }
    expect(dammCheckDigit('572')).toBe(4); // the published example: 572 → 5724
  });

  it('parses what people type: separators and full-width digits; refuses without echoing the input', () => {
    const number = generateReceptionNumber();
    const shown = formatReceptionNumber(number);
    expect(shown).toMatch(/^\d{4}-\d{4}-\d{4}-\d{4}$/);
    expect(parseReceptionNumber(shown)).toBe(number);
    const fullWidth = [...number].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
    expect(parseReceptionNumber(` ${fullWidth.slice(0, 8)} ${fullWidth.slice(8)} `)).toBe(number);
    const typo = number.slice(0, 15) + String((Number(number[15]) + 1) % 10);
    const error = (() => {
      try {
        parseReceptionNumber(typo);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ code: 'RECEPTION_NUMBER_INVALID', details: { reason: 'check-digit' } });
    expect(JSON.stringify(error)).not.toContain(typo);
    expect(() => parseReceptionNumber('12345')).toThrow(/not a valid reception number/);
  });
});

describe('rate limiting at the kiosk endpoint (W3.4, against enumeration)', () => {
  it('allows a burst, then refuses with a retry time, then refills; keys are independent', () => {
    let now = 0;
    const limiter = new RateLimiter({ capacity: 3, refillPerSecond: 0.5 }, () => now);
    expect([1, 2, 3].map(() => limiter.take('kiosk-1').allowed)).toEqual([true, true, true]);
    expect(limiter.take('kiosk-1')).toEqual({ allowed: false, retryAfterMs: 2000 });
    expect(limiter.take('kiosk-2').allowed).toBe(true);
    now = 2000;
    expect(limiter.take('kiosk-1').allowed).toBe(true);
    expect(limiter.take('kiosk-1').allowed).toBe(false);
    now = 60_000;
    limiter.prune();
    expect([1, 2, 3].map(() => limiter.take('kiosk-1').allowed)).toEqual([true, true, true]);
  });
});
