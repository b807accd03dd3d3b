import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isValidMyNumber, myNumberCheckDigit } from '@mynakit/card';
import { afterAll, describe, expect, it } from 'vitest';
import { collationNumberA, collationNumberB } from '../src/personas/collation-numbers.js';
import { encodeJp2, synthesizeFace } from '../src/personas/face-photo.js';
import { eraOf, jpkiBirthDate, printedBirthYymmdd } from '../src/personas/japanese-era.js';
import { personaFacePhoto } from '../src/personas/persona-face.js';
import { certificateSexCode, personaSchema } from '../src/personas/persona-schema.js';
import { getPersona, listPersonas } from '../src/personas/personas.js';

/** Independent re-statement of the check-digit rule, written from the definition. */
function referenceCheckDigit(digits11: string): number {
  const reversed = [...digits11].reverse().map(Number);
  const sum = reversed.reduce((acc, p, idx) => {
    const n = idx + 1;
    return acc + p * (n <= 6 ? n + 1 : n - 5);
  }, 0);
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

describe('My Number check digit', () => {
  it('accepts the published sample number 123456789018', () => {
    expect(myNumberCheckDigit('12345678901')).toBe(8);
    expect(isValidMyNumber('123456789018')).toBe(true);
    expect(isValidMyNumber('123456789017')).toBe(false);
  });

  it('agrees with a reference implementation on many inputs', () => {
    for (let i = 0; i < 500; i++) {
      const digits = String((i * 7919 * 104729) % 1e11).padStart(11, '0');
      expect(myNumberCheckDigit(digits)).toBe(referenceCheckDigit(digits));
    }
  });

  it('rejects wrong lengths and non-digits', () => {
    expect(isValidMyNumber('12345678901')).toBe(false);
    expect(isValidMyNumber('12345678901a')).toBe(false);
    expect(() => myNumberCheckDigit('1234')).toThrow(/11 ASCII digits/);
  });

  it('holds for every persona', () => {
    for (const p of listPersonas()) {
      expect(p.myNumber).toMatch(/^\d{12}$/);
      expect(referenceCheckDigit(p.myNumber.slice(0, 11))).toBe(Number(p.myNumber[11]));
    }
  });
});

describe('Japanese eras', () => {
  it.each([
    ['1912-07-29', 1, 45],
    ['1912-07-30', 2, 1],
    ['1926-12-24', 2, 15],
    ['1926-12-25', 3, 1],
    ['1980-05-15', 3, 55],
    ['1989-01-07', 3, 64],
    ['1989-01-08', 4, 1],
    ['2019-04-30', 4, 31],
    ['2019-05-01', 5, 1],
    ['2025-10-27', 5, 7],
  ])('%s is era %i year %i', (date, code, year) => {
    const era = eraOf(date);
    expect(era?.era.code).toBe(code);
    expect(era?.year).toBe(year);
  });

  it('writes EYYYYMMDD with the Gregorian date, 0 before 明治', () => {
    expect(jpkiBirthDate('1980-12-31')).toBe('319801231');
    expect(jpkiBirthDate('2019-05-01')).toBe('520190501');
    expect(jpkiBirthDate('1850-01-01')).toBe('018500101');
  });

  it('prints YYMMDD with the era year, or the western year on request', () => {
    expect(printedBirthYymmdd('1980-05-15')).toBe('550515');
    expect(printedBirthYymmdd('2019-06-12')).toBe('010612');
    expect(printedBirthYymmdd('1980-05-15', 'gregorian')).toBe('800515');
  });

  it('rejects impossible dates', () => {
    expect(() => eraOf('2023-02-29')).toThrow(RangeError);
    expect(() => eraOf('2023-2-1')).toThrow(RangeError);
  });
});

describe('personas', () => {
  it('lists five or six valid personas with unique short ASCII ids', () => {
    const all = listPersonas();
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    for (const p of all) {
      expect(p.id).toMatch(/^[a-z][a-z0-9-]+$/);
      expect(personaSchema.safeParse(p).success).toBe(true);
      expect(p.name).toContain('\u3000');
      expect(p.nameKana).toContain('\u3000');
      expect(p.address).not.toMatch(/〒|\d{3}-\d{4}/);
      expect(p.address).toMatch(/^.+?[都道府県]/u);
      expect(p.address).not.toMatch(/[0-9-]/); // full-width digits and hyphens only
      expect(getPersona(p.id)).toBe(p);
    }
    expect(() => getPersona('nobody')).toThrow(RangeError);
  });

  it('covers the eras, sexes and the child without a signing certificate', () => {
    const all = listPersonas();
    const eras = new Set(all.map((p) => eraOf(p.birthDate)?.era.name));
    for (const e of ['大正', '昭和', '平成', '令和']) expect(eras).toContain(e);
    const sexes = new Set(all.map((p) => p.sex));
    expect(sexes).toEqual(new Set(['1', '2', '9']));
    const child = all.find((p) => eraOf(p.birthDate)?.era.name === '令和');
    expect(child?.jpki.signingCertificate).toBe(false);
    expect(child?.pins.sign).toBeNull();
  });

  it('has a signing certificate exactly when the holder was 15 or older at issuance', () => {
    for (const p of listPersonas()) {
      const [by, bm, bd] = p.birthDate.split('-').map(Number) as [number, number, number];
      const [iy, im, id] = p.card.issuedOn.split('-').map(Number) as [number, number, number];
      const age = iy - by - (im < bm || (im === bm && id < bd) ? 1 : 0);
      expect(p.jpki.signingCertificate).toBe(age >= 15);
    }
  });

  it('maps the card sex code to the certificate coding', () => {
    expect(certificateSexCode('1')).toBe('1');
    expect(certificateSexCode('2')).toBe('2');
    expect(certificateSexCode('9')).toBe('3');
  });

  it('rejects a persona whose My Number check digit is wrong', () => {
    const taro = getPersona('taro');
    const bad = { ...taro, myNumber: `${taro.myNumber.slice(0, 11)}${(Number(taro.myNumber[11]) + 1) % 10}` };
    expect(personaSchema.safeParse(bad).success).toBe(false);
  });
});

describe('照合番号', () => {
  it('A is the My Number', () => {
    const p = getPersona('hanako');
    expect(collationNumberA(p)).toBe(p.myNumber);
  });

  it('B is printed birth YYMMDD + expiry year + security code (14 digits)', () => {
    // taro: 昭和55年5月15日, card valid to 2035, security code 4821.
    expect(collationNumberB(getPersona('taro'))).toBe('55051520354821');
    // sakura: 令和元年6月12日 → 01.
    expect(collationNumberB(getPersona('sakura'))).toBe('01061220302468');
    // hikaru: 平成元年1月8日.
    expect(collationNumberB(getPersona('hikaru'))).toBe('01010820355702');
    for (const p of listPersonas()) expect(collationNumberB(p)).toMatch(/^\d{14}$/);
  });

  it('uses the western year for cards printed in the Gregorian calendar', () => {
    const taro = getPersona('taro');
    expect(collationNumberB({ ...taro, card: { ...taro.card, birthDatePrinting: 'gregorian' } })).toBe(
      '80051520354821',
    );
  });
});

describe('face photo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mynakit-face-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Decodes in process with @cornerstonejs/codec-openjpeg's wasm decoder (it finds the codestream in a JP2). */
  async function decodeWasm(
    jp2: Uint8Array,
  ): Promise<{ width: number; height: number; componentCount: number }> {
    const require = createRequire(import.meta.url);
    const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (o: object) => Promise<{
      J2KDecoder: new () => {
        getEncodedBuffer(n: number): Uint8Array;
        decode(): void;
        getFrameInfo(): { width: number; height: number; componentCount: number; bitsPerSample: number };
        getDecodedBuffer(): Uint8Array;
      };
    }>;
    const m = await factory({ print: () => {}, printErr: () => {} });
    const d = new m.J2KDecoder();
    d.getEncodedBuffer(jp2.length).set(jp2);
    d.decode();
    const info = d.getFrameInfo();
    expect(info.bitsPerSample).toBe(8);
    expect(d.getDecodedBuffer().length).toBe(info.width * info.height * info.componentCount);
    return { width: info.width, height: info.height, componentCount: info.componentCount };
  }

  const hasOpjDecompress = spawnSync('opj_decompress', ['-h'], { stdio: 'pipe' }).error === undefined;

  /** Decodes with Debian's opj_decompress to PGM and reads the header. */
  function decode(jp2: Uint8Array): { width: number; height: number; maxval: number } {
    const input = join(dir, 'in.jp2');
    const output = join(dir, 'out.pgm');
    writeFileSync(input, jp2);
    execFileSync('opj_decompress', ['-i', input, '-o', output], { stdio: 'pipe' });
    const pgm = readFileSync(output);
    const header = pgm
      .subarray(0, 64)
      .toString('latin1')
      .replace(/#[^\n]*\n/g, '');
    const m = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(header);
    if (!m) throw new Error(`not a binary PGM (opj_decompress writes P5 for one component): ${header}`);
    return { width: Number(m[1]), height: Number(m[2]), maxval: Number(m[3]) };
  }

  it('is a JP2 file of 3–8 KB decoding to 240×320 with one component', async () => {
    for (const id of ['taro', 'sakura', 'kiyoshi']) {
      const jp2 = await personaFacePhoto(getPersona(id));
      expect(jp2.subarray(0, 12)).toEqual(
        Uint8Array.from([0, 0, 0, 12, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]),
      );
      expect(Buffer.from(jp2.subarray(16, 24)).toString('latin1')).toBe('ftypjp2 ');
      expect(jp2.length).toBeGreaterThanOrEqual(3 * 1024);
      expect(jp2.length).toBeLessThanOrEqual(8 * 1024);
      expect(await decodeWasm(jp2)).toEqual({ width: 240, height: 320, componentCount: 1 });
    }
  });

  it.skipIf(!hasOpjDecompress)('decodes with the opj_decompress command-line tool too', async () => {
    const jp2 = await personaFacePhoto(getPersona('hanako'));
    expect(decode(jp2)).toEqual({ width: 240, height: 320, maxval: 255 });
  });

  it('is deterministic per persona and differs between personas', async () => {
    const a1 = await personaFacePhoto(getPersona('taro'));
    const a2 = await personaFacePhoto(getPersona('taro'));
    const b = await personaFacePhoto(getPersona('hanako'));
    expect(a1).toEqual(a2);
    expect(a1).not.toEqual(b);
    expect(synthesizeFace({ seed: 'x' }).pixels).toEqual(synthesizeFace({ seed: 'x' }).pixels);
  });

  it('encodes an arbitrary grey image', async () => {
    const jp2 = await encodeJp2({ width: 240, height: 320, pixels: new Uint8Array(240 * 320).fill(128) });
    expect(await decodeWasm(jp2)).toEqual({ width: 240, height: 320, componentCount: 1 });
  });
});
