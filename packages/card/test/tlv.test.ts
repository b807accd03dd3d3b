import { describe, expect, it } from 'vitest';
import { CardError } from '../src/errors.js';
import { encodeTlv, findTlv, parseTlvs, tlvTotalLength } from '../src/tlv.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const filled = (n: number, value = 0x41) => new Uint8Array(n).fill(value);
const cat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const ascii = (s: string) => new TextEncoder().encode(s);

function malformed(fn: () => unknown): CardError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CardError);
    expect((error as CardError).code).toBe('MALFORMED_RESPONSE');
    return error as CardError;
  }
  throw new Error('expected MALFORMED_RESPONSE');
}

describe('parseTlvs', () => {
  it('parses the 基本4情報 layout: FF 20 { DF 21 … DF 25 }', () => {
    const name = ascii('Taro');
    const birth = ascii('19800101');
    const body = cat(
      [0xdf, 0x21, 0x02, 0x00, 0x10],
      [0xdf, 0x22, name.length],
      name,
      [0xdf, 0x24, 8],
      birth,
      [0xdf, 0x25, 1, 0x31],
    );
    const ef = cat([0xff, 0x20, body.length], body, filled(20, 0xff));
    const [root, ...rest] = parseTlvs(ef);
    expect(rest).toEqual([]);
    expect(root!.tag).toBe(0xff20);
    expect(root!.constructed).toBe(true);
    expect(root!.offset).toBe(0);
    expect(root!.size).toBe(3 + body.length);
    expect(root!.children!.map((t) => t.tag)).toEqual([0xdf21, 0xdf22, 0xdf24, 0xdf25]);
    expect(root!.children!.every((t) => !t.constructed)).toBe(true);
    expect(findTlv([root!], 0xdf22)!.value).toEqual(name);
    expect(findTlv([root!], 0xdf24)!.value).toEqual(birth);
    expect(findTlv([root!], 0xdf24)!.offset).toBe(3 + 5 + 3 + name.length);
    expect(findTlv([root!], 0xdf23)).toBeUndefined();
  });

  it('parses the My Number EF with the 2-byte tag DF 10', () => {
    const digits = ascii('123456789018');
    const [tlv] = parseTlvs(cat([0xdf, 0x10, 0x0c], digits, [0xff, 0xff, 0xff]));
    expect(tlv!.tag).toBe(0xdf10);
    expect(tlv!.value).toEqual(digits);
  });

  it('reads long-form lengths 81, 82, 83', () => {
    const v200 = filled(200);
    expect(parseTlvs(cat([0x04, 0x81, 200], v200))[0]!.value).toEqual(v200);
    const v300 = filled(300);
    const [t82] = parseTlvs(cat([0x5f, 0x37, 0x82, 0x01, 0x2c], v300));
    expect(t82!.tag).toBe(0x5f37);
    expect(t82!.value.length).toBe(300);
    expect(t82!.size).toBe(5 + 300);
    const [t83] = parseTlvs(cat([0x04, 0x83, 0x00, 0x01, 0x00], filled(256)));
    expect(t83!.value.length).toBe(256);
    // Non-minimal lengths are legal BER.
    expect(parseTlvs(bytes(0x04, 0x81, 0x01, 0x07))[0]!.value).toEqual(bytes(7));
  });

  it('parses the CV certificate shape: 7F 21 { 5F 4E (primitive), 5F 37 }', () => {
    const body = cat(filled(32, 1), [0x90, 0x03, 0x01, 0x00, 0x01], [0x91, 0x82, 0x01, 0x00], filled(256, 2));
    const sig = filled(256, 3);
    const inner = cat(
      [0x5f, 0x4e, 0x82, body.length >> 8, body.length & 0xff],
      body,
      [0x5f, 0x37, 0x82, 0x01, 0x00],
      sig,
    );
    const cert = cat([0x7f, 0x21, 0x82, inner.length >> 8, inner.length & 0xff], inner);
    const [root] = parseTlvs(cert);
    expect(root!.tag).toBe(0x7f21);
    expect(root!.constructed).toBe(true);
    expect(root!.children!.map((t) => [t.tag, t.constructed, t.value.length])).toEqual([
      [0x5f4e, false, body.length],
      [0x5f37, false, 256],
    ]);
    expect(findTlv([root!], 0x5f4e)!.children).toBeUndefined();
    expect(findTlv([root!], 0x5f37)!.value).toEqual(sig);
  });

  it('parses several top-level objects and empty values', () => {
    const tlvs = parseTlvs(bytes(0x01, 0x00, 0x02, 0x01, 0xaa, 0x30, 0x00));
    expect(tlvs.map((t) => [t.tag, t.value.length, t.offset])).toEqual([
      [0x01, 0, 0],
      [0x02, 1, 2],
      [0x30, 0, 5],
    ]);
    expect(tlvs[2]!.children).toEqual([]);
  });

  it('does not parse children when not recursive', () => {
    const [root] = parseTlvs(bytes(0xff, 0x20, 0x03, 0xdf, 0x21, 0x05), { recursive: false });
    expect(root!.children).toBeUndefined();
    expect(root!.value).toEqual(bytes(0xdf, 0x21, 0x05));
  });

  it('tolerates trailing FF and 00 padding, and empty or blank EFs', () => {
    expect(parseTlvs(bytes(0x04, 0x01, 0x09, 0xff, 0xff, 0x00, 0xff))).toHaveLength(1);
    expect(parseTlvs(bytes(0x04, 0x01, 0x09, 0x00, 0x00))).toHaveLength(1);
    expect(parseTlvs(new Uint8Array(0))).toEqual([]);
    expect(parseTlvs(filled(2048, 0xff))).toEqual([]);
    // A value that ends in FF is data, not padding.
    expect(parseTlvs(bytes(0x04, 0x02, 0xff, 0xff))[0]!.value).toEqual(bytes(0xff, 0xff));
  });

  it('copies values', () => {
    const raw = bytes(0x04, 0x01, 0x09);
    const [tlv] = parseTlvs(raw);
    raw[2] = 0;
    expect(tlv!.value).toEqual(bytes(9));
  });
});

describe('parseTlvs on malformed input', () => {
  it('rejects a truncated tag', () => {
    expect(malformed(() => parseTlvs(bytes(0xdf))).details.offset).toBe(0);
    expect(malformed(() => parseTlvs(bytes(0x04, 0x00, 0x5f, 0x81))).details.offset).toBe(2);
  });

  it('rejects a missing or truncated length', () => {
    expect(malformed(() => parseTlvs(bytes(0xdf, 0x21))).details.offset).toBe(0);
    expect(malformed(() => parseTlvs(bytes(0xdf, 0x21, 0x82, 0x01))).details.offset).toBe(2);
    expect(malformed(() => parseTlvs(bytes(0x04, 0x81))).details.offset).toBe(1);
  });

  it('rejects a length beyond the end', () => {
    const error = malformed(() => parseTlvs(bytes(0xdf, 0x21, 0x05, 0x01, 0x02)));
    expect(error.details.offset).toBe(0);
    expect(error.message).toContain('offset 0');
    malformed(() => parseTlvs(bytes(0x04, 0x82, 0x01, 0x00, 0x01)));
    malformed(() => parseTlvs(bytes(0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00)));
  });

  it('rejects a child running past its parent, with the child offset', () => {
    // The outer length covers 4 bytes; the child claims 5.
    expect(
      malformed(() => parseTlvs(bytes(0xff, 0x20, 0x04, 0xdf, 0x21, 0x05, 0x00, 0x00, 0x00, 0x00))).details
        .offset,
    ).toBe(3);
  });

  it('rejects indefinite and over-long length forms', () => {
    malformed(() => parseTlvs(bytes(0x30, 0x80, 0x00, 0x00)));
    malformed(() => parseTlvs(bytes(0x04, 0x85, 0, 0, 0, 0, 1, 0xaa)));
    malformed(() => parseTlvs(bytes(0x04, 0xff, 0x01)));
  });

  it('rejects tags longer than 4 bytes and garbage between objects', () => {
    malformed(() => parseTlvs(bytes(0x5f, 0x81, 0x82, 0x83, 0x04, 0x00)));
    malformed(() => parseTlvs(bytes(0x04, 0x01, 0x00, 0x12)));
  });

  it('rejects absurd nesting without blowing the stack', () => {
    const depth = 40;
    let inner = new Uint8Array(0);
    for (let i = 0; i < depth; i++) inner = cat([0x30, inner.length], inner);
    // Short lengths limit this to 63 levels; 40 > the 32-level limit.
    malformed(() => parseTlvs(inner));
  });

  it('only ever throws MALFORMED_RESPONSE on random input (property loop)', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const interesting = [0x00, 0xff, 0x30, 0x7f, 0x5f, 0xdf, 0x1f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85];
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      const length = Math.floor(random() * 40);
      const input = Uint8Array.from({ length }, () =>
        random() < 0.4 ? interesting[Math.floor(random() * interesting.length)]! : Math.floor(random() * 256),
      );
      try {
        const tlvs = parseTlvs(input);
        parsed++;
        for (const tlv of tlvs) expect(tlv.offset + tlv.size).toBeLessThanOrEqual(input.length);
      } catch (error) {
        expect(error).toBeInstanceOf(CardError);
        expect((error as CardError).code).toBe('MALFORMED_RESPONSE');
        expect(typeof (error as CardError).details.offset).toBe('number');
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });

  it('stays fast on long padding-like input', () => {
    // 00 00 pairs are tag-0 objects; a scan-from-every-object padding check would be quadratic here.
    const input = cat(new Uint8Array(200_000), [0x01]);
    malformed(() => parseTlvs(input));
  });
});

describe('encodeTlv', () => {
  it('round-trips tags and length forms', () => {
    for (const [tag, n] of [
      [0xdf21, 0],
      [0x04, 127],
      [0x5f37, 128],
      [0xff20, 255],
      [0x7f21, 256],
      [0x04, 70_000],
    ] as const) {
      const value = filled(n, 7);
      const encoded = encodeTlv(tag, value);
      const [tlv] = parseTlvs(encoded, { recursive: false });
      expect(tlv!.tag).toBe(tag);
      expect(tlv!.value).toEqual(value);
      expect(tlv!.size).toBe(encoded.length);
    }
    expect(encodeTlv(0x5f37, filled(256, 0)).subarray(0, 5)).toEqual(bytes(0x5f, 0x37, 0x82, 0x01, 0x00));
    expect(encodeTlv(0x04, filled(128, 0)).subarray(0, 3)).toEqual(bytes(0x04, 0x81, 0x80));
  });
});

describe('tlvTotalLength', () => {
  it('needs more bytes before it can tell', () => {
    expect(tlvTotalLength(new Uint8Array(0))).toBeNull();
    expect(tlvTotalLength(bytes(0x30))).toBeNull();
    expect(tlvTotalLength(bytes(0x30, 0x82))).toBeNull();
    expect(tlvTotalLength(bytes(0x30, 0x82, 0x06))).toBeNull();
    expect(tlvTotalLength(bytes(0xff))).toBeNull();
    expect(tlvTotalLength(bytes(0xff, 0x20, 0x82, 0x01))).toBeNull();
  });

  it('computes the full length for short and long forms and multi-byte tags', () => {
    expect(tlvTotalLength(bytes(0x30, 0x05))).toBe(2 + 5);
    expect(tlvTotalLength(bytes(0x30, 0x7f))).toBe(2 + 127);
    expect(tlvTotalLength(bytes(0x30, 0x81, 0x80))).toBe(3 + 128);
    // A typical signing certificate header: 30 82 06 2B.
    expect(tlvTotalLength(bytes(0x30, 0x82, 0x06, 0x2b, 0x30, 0x82))).toBe(4 + 0x062b);
    expect(tlvTotalLength(bytes(0x30, 0x83, 0x01, 0x00, 0x00))).toBe(5 + 65536);
    // The card's own objects: the basic four container and the My Number object.
    expect(tlvTotalLength(bytes(0xff, 0x20, 0x82, 0x01, 0x00))).toBe(5 + 256);
    expect(tlvTotalLength(bytes(0xdf, 0x10, 0x0c))).toBe(3 + 12);
    expect(tlvTotalLength(bytes(0x7f, 0x21, 0x82, 0x02, 0x33))).toBe(5 + 0x233);
  });

  it('rejects the indefinite form, over-long length fields and over-long tags', () => {
    malformed(() => tlvTotalLength(bytes(0x30, 0x80)));
    malformed(() => tlvTotalLength(bytes(0x30, 0x85, 1, 1, 1, 1, 1)));
    malformed(() => tlvTotalLength(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0x01)));
  });
});
