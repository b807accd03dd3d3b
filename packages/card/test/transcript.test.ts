import { describe, expect, it } from 'vitest';
import { CardError } from '../src/errors.js';
import {
  type CardConnection,
  MemoryTransport,
  parseTranscript,
  RecordingTransport,
  ReplayTransport,
} from '../src/transport/index.js';
import { EchoCard, TEST_AID } from './fixtures/echo-card.js';

const h = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();

async function failure(promise: Promise<unknown>): Promise<CardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CardError);
  return error as CardError;
}

/** A host session against the echo card; returns every response as hex. */
const JPKI_AID = h('D392F000260100000001');

async function session(connection: CardConnection, pin: string, nonce: number): Promise<string[]> {
  const commands = [
    Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, TEST_AID.length, ...TEST_AID),
    Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, JPKI_AID.length, ...JPKI_AID),
    h('00A4020C020002'), // the signing CA certificate: not personal, stays visible
    h(`0020008004${Buffer.from(pin).toString('hex')}`),
    Uint8Array.of(0x80, 0xca, 0x00, 0x00, 0x02, 0x0a, 0x0b),
    Uint8Array.of(0x80, 0xb0, 0x00, 0x00, 0x00, 0x01, 0x2c),
    Uint8Array.of(0x80, 0xca, 0x00, 0x00, 0x01, nonce),
  ];
  const out: string[] = [];
  for (const command of commands) out.push(hex(await connection.transmit(command)));
  return out;
}

describe('recording and replaying transcripts', () => {
  it('records a readable, redacted transcript that replays to the same answers', async () => {
    const memory = new MemoryTransport();
    memory.insert('Test Reader', new EchoCard([TEST_AID, JPKI_AID]));
    const lines: string[] = [];
    const recording = new RecordingTransport(memory, { onLine: (line) => lines.push(line) });
    const connection = await recording.open('Test Reader');
    const live = await session(connection, '1357', 0x42);
    const transcript = connection.transcript();

    expect(transcript.split('\n').slice(0, 3)).toEqual([
      '# mynakit transcript v1',
      '# reader: Test Reader',
      '# atr: 3BE000FF8131FE4514',
    ]);
    expect(transcript).toContain(`=> 00A4040C08${hex(TEST_AID)}\n<= 9000`);
    expect(transcript).toContain('=> 00200080 [redacted pin]\n');
    expect(transcript).not.toContain('31333537');
    expect(transcript).toContain('=> 80CA0000020A0B\n<= 0A0B 9000');
    expect(transcript).toContain('=> 80B0000000012C\n<= 000102');
    expect(lines.join('\n')).toBe(transcript.trimEnd());
    expect(recording.transcripts()).toEqual([transcript]);

    const replay = new ReplayTransport(transcript);
    expect(await replay.list()).toEqual([
      { name: 'Test Reader', cardPresent: true, atr: new EchoCard().atr },
    ]);
    const replayed = await replay.open();
    // A different PIN matches the redacted VERIFY line (any VERIFY to the same reference).
    expect(await session(replayed, '9876', 0x42)).toEqual(live);
    expect(replay.remaining).toBe(0);
    replay.assertComplete();
  });

  it('fails with REPLAY_MISMATCH naming the line, without showing VERIFY data', async () => {
    const replay = new ReplayTransport(
      [
        '# mynakit transcript v1',
        '=> 00A4020C020018',
        '<= 9000',
        '',
        '=> 00200080 [redacted pin]',
        '<= 9000',
      ].join('\n'),
    );
    const connection = await replay.open();
    const wrongSelect = await failure(connection.transmit(h('00A4020C02001B')));
    expect(wrongSelect.code).toBe('REPLAY_MISMATCH');
    expect(wrongSelect.details).toMatchObject({
      line: 2,
      expected: '00A4020C020018',
      actual: '00A4020C02001B',
    });

    await connection.transmit(h('00A4020C020018'));
    // The retry query (no data) is not the redacted VERIFY, and the error must not echo a PIN.
    const verifyWithoutData = await failure(connection.transmit(h('00200080')));
    expect(verifyWithoutData.details).toMatchObject({ line: 5, actual: '00200080' });
    const wrongReference = await failure(connection.transmit(h('002000810431323334')));
    expect(wrongReference.details).toMatchObject({ line: 5, actual: '00200081 [redacted pin]' });
    expect(JSON.stringify(wrongReference.toJSON())).not.toContain('31323334');

    await connection.transmit(h('002000800431323334'));
    const tooMany = await failure(connection.transmit(h('00A4020C020018')));
    expect(tooMany.code).toBe('REPLAY_MISMATCH');
    expect(tooMany.message).toMatch(/no more exchanges/);
  });

  it('does not echo a raw PIN written into a hand-made transcript', async () => {
    const replay = new ReplayTransport('=> 002000800431323334\n<= 9000\n');
    const connection = await replay.open();
    const error = await failure(connection.transmit(h('002000800439393939')));
    expect(error.details.expected).toBe('00200080 [redacted pin]');
    expect(JSON.stringify(error.toJSON())).not.toContain('3132');
    expect(JSON.stringify(error.toJSON())).not.toContain('3939');
  });

  it('says so when a needed response was redacted', async () => {
    const replay = new ReplayTransport(
      [
        '=> 00A4040C0AD3921000310001010408',
        '<= 9000',
        '=> 00A4020C020001',
        '<= 9000',
        '# a comment between command and response',
        '=> 00B0000011',
        '',
        '<= [redacted personal data] 9000',
      ].join('\n'),
    );
    const connection = await replay.open();
    await connection.transmit(h('00A4040C0AD3921000310001010408'));
    await connection.transmit(h('00A4020C020001'));
    const error = await failure(connection.transmit(h('00B0000011')));
    expect(error.code).toBe('REPLAY_MISMATCH');
    expect(error.message).toMatch(/response was redacted/);
    expect(error.details.line).toBe(8);
  });

  it('matches `..` bytes and a trailing `*`, and replays responses literally', async () => {
    const replay = new ReplayTransport(
      ['=> 80 CA 00 00 02 .. 0B', '<= 0102 9000', '=> 802A0080*', '<= AABB9000'].join('\n'),
    );
    const connection = await replay.open();
    expect(hex(await connection.transmit(h('80CA0000027F0B')))).toBe('01029000');
    expect(hex(await connection.transmit(h('802A00801330313233')))).toBe('AABB9000');
    const second = new ReplayTransport(['=> 80 CA 00 00 02 .. 0B', '<= 9000'].join('\n'));
    const conn2 = await second.open();
    expect((await failure(conn2.transmit(h('80CA0000027F0C')))).code).toBe('REPLAY_MISMATCH');
    expect((await failure(conn2.transmit(h('80CA0000027F0B00')))).code).toBe('REPLAY_MISMATCH');
  });

  it('assertComplete reports unreplayed exchanges', async () => {
    const replay = new ReplayTransport('=> 00A4020C020018\n<= 9000\n');
    expect(() => replay.assertComplete()).toThrow(CardError);
    expect(replay.remaining).toBe(1);
  });

  it('rejects malformed transcripts with INVALID_INPUT and the line number', () => {
    const cases: [string, number][] = [
      ['=> 00A4\n=> 00A4\n<= 9000', 2],
      ['<= 9000', 1],
      ['=> 00A4', 1],
      ['=> 00A4\n<= 90 .. 00', 2],
      ['=> 0ZA4\n<= 9000', 1],
      ['=> 00A4\n<= 90', 2],
      ['# mynakit transcript v2\n=> 00\n<= 9000', 1],
      ['hello', 1],
    ];
    for (const [text, line] of cases) {
      let caught: unknown;
      try {
        parseTranscript(text);
      } catch (error) {
        caught = error;
      }
      expect(caught, text).toBeInstanceOf(CardError);
      expect((caught as CardError).code).toBe('INVALID_INPUT');
      expect((caught as CardError).details.line, text).toBe(line);
    }
  });

  it('records failures and reconnects as comments and forgets the selection after them', async () => {
    const memory = new MemoryTransport();
    memory.insert('R', new EchoCard());
    const recording = new RecordingTransport(memory);
    const connection = await recording.open('R');
    memory.removeDuringNextTransmit('R');
    await failure(connection.transmit(h('00A4040C0AD392F000260100000001')));
    memory.insert('R', new EchoCard());
    await connection.reconnect();
    await connection.transmit(h('80B0000004'));
    const text = connection.transcript();
    expect(text).toContain('# transmit failed: CARD_REMOVED');
    expect(text).toContain('# reconnect, atr 3BE000FF8131FE4514');
    // After the failure and reconnect nothing is known to be selected: the read is redacted.
    expect(text).toContain('=> 80B0000004\n<= [redacted personal data] 9000');
  });
});
