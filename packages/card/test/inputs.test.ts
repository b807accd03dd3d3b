import { describe, expect, it } from 'vitest';
import { CardError } from '../src/errors.js';
import {
  authPinSchema,
  encodeAuthPin,
  encodeInputSupportPin,
  encodeSignPassword,
  encodeVerificationNumberA,
  encodeVerificationNumberB,
  signPasswordSchema,
  verificationNumberASchema,
} from '../src/inputs.js';

const ascii = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

/** Runs `fn`, expects INVALID_INPUT, and checks the secret appears nowhere in what the error exposes. */
function rejectsWithoutEcho(fn: (value: unknown) => unknown, secret: unknown, field: string): CardError {
  let caught: unknown;
  try {
    fn(secret);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CardError);
  const error = caught as CardError;
  expect(error.code).toBe('INVALID_INPUT');
  expect(error.details.field).toBe(field);
  expect(error.cause).toBeUndefined();
  const text = String(secret);
  if (text.length >= 3) {
    const exposed = [
      error.message,
      String(error.stack),
      JSON.stringify(error),
      JSON.stringify(error.toJSON()),
      String(error),
    ];
    for (const surface of exposed) expect(surface).not.toContain(text);
    // Upper-cased passwords must not leak either.
    for (const surface of exposed) expect(surface).not.toContain(text.toUpperCase());
  }
  return error;
}

describe('4-digit PINs', () => {
  it('return the ASCII bytes', () => {
    expect(encodeAuthPin('1234')).toEqual(ascii('1234'));
    expect(encodeAuthPin('0000')).toEqual(Uint8Array.of(0x30, 0x30, 0x30, 0x30));
    expect(encodeInputSupportPin('9876')).toEqual(ascii('9876'));
  });

  it('reject other shapes without echoing them', () => {
    for (const bad of ['123', '98765', '12a4', '１２３４', ' 1234', '1234\n', '']) {
      rejectsWithoutEcho(encodeAuthPin, bad, 'authPin');
      rejectsWithoutEcho(encodeInputSupportPin, bad, 'inputSupportPin');
    }
    expect(rejectsWithoutEcho(encodeAuthPin, 4321, 'authPin').details.reason).toBe('type');
    rejectsWithoutEcho(encodeAuthPin, undefined, 'authPin');
    rejectsWithoutEcho(encodeAuthPin, null, 'authPin');
  });

  it('exports the schema', () => {
    expect(authPinSchema.safeParse('1234').success).toBe(true);
    expect(authPinSchema.safeParse('12345').success).toBe(false);
  });
});

describe('signPassword', () => {
  it('upper-cases and returns ASCII bytes', () => {
    expect(encodeSignPassword('abc123')).toEqual(ascii('ABC123'));
    expect(encodeSignPassword('Secret2024')).toEqual(ascii('SECRET2024'));
    expect(encodeSignPassword('A1B2C3D4E5F6G7H8')).toEqual(ascii('A1B2C3D4E5F6G7H8'));
    expect(signPasswordSchema.parse('abcdef')).toBe('ABCDEF');
  });

  it('rejects wrong lengths with reason "length"', () => {
    expect(rejectsWithoutEcho(encodeSignPassword, 'abc12', 'signPassword').details.reason).toBe('length');
    expect(rejectsWithoutEcho(encodeSignPassword, 'abcdefgh123456789', 'signPassword').details.reason).toBe(
      'length',
    );
  });

  it('rejects characters outside A-Z 0-9, including ones that upper-case into ASCII', () => {
    for (const bad of ['abc 123', 'abc-123', 'パスワード123', 'straße12', 'ﬀ123456', 'ıiıiıi1']) {
      expect(rejectsWithoutEcho(encodeSignPassword, bad, 'signPassword').details.reason).toBe('charset');
    }
  });
});

describe('照合番号A', () => {
  it('accepts a My Number with a valid check digit', () => {
    // 123456789018: check digit 8 computed by hand in my-number.test.ts.
    expect(encodeVerificationNumberA('123456789018')).toEqual(ascii('123456789018'));
    expect(verificationNumberASchema.safeParse('123456789018').success).toBe(true);
  });

  it('rejects a bad check digit without echoing the number', () => {
    const error = rejectsWithoutEcho(encodeVerificationNumberA, '123456789012', 'verificationNumberA');
    expect(error.details.reason).toBe('check_digit');
  });

  it('rejects other shapes', () => {
    for (const bad of ['12345678901', '1234567890180', '12345678901x', '１２３４５６７８９０１８']) {
      expect(rejectsWithoutEcho(encodeVerificationNumberA, bad, 'verificationNumberA').details.reason).toBe(
        'charset',
      );
    }
  });
});

describe('照合番号B', () => {
  it('accepts 14 digits', () => {
    expect(encodeVerificationNumberB('80010120301234')).toEqual(ascii('80010120301234'));
  });

  it('rejects other shapes without echoing them', () => {
    for (const bad of ['8001012030123', '800101203012345', '8001012030123a']) {
      rejectsWithoutEcho(encodeVerificationNumberB, bad, 'verificationNumberB');
    }
  });
});
