/** Tiny raw-APDU helpers for the testkit tests (the host-side codec lives in @mynakit/card). */

export const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Builds a short or extended command APDU. `le` is Ne (256 → 00 short, 65536 → 0000 extended). */
export function apdu(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data?: Uint8Array,
  le?: number,
  extended = false,
): Uint8Array {
  const out: number[] = [cla, ins, p1, p2];
  if (data !== undefined) {
    if (extended) out.push(0, data.length >> 8, data.length & 0xff);
    else out.push(data.length);
    out.push(...data);
  }
  if (le !== undefined) {
    if (extended) {
      if (data === undefined) out.push(0);
      out.push((le >> 8) & 0xff, le & 0xff);
    } else out.push(le & 0xff);
  }
  return Uint8Array.from(out);
}

export interface Response {
  data: Uint8Array;
  sw: number;
}

export function split(r: Uint8Array): Response {
  return { data: r.subarray(0, r.length - 2), sw: (r[r.length - 2]! << 8) | r[r.length - 1]! };
}

export interface ApduCard {
  transmit(apdu: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export const AID = {
  jpki: fromHex('D392F000260100000001'),
  text: fromHex('D3921000310001010408'),
  visual: fromHex('D3921000310001010402'),
};

/** A little driver over raw APDUs. */
export class Driver {
  constructor(private readonly card: ApduCard) {}

  async send(bytes: Uint8Array | string): Promise<Response> {
    return split(await this.card.transmit(typeof bytes === 'string' ? fromHex(bytes) : bytes));
  }

  selectAp(aid: Uint8Array): Promise<Response> {
    return this.send(apdu(0x00, 0xa4, 0x04, 0x0c, aid));
  }

  selectEf(fid: number): Promise<Response> {
    return this.send(apdu(0x00, 0xa4, 0x02, 0x0c, Uint8Array.of(fid >> 8, fid & 0xff)));
  }

  verify(pin: string | undefined, p2 = 0x80): Promise<Response> {
    return this.send(apdu(0x00, 0x20, 0x00, p2, pin === undefined ? undefined : ascii(pin)));
  }

  read(offset: number, le: number, extended = false): Promise<Response> {
    return this.send(apdu(0x00, 0xb0, offset >> 8, offset & 0xff, undefined, le, extended));
  }

  /** Reads a BER-TLV EF whole: 7-byte header first, then the rest in ≤ 256-byte short reads. */
  async readTlv(): Promise<Uint8Array> {
    const head = await this.read(0, 7);
    if (head.sw !== 0x9000) throw new Error(`read header: ${head.sw.toString(16)}`);
    const h = head.data;
    let tagLength = 1;
    if ((h[0]! & 0x1f) === 0x1f) {
      tagLength = 2;
      while (h[tagLength - 1]! & 0x80) tagLength++;
    }
    const l0 = h[tagLength]!;
    const lengthBytes = l0 & 0x80 ? 1 + (l0 & 0x7f) : 1;
    let valueLength = l0;
    if (l0 & 0x80) {
      valueLength = 0;
      for (let i = 1; i < lengthBytes; i++) valueLength = (valueLength << 8) | h[tagLength + i]!;
    }
    const total = tagLength + lengthBytes + valueLength;
    const out = new Uint8Array(total);
    let at = 0;
    while (at < total) {
      const n = Math.min(256, total - at);
      const r = await this.read(at, n);
      if (r.sw !== 0x9000 && r.sw !== 0x6282) throw new Error(`read at ${at}: ${r.sw.toString(16)}`);
      out.set(r.data.subarray(0, n), at);
      at += n;
    }
    return out;
  }

  sign(digestInfo: Uint8Array, extended = false): Promise<Response> {
    return this.send(apdu(0x80, 0x2a, 0x00, 0x80, digestInfo, extended ? 65536 : 256, extended));
  }
}

/** Splits a BER-TLV sequence into (tag hex, value) pairs, top level only. */
export function parseTlvs(bytes: Uint8Array): { tag: string; value: Uint8Array; raw: Uint8Array }[] {
  const out: { tag: string; value: Uint8Array; raw: Uint8Array }[] = [];
  let i = 0;
  while (i < bytes.length) {
    const start = i;
    let tagEnd = i + 1;
    if ((bytes[i]! & 0x1f) === 0x1f) {
      while (bytes[tagEnd]! & 0x80) tagEnd++;
      tagEnd++;
    }
    const tag = toHex(bytes.subarray(i, tagEnd));
    i = tagEnd;
    const l0 = bytes[i++]!;
    let length = l0;
    if (l0 & 0x80) {
      length = 0;
      for (let k = 0; k < (l0 & 0x7f); k++) length = (length << 8) | bytes[i++]!;
    }
    out.push({ tag, value: bytes.subarray(i, i + length), raw: bytes.subarray(start, i + length) });
    i += length;
  }
  return out;
}

export const DIGEST_INFO_PREFIX = {
  sha1: fromHex('3021300906052B0E03021A05000414'),
  sha256: fromHex('3031300D060960864801650304020105000420'),
  sha384: fromHex('3041300D060960864801650304020205000430'),
  sha512: fromHex('3051300D060960864801650304020305000440'),
} as const;
