import { describe, expect, it } from 'vitest';
import { chainCommand, commandCase, encodeCommand, needsExtended } from '../src/apdu/command.js';
import { encodeResponse, parseResponse, sw1, sw2 } from '../src/apdu/response.js';
import { describeStatus, errorForStatus, expectOk } from '../src/apdu/status-words.js';
import type { CommandApdu } from '../src/apdu/types.js';
import { CardError } from '../src/errors.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const filled = (n: number, start = 0) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const cat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

function expectCardError(fn: () => unknown, code: string): CardError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CardError);
    expect((error as CardError).code).toBe(code);
    return error as CardError;
  }
  throw new Error('expected a CardError');
}

const READ = { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00 } as const;
const SIGN = { cla: 0x80, ins: 0x2a, p1: 0x00, p2: 0x80 } as const;

describe('encodeCommand, short form', () => {
  it('case 1 is the bare header', () => {
    const select = { cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80 };
    expect(encodeCommand(select, 'short')).toEqual(bytes(0x00, 0x20, 0x00, 0x80));
    expect(encodeCommand(select, 'extended')).toEqual(bytes(0x00, 0x20, 0x00, 0x80));
    expect(commandCase(select)).toBe(1);
  });

  it('case 2 writes Le in one byte, 256 as 00', () => {
    expect(encodeCommand({ ...READ, le: 1 }, 'short')).toEqual(bytes(0, 0xb0, 0, 0, 0x01));
    expect(encodeCommand({ ...READ, le: 7 }, 'short')).toEqual(bytes(0, 0xb0, 0, 0, 0x07));
    expect(encodeCommand({ ...READ, le: 255 }, 'short')).toEqual(bytes(0, 0xb0, 0, 0, 0xff));
    expect(encodeCommand({ ...READ, le: 256 }, 'short')).toEqual(bytes(0, 0xb0, 0, 0, 0x00));
    expect(commandCase({ ...READ, le: 256 })).toBe(2);
  });

  it('case 2 rejects Le 0, 257 and non-integers', () => {
    for (const le of [0, 257, -1, 1.5, Number.NaN]) {
      expectCardError(() => encodeCommand({ ...READ, le }, 'short'), 'INVALID_INPUT');
    }
  });

  it('case 3 writes Lc and data; the JPKI SELECT', () => {
    const aid = bytes(0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01);
    expect(encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0x0c, data: aid }, 'short')).toEqual(
      cat([0x00, 0xa4, 0x04, 0x0c, 0x0a], aid),
    );
    const one = encodeCommand({ ...SIGN, data: bytes(0xaa) }, 'short');
    expect(one).toEqual(bytes(0x80, 0x2a, 0x00, 0x80, 0x01, 0xaa));
    const full = filled(255);
    expect(encodeCommand({ ...SIGN, data: full }, 'short')).toEqual(
      cat([0x80, 0x2a, 0x00, 0x80, 0xff], full),
    );
    expect(commandCase({ ...SIGN, data: full })).toBe(3);
  });

  it('case 3 rejects 256 bytes of data in short form', () => {
    const error = expectCardError(
      () => encodeCommand({ ...SIGN, data: filled(256) }, 'short'),
      'INVALID_INPUT',
    );
    expect(error.details.length).toBe(256);
  });

  it('case 4 writes Lc, data, Le', () => {
    const digestInfo = filled(51);
    expect(encodeCommand({ ...SIGN, data: digestInfo, le: 256 }, 'short')).toEqual(
      cat([0x80, 0x2a, 0x00, 0x80, 51], digestInfo, [0x00]),
    );
    expect(encodeCommand({ ...SIGN, data: bytes(1, 2), le: 255 }, 'short')).toEqual(
      bytes(0x80, 0x2a, 0x00, 0x80, 0x02, 1, 2, 0xff),
    );
    expect(commandCase({ ...SIGN, data: digestInfo, le: 256 })).toBe(4);
  });

  it('treats empty data as no data', () => {
    expect(encodeCommand({ ...READ, data: new Uint8Array(0), le: 5 }, 'short')).toEqual(
      bytes(0, 0xb0, 0, 0, 5),
    );
    expect(commandCase({ ...READ, data: new Uint8Array(0) })).toBe(1);
  });

  it('checks header bytes', () => {
    for (const bad of [{ cla: 256 }, { ins: -1 }, { p1: 1.5 }, { p2: 0x100 }]) {
      expectCardError(() => encodeCommand({ ...READ, ...bad }, 'short'), 'INVALID_INPUT');
    }
  });
});

describe('encodeCommand, extended form', () => {
  it('case 2E writes Le as 00 HH LL, 65536 as 00 00 00', () => {
    expect(encodeCommand({ ...READ, le: 1 }, 'extended')).toEqual(bytes(0, 0xb0, 0, 0, 0, 0x00, 0x01));
    expect(encodeCommand({ ...READ, le: 256 }, 'extended')).toEqual(bytes(0, 0xb0, 0, 0, 0, 0x01, 0x00));
    expect(encodeCommand({ ...READ, le: 257 }, 'extended')).toEqual(bytes(0, 0xb0, 0, 0, 0, 0x01, 0x01));
    expect(encodeCommand({ ...READ, le: 65535 }, 'extended')).toEqual(bytes(0, 0xb0, 0, 0, 0, 0xff, 0xff));
    expect(encodeCommand({ ...READ, le: 65536 }, 'extended')).toEqual(bytes(0, 0xb0, 0, 0, 0, 0x00, 0x00));
  });

  it('rejects Le 65537 and 0', () => {
    expectCardError(() => encodeCommand({ ...READ, le: 65537 }, 'extended'), 'INVALID_INPUT');
    expectCardError(() => encodeCommand({ ...READ, le: 0 }, 'extended'), 'INVALID_INPUT');
  });

  it('case 3E writes Lc as 00 HH LL', () => {
    const d256 = filled(256);
    expect(encodeCommand({ ...SIGN, data: d256 }, 'extended')).toEqual(
      cat([0x80, 0x2a, 0x00, 0x80, 0x00, 0x01, 0x00], d256),
    );
    const d1 = bytes(0x42);
    expect(encodeCommand({ ...SIGN, data: d1 }, 'extended')).toEqual(
      bytes(0x80, 0x2a, 0x00, 0x80, 0, 0, 1, 0x42),
    );
    const max = filled(65535);
    const encoded = encodeCommand({ ...SIGN, data: max }, 'extended');
    expect(encoded.length).toBe(4 + 3 + 65535);
    expect([...encoded.subarray(4, 7)]).toEqual([0x00, 0xff, 0xff]);
    expect(encoded.subarray(7)).toEqual(max);
  });

  it('rejects 65536 bytes of data', () => {
    expectCardError(() => encodeCommand({ ...SIGN, data: filled(65536) }, 'extended'), 'INVALID_INPUT');
  });

  it('case 4E writes Le as two bytes after the data', () => {
    const d300 = filled(300, 7);
    expect(encodeCommand({ ...SIGN, data: d300, le: 256 }, 'extended')).toEqual(
      cat([0x80, 0x2a, 0x00, 0x80, 0x00, 0x01, 0x2c], d300, [0x01, 0x00]),
    );
    expect(encodeCommand({ ...SIGN, data: d300, le: 65536 }, 'extended')).toEqual(
      cat([0x80, 0x2a, 0x00, 0x80, 0x00, 0x01, 0x2c], d300, [0x00, 0x00]),
    );
    expect(encodeCommand({ ...SIGN, data: bytes(9), le: 65535 }, 'extended')).toEqual(
      bytes(0x80, 0x2a, 0x00, 0x80, 0x00, 0x00, 0x01, 9, 0xff, 0xff),
    );
  });
});

describe('needsExtended', () => {
  it('draws the line at 255 data bytes and Le 256', () => {
    expect(needsExtended({ ...READ })).toBe(false);
    expect(needsExtended({ ...READ, le: 256 })).toBe(false);
    expect(needsExtended({ ...READ, le: 257 })).toBe(true);
    expect(needsExtended({ ...READ, le: 65536 })).toBe(true);
    expect(needsExtended({ ...SIGN, data: filled(255) })).toBe(false);
    expect(needsExtended({ ...SIGN, data: filled(256) })).toBe(true);
    expect(needsExtended({ ...SIGN, data: filled(255), le: 256 })).toBe(false);
  });
});

describe('chainCommand', () => {
  it('returns a short command unchanged', () => {
    const command: CommandApdu = { ...SIGN, data: filled(255), le: 256 };
    expect(chainCommand(command)).toEqual([command]);
    expect(chainCommand({ ...READ, le: 10 })).toEqual([{ ...READ, le: 10 }]);
  });

  it('splits data into blocks with CLA 0x10 on all but the last, Le only on the last', () => {
    const data = filled(600);
    const blocks = chainCommand({ ...SIGN, data, le: 256 });
    expect(blocks.map((b) => b.data?.length)).toEqual([255, 255, 90]);
    expect(blocks.map((b) => b.cla)).toEqual([0x90, 0x90, 0x80]);
    expect(blocks.map((b) => b.le)).toEqual([undefined, undefined, 256]);
    expect(blocks.map((b) => 'le' in b)).toEqual([false, false, true]);
    expect(cat(...blocks.map((b) => b.data!))).toEqual(data);
    for (const block of blocks) expect(encodeCommand(block, 'short').length).toBeLessThanOrEqual(5 + 255 + 1);
  });

  it('handles an exact multiple and a custom block size', () => {
    const blocks = chainCommand({ cla: 0x00, ins: 0xda, p1: 0, p2: 0, data: filled(510) });
    expect(blocks.map((b) => [b.cla, b.data?.length])).toEqual([
      [0x10, 255],
      [0x00, 255],
    ]);
    const small = chainCommand({ ...SIGN, data: filled(10) }, 4);
    expect(small.map((b) => b.data?.length)).toEqual([4, 4, 2]);
    expectCardError(() => chainCommand({ ...SIGN, data: filled(10) }, 0), 'INVALID_INPUT');
  });
});

describe('parseResponse', () => {
  it('splits data and status word', () => {
    const response = parseResponse(bytes(1, 2, 3, 0x90, 0x00));
    expect(response.data).toEqual(bytes(1, 2, 3));
    expect(response.sw).toBe(0x9000);
    expect(parseResponse(bytes(0x63, 0xc2))).toEqual({ data: new Uint8Array(0), sw: 0x63c2 });
    expect(sw1(0x63c2)).toBe(0x63);
    expect(sw2(0x63c2)).toBe(0xc2);
  });

  it('copies the data', () => {
    const raw = bytes(7, 0x90, 0x00);
    const response = parseResponse(raw);
    raw[0] = 8;
    expect(response.data[0]).toBe(7);
  });

  it('rejects fewer than 2 bytes', () => {
    expectCardError(() => parseResponse(new Uint8Array(0)), 'MALFORMED_RESPONSE');
    expectCardError(() => parseResponse(bytes(0x90)), 'MALFORMED_RESPONSE');
  });

  it('round-trips with encodeResponse', () => {
    expect(parseResponse(encodeResponse(bytes(9, 8), 0x6282))).toEqual({ data: bytes(9, 8), sw: 0x6282 });
  });
});

describe('status words', () => {
  it('maps 63Cx to WRONG_PIN with the tries left, 63C0 to PIN_BLOCKED', () => {
    const wrong = errorForStatus(0x63c2, 'VERIFY auth PIN');
    expect(wrong.code).toBe('WRONG_PIN');
    expect(wrong.details.triesLeft).toBe(2);
    expect(wrong.sw).toBe(0x63c2);
    expect(wrong.message).toContain('VERIFY auth PIN');
    expect(wrong.message).toContain('63C2');
    expect(errorForStatus(0x63c1, 'x').details.triesLeft).toBe(1);
    const blocked = errorForStatus(0x63c0, 'VERIFY');
    expect(blocked.code).toBe('PIN_BLOCKED');
    expect(blocked.sw).toBe(0x63c0);
  });

  it('maps the other documented words', () => {
    const cases: [number, string][] = [
      [0x6983, 'PIN_BLOCKED'],
      [0x6984, 'PIN_BLOCKED'],
      [0x6982, 'SECURITY_STATUS_NOT_SATISFIED'],
      [0x6a82, 'FILE_NOT_FOUND'],
      [0x6700, 'WRONG_LENGTH'],
      [0x6a86, 'UNEXPECTED_STATUS'],
      [0x6b00, 'UNEXPECTED_STATUS'],
      [0x6d00, 'UNEXPECTED_STATUS'],
      [0x1234, 'UNEXPECTED_STATUS'],
    ];
    for (const [sw, code] of cases) {
      const error = errorForStatus(sw, 'ctx');
      expect(error).toBeInstanceOf(CardError);
      expect(error.code).toBe(code);
      expect(error.sw).toBe(sw);
      expect(CardError.fromJSON(JSON.parse(JSON.stringify(error))).sw).toBe(sw);
    }
  });

  it('describes words in English', () => {
    expect(describeStatus(0x9000)).toBe('OK');
    expect(describeStatus(0x63c3)).toBe('wrong PIN, 3 tries left');
    expect(describeStatus(0x63c1)).toBe('wrong PIN, 1 try left');
    expect(describeStatus(0x6a82)).toMatch(/not found/);
    expect(describeStatus(0x6e00)).toMatch(/class/);
    expect(describeStatus(0x6123)).toMatch(/GET RESPONSE/);
    expect(describeStatus(0x1234)).toBe('unknown status');
  });

  it('expectOk returns data on 9000 and throws otherwise', () => {
    expect(expectOk({ data: bytes(1), sw: 0x9000 }, 'READ')).toEqual(bytes(1));
    expect(() => expectOk({ data: bytes(), sw: 0x6982 }, 'READ')).toThrow(
      expect.objectContaining({ code: 'SECURITY_STATUS_NOT_SATISFIED', sw: 0x6982 }),
    );
    expect(() => expectOk({ data: bytes(1), sw: 0x6282 }, 'READ')).toThrow(
      expect.objectContaining({ code: 'UNEXPECTED_STATUS' }),
    );
  });
});
