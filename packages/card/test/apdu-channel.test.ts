import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApduChannel, type ApduChannelOptions } from '../src/apdu/channel.js';
import type { CommandApdu } from '../src/apdu/types.js';
import { CardError } from '../src/errors.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const filled = (n: number, start = 0) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const cat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const reply = (data: Uint8Array | number[], sw: number) => cat(data, [sw >> 8, sw & 0xff]);

type Handler = (apdu: Uint8Array, index: number) => Uint8Array | Promise<Uint8Array>;

/** A scripted card: records every raw APDU and answers through `handler`. */
function fakeCard(handler: Handler) {
  const sent: Uint8Array[] = [];
  const connection = {
    transmit: (apdu: Uint8Array) => {
      sent.push(apdu.slice());
      return Promise.resolve(handler(apdu, sent.length - 1));
    },
  };
  return { sent, connection, hexes: () => sent.map(hex) };
}

/** Answers in order from a list; fails the test on an extra APDU. */
function scripted(...answers: Uint8Array[]) {
  return fakeCard((_, i) => {
    const answer = answers[i];
    if (!answer) throw new Error(`unexpected APDU #${i}`);
    return answer;
  });
}

/** True for APDUs in extended form (our test commands never have a short Lc of 0). */
const isExtended = (apdu: Uint8Array) => apdu.length > 5 && apdu[4] === 0;

function channel(connection: ConstructorParameters<typeof ApduChannel>[0], options?: ApduChannelOptions) {
  return new ApduChannel(connection, options);
}

async function rejection(promise: Promise<unknown>): Promise<CardError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CardError);
    return error as CardError;
  }
  throw new Error('expected a rejection');
}

const READ = { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00 } as const;
const SIGN = { cla: 0x80, ins: 0x2a, p1: 0x00, p2: 0x80 } as const;

afterEach(() => {
  vi.useRealTimers();
});

describe('ApduChannel basics', () => {
  it('sends a short command and returns data and SW', async () => {
    const card = scripted(reply([1, 2, 3], 0x9000));
    const ch = channel(card.connection);
    const response = await ch.transmit({ ...READ, le: 3 });
    expect(response).toEqual({ data: bytes(1, 2, 3), sw: 0x9000 });
    expect(card.hexes()).toEqual(['00B0000003']);
    expect(ch.stats.apdus).toBe(1);
    expect(ch.extendedLengthSupported).toBeNull();
  });

  it('returns non-9000 answers as responses (the caller decides)', async () => {
    const card = scripted(reply([], 0x63c2));
    const response = await channel(card.connection).transmit({ cla: 0, ins: 0x20, p1: 0, p2: 0x80 });
    expect(response.sw).toBe(0x63c2);
    expect(response.data.length).toBe(0);
  });

  it('rejects an invalid command without sending anything', async () => {
    const card = scripted();
    const error = await rejection(channel(card.connection).transmit({ ...READ, le: 0 }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(card.sent).toHaveLength(0);
  });

  it('rejects bad options', () => {
    const { connection } = scripted();
    expect(() => channel(connection, { timeoutMs: 0 })).toThrow(CardError);
    expect(() => channel(connection, { maxGetResponse: -1 })).toThrow(CardError);
    expect(() => channel(connection, { extendedLength: 'maybe' as 'on' })).toThrow(CardError);
  });
});

describe('61xx GET RESPONSE', () => {
  it('loops GET RESPONSE and concatenates the data', async () => {
    const card = scripted(
      reply([0xa1, 0xa2], 0x6110),
      reply(filled(16, 0x10), 0x6100),
      reply(filled(256, 0x40), 0x6103),
      reply([0xc1, 0xc2, 0xc3], 0x9000),
    );
    const ch = channel(card.connection);
    const response = await ch.transmit({ ...SIGN, data: filled(51), le: 256 });
    expect(response.sw).toBe(0x9000);
    expect(response.data).toEqual(cat([0xa1, 0xa2], filled(16, 0x10), filled(256, 0x40), [0xc1, 0xc2, 0xc3]));
    expect(card.hexes().slice(1)).toEqual(['00C0000010', '00C0000000', '00C0000003']);
    expect(ch.stats.apdus).toBe(4);
  });

  it('keeps the final status word of the chain', async () => {
    const card = scripted(reply([], 0x6102), reply([1, 2], 0x6282));
    const response = await channel(card.connection).transmit({ ...READ, le: 256 });
    expect(response).toEqual({ data: bytes(1, 2), sw: 0x6282 });
  });

  it('stops at the cap with MALFORMED_RESPONSE', async () => {
    const card = fakeCard(() => reply([0xee], 0x6101));
    const ch = channel(card.connection, { maxGetResponse: 3 });
    const error = await rejection(ch.transmit({ ...READ, le: 1 }));
    expect(error.code).toBe('MALFORMED_RESPONSE');
    expect(card.sent).toHaveLength(1 + 3);
  });

  it('has a default cap of 64 rounds', async () => {
    const card = fakeCard(() => reply([], 0x6100));
    const error = await rejection(channel(card.connection).transmit({ ...READ, le: 1 }));
    expect(error.code).toBe('MALFORMED_RESPONSE');
    expect(card.sent).toHaveLength(1 + 64);
  });
});

describe('6Cxx Le correction', () => {
  it('re-sends once with the Le the card asks for', async () => {
    const card = scripted(reply([], 0x6c03), reply([1, 2, 3], 0x9000));
    const response = await channel(card.connection).transmit({ ...READ, le: 5 });
    expect(response).toEqual({ data: bytes(1, 2, 3), sw: 0x9000 });
    expect(card.hexes()).toEqual(['00B0000005', '00B0000003']);
  });

  it('reads 6C00 as Le 256', async () => {
    const card = scripted(reply([], 0x6c00), reply(filled(256), 0x9000));
    const response = await channel(card.connection).transmit({ ...READ, le: 1 });
    expect(response.data.length).toBe(256);
    expect(card.hexes()[1]).toBe('00B0000000');
  });

  it('resolves 61xx after a 6Cxx resend', async () => {
    const card = scripted(reply([], 0x6c02), reply([9], 0x6101), reply([8], 0x9000));
    const response = await channel(card.connection).transmit({ ...READ, le: 5 });
    expect(response).toEqual({ data: bytes(9, 8), sw: 0x9000 });
    expect(card.hexes()).toEqual(['00B0000005', '00B0000002', '00C0000001']);
  });

  it('fails on a second 6Cxx', async () => {
    const card = scripted(reply([], 0x6c03), reply([], 0x6c04));
    const error = await rejection(channel(card.connection).transmit({ ...READ, le: 5 }));
    expect(error.code).toBe('MALFORMED_RESPONSE');
    expect(card.sent).toHaveLength(2);
  });
});

describe('extended length', () => {
  it('sends extended when needed and the card takes it', async () => {
    const cert = filled(1583);
    const card = fakeCard((apdu) => (isExtended(apdu) ? reply(cert, 0x9000) : reply([], 0x6700)));
    const ch = channel(card.connection);
    const response = await ch.transmit({ ...READ, le: 65536 });
    expect(response.data).toEqual(cert);
    expect(card.hexes()).toEqual(['00B00000000000']);
    expect(ch.extendedLengthSupported).toBe(true);
  });

  it('sends short when the command fits, even in "on" mode', async () => {
    const card = scripted(reply([], 0x9000));
    const ch = channel(card.connection, { extendedLength: 'on' });
    await ch.transmit({ ...READ, le: 256 });
    expect(card.hexes()).toEqual(['00B0000000']);
    expect(ch.extendedLengthSupported).toBeNull();
  });

  it('sends case 4E for long data', async () => {
    const card = fakeCard((apdu) => (isExtended(apdu) ? reply(filled(256), 0x9000) : reply([], 0x6700)));
    const data = filled(300);
    const response = await channel(card.connection).transmit({ ...SIGN, data, le: 256 });
    expect(response.data.length).toBe(256);
    expect(card.sent).toHaveLength(1);
    expect(card.sent[0]).toEqual(cat([0x80, 0x2a, 0x00, 0x80, 0x00, 0x01, 0x2c], data, [0x01, 0x00]));
  });

  for (const refusal of [0x6700, 0x6d00, 0x6e00]) {
    it(`falls back to short form on ${refusal.toString(16)} and remembers it`, async () => {
      const card = fakeCard((apdu) =>
        isExtended(apdu) ? reply([], refusal) : reply(filled(apdu[4] || 256), 0x9000),
      );
      const ch = channel(card.connection);
      const first = await ch.transmit({ ...READ, le: 65536 });
      // Le > 256 becomes 256: the caller gets fewer bytes and reads on.
      expect(first.sw).toBe(0x9000);
      expect(first.data.length).toBe(256);
      expect(card.hexes()).toEqual(['00B00000000000', '00B0000000']);
      expect(ch.extendedLengthSupported).toBe(false);
      // Known unsupported: the next long command goes straight to short form.
      await ch.transmit({ ...READ, p1: 0x01, le: 1000 });
      expect(card.hexes().slice(2)).toEqual(['00B0010000']);
      expect(ch.stats.apdus).toBe(3);
    });
  }

  it('falls back when the reader fails the extended APDU', async () => {
    const card = fakeCard((apdu) => {
      if (isExtended(apdu)) throw new Error('SCardTransmit error: Transaction failed.(0x80100016)');
      return reply(filled(256), 0x9000);
    });
    const ch = channel(card.connection);
    const response = await ch.transmit({ ...READ, le: 2048 });
    expect(response.data.length).toBe(256);
    expect(ch.extendedLengthSupported).toBe(false);
  });

  for (const code of ['CARD_REMOVED', 'TIMEOUT'] as const) {
    it(`does not fall back on ${code}`, async () => {
      const card = fakeCard(() => {
        throw new CardError(code, 'gone');
      });
      const ch = channel(card.connection);
      const error = await rejection(ch.transmit({ ...READ, le: 2048 }));
      expect(error.code).toBe(code);
      expect(card.sent).toHaveLength(1);
      expect(ch.extendedLengthSupported).toBeNull();
    });
  }

  it('chains long data after a fallback', async () => {
    const card = fakeCard((apdu) => {
      if (isExtended(apdu)) return reply([], 0x6700);
      return apdu[0] === 0x90 ? reply([], 0x9000) : reply(filled(256, 3), 0x9000);
    });
    const ch = channel(card.connection);
    const data = filled(300);
    const response = await ch.transmit({ ...SIGN, data, le: 256 });
    expect(response.data).toEqual(filled(256, 3));
    expect(card.sent).toHaveLength(3);
    expect(card.sent[1]).toEqual(cat([0x90, 0x2a, 0x00, 0x80, 0xff], data.subarray(0, 255)));
    expect(card.sent[2]).toEqual(cat([0x80, 0x2a, 0x00, 0x80, 45], data.subarray(255), [0x00]));
  });

  it("'on' mode never falls back: a refusal is returned as the answer", async () => {
    const card = fakeCard(() => reply([], 0x6700));
    const ch = channel(card.connection, { extendedLength: 'on' });
    const response = await ch.transmit({ ...READ, le: 2048 });
    expect(response.sw).toBe(0x6700);
    expect(card.hexes()).toEqual(['00B00000000800']);
    expect(ch.extendedLengthSupported).toBeNull();
  });

  it('takes 6700 at face value once extended length is known to work', async () => {
    const card = fakeCard((_, i) => (i === 0 ? reply(filled(300), 0x9000) : reply([], 0x6700)));
    const ch = channel(card.connection);
    await ch.transmit({ ...READ, le: 300 });
    expect(ch.extendedLengthSupported).toBe(true);
    const response = await ch.transmit({ ...SIGN, data: filled(400), le: 256 });
    expect(response.sw).toBe(0x6700);
    expect(card.sent).toHaveLength(2);
    expect(ch.extendedLengthSupported).toBe(true);
  });

  it("'off' mode never sends extended APDUs and chains long data", async () => {
    const card = fakeCard((apdu) => {
      expect(isExtended(apdu)).toBe(false);
      return (apdu[0]! & 0x10) !== 0 ? reply([], 0x9000) : reply(filled(256), 0x9000);
    });
    const ch = channel(card.connection, { extendedLength: 'off' });
    const data = filled(600, 1);
    const response = await ch.transmit({ ...SIGN, data, le: 256 });
    expect(response.data.length).toBe(256);
    expect(card.sent.map((a) => [a[0], a[4]])).toEqual([
      [0x90, 255],
      [0x90, 255],
      [0x80, 90],
    ]);
    expect(cat(...card.sent.map((a) => a.subarray(5, 5 + a[4]!)))).toEqual(data);
    expect(card.sent[2]!.at(-1)).toBe(0x00);
    await ch.transmit({ ...READ, le: 65536 });
    expect(card.hexes().at(-1)).toBe('00B0000000');
    expect(ch.extendedLengthSupported).toBeNull();
  });

  it('ends a chain when the card refuses a block', async () => {
    const card = scripted(reply([], 0x6e00));
    const response = await channel(card.connection, { extendedLength: 'off' }).transmit({
      ...SIGN,
      data: filled(600),
    });
    expect(response.sw).toBe(0x6e00);
    expect(card.sent).toHaveLength(1);
  });
});

describe('odd responses and transport errors', () => {
  for (const raw of [new Uint8Array(0), bytes(0x90)]) {
    it(`rejects a ${raw.length}-byte response with MALFORMED_RESPONSE`, async () => {
      const card = scripted(raw);
      const error = await rejection(channel(card.connection).transmit({ ...READ, le: 1 }));
      expect(error.code).toBe('MALFORMED_RESPONSE');
    });
  }

  it('rejects a non-bytes answer with MALFORMED_RESPONSE', async () => {
    const card = fakeCard(() => undefined as unknown as Uint8Array);
    const error = await rejection(channel(card.connection).transmit({ ...READ, le: 1 }));
    expect(error.code).toBe('MALFORMED_RESPONSE');
  });

  it('accepts more data than Le asked for without crashing', async () => {
    const card = scripted(reply(filled(10), 0x9000));
    const response = await channel(card.connection).transmit({ ...READ, le: 2 });
    expect(response.data.length).toBe(10);
  });

  it('accepts a Buffer from the transport and returns a plain copy', async () => {
    const card = scripted(Buffer.from([1, 2, 0x90, 0x00]));
    const response = await channel(card.connection).transmit({ ...READ, le: 2 });
    expect(Buffer.isBuffer(response.data)).toBe(false);
    expect(response.data).toEqual(bytes(1, 2));
  });

  it('survives random answers: resolves or rejects with a CardError, never hangs', async () => {
    let seed = 0x2468ace;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const randomBytes = () =>
      Uint8Array.from({ length: Math.floor(random() * 12) }, () => Math.floor(random() * 256));
    const shapes = [0x61, 0x6c, 0x90, 0x67, 0x6e];
    for (let round = 0; round < 300; round++) {
      const card = fakeCard(() => {
        const answer = randomBytes();
        // Bias the status byte towards the ones the channel acts on.
        if (answer.length >= 2 && random() < 0.6)
          answer[answer.length - 2] = shapes[Math.floor(random() * 5)]!;
        return answer;
      });
      const mode = (['auto', 'on', 'off'] as const)[round % 3];
      const ch = channel(card.connection, { extendedLength: mode, maxGetResponse: 8 });
      const command: CommandApdu =
        round % 2 ? { ...READ, le: 1 + (round % 700) } : { ...SIGN, data: filled(round) };
      try {
        const response = await ch.transmit(command);
        expect(response.sw).toBeGreaterThanOrEqual(0);
        expect(response.sw >> 8).not.toBe(0x61);
      } catch (error) {
        expect(error).toBeInstanceOf(CardError);
        expect(['MALFORMED_RESPONSE', 'PCSC_ERROR']).toContain((error as CardError).code);
      }
      expect(card.sent.length).toBeLessThan(30);
    }
  });

  it('passes CardErrors from the transport through unchanged', async () => {
    const removed = new CardError('CARD_REMOVED', 'card removed');
    const card = fakeCard(() => Promise.reject(removed));
    const error = await rejection(channel(card.connection).transmit({ ...READ, le: 1 }));
    expect(error).toBe(removed);
  });

  it('wraps other errors as PCSC_ERROR with the cause and SCARD code', async () => {
    const cause = new Error('SCardTransmit error: Transaction failed.(0x80100016)');
    const card = fakeCard(() => {
      throw cause;
    });
    const error = await rejection(channel(card.connection).transmit({ ...READ, le: 1 }));
    expect(error.code).toBe('PCSC_ERROR');
    expect(error.cause).toBe(cause);
    expect(error.scardCode).toBe(0x80100016);
  });

  it('wraps "closed" errors as TRANSPORT_CLOSED, also synchronous throws', async () => {
    const connection = {
      transmit: (): Promise<Uint8Array> => {
        throw new Error('Transport closed');
      },
    };
    const error = await rejection(channel(connection).transmit({ ...READ, le: 1 }));
    expect(error.code).toBe('TRANSPORT_CLOSED');
  });

  it('wraps non-Error rejections', async () => {
    const card = fakeCard(() => Promise.reject('boom'));
    const error = await rejection(channel(card.connection).transmit({ ...READ, le: 1 }));
    expect(error.code).toBe('PCSC_ERROR');
  });
});

describe('timeout', () => {
  it('rejects with TIMEOUT when the transport never answers, then carries on', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const connection = {
      transmit: () => {
        calls++;
        return calls === 1 ? new Promise<Uint8Array>(() => {}) : Promise.resolve(reply([7], 0x9000));
      },
    };
    const ch = channel(connection, { timeoutMs: 50 });
    const hung = ch.transmit({ ...READ, le: 1 });
    const next = ch.transmit({ ...READ, le: 1 });
    const hungError = rejection(hung);
    await vi.advanceTimersByTimeAsync(60);
    const error = await hungError;
    expect(error.code).toBe('TIMEOUT');
    expect(await next).toEqual({ data: bytes(7), sw: 0x9000 });
  });

  it('does not time out an answer that comes in time', async () => {
    vi.useFakeTimers();
    const connection = {
      transmit: () => new Promise<Uint8Array>((resolve) => setTimeout(() => resolve(reply([], 0x9000)), 40)),
    };
    const pending = channel(connection, { timeoutMs: 50 }).transmit({ ...READ, le: 1 });
    await vi.advanceTimersByTimeAsync(45);
    expect((await pending).sw).toBe(0x9000);
  });

  it('ignores a late failure after the timeout (no unhandled rejection)', async () => {
    vi.useFakeTimers();
    const connection = {
      transmit: () =>
        new Promise<Uint8Array>((_, reject) => setTimeout(() => reject(new Error('late')), 100)),
    };
    const pending = rejection(channel(connection, { timeoutMs: 10 }).transmit({ ...READ, le: 1 }));
    await vi.advanceTimersByTimeAsync(200);
    expect((await pending).code).toBe('TIMEOUT');
  });
});

describe('serial queue', () => {
  it('keeps one command in flight and answers in order, even without awaiting', async () => {
    const pending: { apdu: Uint8Array; resolve: (raw: Uint8Array) => void }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const connection = {
      transmit: (apdu: Uint8Array) =>
        new Promise<Uint8Array>((resolve) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          pending.push({
            apdu,
            resolve: (raw) => {
              inFlight--;
              resolve(raw);
            },
          });
        }),
    };
    const ch = channel(connection);
    const results: number[] = [];
    const a = ch.transmit({ ...READ, p1: 1, le: 1 }).then((r) => results.push(r.data[0]!));
    const b = ch.transmit({ ...READ, p1: 2, le: 1 }).then((r) => results.push(r.data[0]!));
    const c = ch.transmit({ ...READ, p1: 3, le: 1 }).then((r) => results.push(r.data[0]!));
    const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
    for (let i = 0; i < 3; i++) {
      await flush();
      // Only the head of the queue has reached the transport.
      expect(pending.length).toBe(1);
      const head = pending.shift()!;
      // The first command needs a GET RESPONSE: the whole logical command completes before the next starts.
      if (head.apdu[2] === 1 && head.apdu[1] === 0xb0) {
        head.resolve(reply([], 0x6101));
        await flush();
        expect(pending.length).toBe(1);
        expect(hex(pending[0]!.apdu)).toBe('00C0000001');
        pending.shift()!.resolve(reply([10], 0x9000));
      } else {
        head.resolve(reply([head.apdu[2]! * 10], 0x9000));
      }
    }
    await Promise.all([a, b, c]);
    expect(results).toEqual([10, 20, 30]);
    expect(maxInFlight).toBe(1);
  });

  it('a failed command does not block the queue', async () => {
    const card = fakeCard((_, i) => (i === 0 ? bytes() : reply([1], 0x9000)));
    const ch = channel(card.connection);
    const first = ch.transmit({ ...READ, le: 1 });
    const second = ch.transmit({ ...READ, le: 1 });
    expect((await rejection(first)).code).toBe('MALFORMED_RESPONSE');
    expect((await second).sw).toBe(0x9000);
  });
});
