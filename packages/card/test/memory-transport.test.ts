import { describe, expect, it } from 'vitest';
import { CardError } from '../src/errors.js';
import { MemoryTransport, type ReaderEvent } from '../src/transport/index.js';
import { EchoCard, TEST_AID } from './fixtures/echo-card.js';

const SELECT = Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, TEST_AID.length, ...TEST_AID);
const COUNT = Uint8Array.of(0x80, 0xc0, 0x00, 0x00, 0x01);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CardError);
  return (error as CardError).code;
}

describe('MemoryTransport', () => {
  it('lists readers and cards, and reports changes to listeners (present state first)', async () => {
    const transport = new MemoryTransport(['A']);
    const card = new EchoCard();
    transport.insert('B', card);
    const events: ReaderEvent[] = [];
    const unsubscribe = transport.listen({ next: (e) => events.push(e) });
    expect(events.map((e) => `${e.type} ${e.reader}`)).toEqual([
      'reader-added A',
      'reader-added B',
      'card-inserted B',
    ]);

    transport.remove('B');
    transport.insert('A', new EchoCard());
    transport.removeReader('A');
    expect(events.slice(3).map((e) => `${e.type} ${e.reader}`)).toEqual([
      'card-removed B',
      'card-inserted A',
      'card-removed A',
      'reader-removed A',
    ]);
    unsubscribe();
    transport.addReader('C');
    expect(events).toHaveLength(7);

    expect(await transport.list()).toEqual([
      { name: 'B', cardPresent: false },
      { name: 'C', cardPresent: false },
    ]);
  });

  it('open powers the card on, and transmit answers from the emulator', async () => {
    const transport = new MemoryTransport();
    const card = new EchoCard();
    transport.insert('R', card);
    expect(card.powered).toBe(false);
    const connection = await transport.open();
    expect(card.powered).toBe(true);
    expect(connection.reader).toBe('R');
    expect(hex(connection.atr)).toBe(hex(card.atr));
    expect(hex(await connection.transmit(SELECT))).toBe('9000');
  });

  it('open without a card or reader fails with NO_CARD / NO_READER', async () => {
    const empty = new MemoryTransport();
    expect(await codeOf(empty.open())).toBe('NO_READER');
    const transport = new MemoryTransport(['R']);
    expect(await codeOf(transport.open())).toBe('NO_CARD');
    expect(await codeOf(transport.open('R'))).toBe('NO_CARD');
    expect(await codeOf(transport.open('X'))).toBe('NO_READER');
  });

  it('serializes transmits: one APDU in flight per connection', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const card = new EchoCard();
    const slow = Object.assign(Object.create(card) as EchoCard, {
      async transmit(apdu: Uint8Array) {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return card.transmit(apdu);
      },
    });
    const transport = new MemoryTransport();
    transport.insert('R', slow);
    const connection = await transport.open('R');
    const echo = (n: number) => Uint8Array.of(0x80, 0xca, 0x00, 0x00, 0x01, n);
    const answers = await Promise.all([1, 2, 3, 4].map((n) => connection.transmit(echo(n))));
    expect(answers.map(hex)).toEqual(['019000', '029000', '039000', '049000']);
    expect(maxInFlight).toBe(1);
  });

  it('after removal: CARD_REMOVED, onRemoved once; reconnect after reinsertion gives a fresh card', async () => {
    const transport = new MemoryTransport();
    const card = new EchoCard();
    transport.insert('R', card);
    const connection = await transport.open('R');
    let removed = 0;
    connection.onRemoved(() => {
      removed += 1;
    });
    await connection.transmit(SELECT);
    transport.remove('R');
    expect(removed).toBe(1);
    expect(card.powered).toBe(false);
    expect(await codeOf(connection.transmit(SELECT))).toBe('CARD_REMOVED');
    expect(await codeOf(connection.reconnect())).toBe('NO_CARD');

    transport.insert('R', card);
    // Still CARD_REMOVED until the caller reconnects: the card it talked to is not the one in the reader.
    expect(await codeOf(connection.transmit(SELECT))).toBe('CARD_REMOVED');
    await connection.reconnect();
    expect(hex(await connection.transmit(COUNT))).toBe('019000');
    transport.remove('R');
    expect(removed).toBe(2);
  });

  it('reconnect on a present card resets it', async () => {
    const transport = new MemoryTransport();
    const card = new EchoCard();
    transport.insert('R', card);
    const connection = await transport.open('R');
    await connection.transmit(SELECT);
    await connection.transmit(SELECT);
    await connection.reconnect();
    expect(card.resets).toBe(1);
    expect(hex(await connection.transmit(COUNT))).toBe('019000');
  });

  it('can pull the card out while a command is in flight, after the card executed it', async () => {
    const transport = new MemoryTransport();
    const card = new EchoCard();
    transport.insert('R', card);
    const connection = await transport.open('R');
    const events: string[] = [];
    transport.listen({ next: (e) => events.push(e.type) });
    transport.removeDuringNextTransmit('R');
    expect(await codeOf(connection.transmit(SELECT))).toBe('CARD_REMOVED');
    expect(card.apdusSincePowerOn).toBe(1); // the card saw it
    expect(events).toContain('card-removed');
    expect((await transport.list())[0]?.cardPresent).toBe(false);
  });

  it('can pull the card out before the card sees the command', async () => {
    const transport = new MemoryTransport();
    const card = new EchoCard();
    transport.insert('R', card);
    const connection = await transport.open('R');
    transport.removeDuringNextTransmit('R', { when: 'before-card' });
    expect(await codeOf(connection.transmit(SELECT))).toBe('CARD_REMOVED');
    expect(card.apdusSincePowerOn).toBe(0);
  });

  it('detects removal during an asynchronous emulator call', async () => {
    const transport = new MemoryTransport();
    const card = new EchoCard();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = Object.assign(Object.create(card) as EchoCard, {
      async transmit(apdu: Uint8Array) {
        await gate;
        return card.transmit(apdu);
      },
    });
    transport.insert('R', slow);
    const connection = await transport.open('R');
    const pending = connection.transmit(SELECT);
    await Promise.resolve();
    transport.remove('R');
    release();
    expect(await codeOf(pending)).toBe('CARD_REMOVED');
  });

  it('refuses to insert into an occupied reader', () => {
    const transport = new MemoryTransport();
    transport.insert('R', new EchoCard());
    expect(() => transport.insert('R', new EchoCard())).toThrow(CardError);
  });

  it('closed connections and transports fail with TRANSPORT_CLOSED', async () => {
    const transport = new MemoryTransport();
    transport.insert('R', new EchoCard());
    const connection = await transport.open('R');
    await connection.close();
    expect(await codeOf(connection.transmit(SELECT))).toBe('TRANSPORT_CLOSED');
    const second = await transport.open('R');
    await transport.close();
    expect(await codeOf(second.transmit(SELECT))).toBe('TRANSPORT_CLOSED');
    expect(await codeOf(transport.open('R'))).toBe('TRANSPORT_CLOSED');
  });
});
