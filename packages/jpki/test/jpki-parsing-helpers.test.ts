import { describe, expect, it } from 'vitest';
import { basicFourFromOtherNames, parseOtherNames } from '../src/basic-four.js';
import { formatName } from '../src/distinguished-name.js';
import { JpkiError } from '../src/errors.js';
import { JPKI_OIDS } from '../src/oids.js';
import { derToPem, pemToDer } from '../src/pem.js';
import { normalizeSha256Fingerprint } from '../src/trust-store.js';

const hex = (s: string) => new Uint8Array(s.match(/../g)?.map((b) => Number.parseInt(b, 16)) ?? []);

describe('parseOtherNames', () => {
  it('reads string and non-string otherNames and skips other GeneralName forms', () => {
    // SEQUENCE { otherName 1.2.3 = UTF8String "x", otherName 1.2.4 = INTEGER 5, dNSName "a.jp" }
    const san = hex(
      '301c' + 'a009' + '06022a03' + 'a0030c0178' + 'a009' + '06022a04' + 'a003020105' + '8204612e6a70',
    );
    expect(parseOtherNames(san)).toEqual([
      { oid: '1.2.3', value: 'x' },
      { oid: '1.2.4', value: '020105' },
    ]);
  });

  it('rejects a truncated SAN', () => {
    expect(() => parseOtherNames(hex('301c' + 'a009'))).toThrow(JpkiError);
  });
});

describe('basicFourFromOtherNames', () => {
  const six = [
    { oid: JPKI_OIDS.name, value: '山田　太郎' },
    { oid: JPKI_OIDS.birthDate, value: '319800515' },
    { oid: JPKI_OIDS.sex, value: '1' },
    { oid: JPKI_OIDS.address, value: '東京都' },
    { oid: JPKI_OIDS.nameSubstitution, value: '00000' },
    { oid: JPKI_OIDS.addressSubstitution, value: '000' },
  ];

  it('is null without basic-four entries and keeps unknown ones otherwise', () => {
    expect(basicFourFromOtherNames([{ oid: '1.2.3', value: 'x' }])).toBeNull();
    const info = basicFourFromOtherNames([...six, { oid: '1.2.3', value: 'x' }]);
    expect(info?.otherNames).toEqual([{ oid: '1.2.3', value: 'x' }]);
    expect(info?.birthDate).toEqual({ era: 'showa', date: '1980-05-15' });
  });

  it('treats missing substitution maps as null but a missing core item or a duplicate as malformed', () => {
    expect(basicFourFromOtherNames(six.slice(0, 4))?.nameSubstitution).toBeNull();
    expect(() => basicFourFromOtherNames(six.slice(1))).toThrow(/malformed/);
    expect(() => basicFourFromOtherNames([...six, six[0] as (typeof six)[0]])).toThrow(/malformed/);
    expect(() =>
      basicFourFromOtherNames([...six.slice(0, 4), { oid: JPKI_OIDS.nameSubstitution, value: '0a' }]),
    ).toThrow(JpkiError);
  });
});

describe('formatName', () => {
  it('joins RDNs in encoding order and escapes RFC 4514 specials', () => {
    expect(
      formatName([
        [{ type: 'C', value: 'JP' }],
        [{ type: 'O', value: 'a,b' }],
        [{ type: 'CN', value: '#x' }],
      ]),
    ).toBe('C=JP, O=a\\,b, CN=\\#x');
  });
});

describe('PEM', () => {
  it('round-trips bytes and rejects text without a certificate block', () => {
    const der = new Uint8Array(200).map((_, i) => (i * 7) & 0xff);
    expect(pemToDer(derToPem(der))).toEqual(der);
    expect(() => pemToDer('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toThrow(JpkiError);
  });
});

describe('JpkiError', () => {
  it('survives JSON with its code', () => {
    const error = new JpkiError('EXPIRED', 'leaf certificate has expired', { details: { role: 'leaf' } });
    const revived = JpkiError.fromJSON(JSON.parse(JSON.stringify(error)));
    expect(revived).toBeInstanceOf(JpkiError);
    expect(revived.code).toBe('EXPIRED');
    expect(revived.details).toEqual({ role: 'leaf' });
    expect(() => JpkiError.fromJSON({ name: 'X', code: 'WRONG_PIN', message: 'm' })).toThrow(TypeError);
  });
});

describe('normalizeSha256Fingerprint', () => {
  it('accepts colon and plain forms and rejects short ones', () => {
    const plain = 'ab'.repeat(32);
    expect(normalizeSha256Fingerprint(`${'AB:'.repeat(31)}AB`)).toBe(plain);
    expect(normalizeSha256Fingerprint(plain.toUpperCase())).toBe(plain);
    expect(() => normalizeSha256Fingerprint('abcd')).toThrow(JpkiError);
  });
});
