import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The testkit is not a dependency of the card package (it depends on us); this one integration test
// reaches the bridge by path.
import { connectToVpcd, type VpcdBridge } from '../../testkit/src/vpcd/index.js';
import { CardError } from '../src/errors.js';
import { PcscTransport } from '../src/pcsc/index.js';
import type { CardConnection, ReaderEvent } from '../src/transport/index.js';
import { EchoCard, TEST_AID, taggedAtr } from './fixtures/echo-card.js';

/** vpcd's readers and their TCP ports; MYNAKIT_VPCD_READER/PORT pin one. */
const CANDIDATES =
  process.env.MYNAKIT_VPCD_READER !== undefined
    ? [{ reader: process.env.MYNAKIT_VPCD_READER, port: Number(process.env.MYNAKIT_VPCD_PORT ?? 35963) }]
    : [
        { reader: 'Virtual PCD 00 00', port: 35963 },
        { reader: 'Virtual PCD 00 01', port: 35964 },
      ];
// Chosen in beforeAll: the first vpcd reader no other process has put a card into.
let READER = '';
let PORT = 0;
const SELECT_TEST_AID = Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, TEST_AID.length, ...TEST_AID);

/** Poll until `predicate` holds; fails after `timeoutMs` with `what` in the message. */
async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

describe('PcscTransport over pcscd + vpcd', () => {
  // A per-run ATR: if another process's card lands in "our" reader, the tests say so instead of misbehaving.
  const card = new EchoCard([TEST_AID], taggedAtr(Uint8Array.from(randomBytes(6))));
  const transport = new PcscTransport();
  const events: ReaderEvent[] = [];
  let unsubscribe: () => void = () => {};
  let bridge: VpcdBridge | undefined;
  let connection: CardConnection | undefined;
  let removedCalls = 0;

  const eventsFor = (type: ReaderEvent['type']) =>
    events.filter((e) => e.type === type && e.reader === READER);

  beforeAll(async () => {
    const readers = await transport.list();
    const free = CANDIDATES.find((c) => readers.some((r) => r.name === c.reader && !r.cardPresent));
    if (free === undefined) {
      throw new Error(
        `no free vpcd reader among ${CANDIDATES.map((c) => c.reader).join(', ')}; readers: ` +
          readers.map((r) => `${r.name}${r.cardPresent ? ' (card present)' : ''}`).join(', '),
      );
    }
    READER = free.reader;
    PORT = free.port;
    unsubscribe = transport.listen({ next: (event) => events.push(event) });
  });

  afterAll(async () => {
    unsubscribe();
    await connection?.close();
    await transport.close();
    await bridge?.close();
  });

  it('lists the vpcd readers, and reports the present ones to a new listener', async () => {
    const names = (await transport.list()).map((r) => r.name);
    for (const { reader } of CANDIDATES) expect(names).toContain(reader);
    expect(eventsFor('reader-added')).toHaveLength(1);
    expect(eventsFor('card-inserted')).toHaveLength(0);
  });

  it('reports card-inserted with the ATR when the bridge connects', async () => {
    bridge = await connectToVpcd(card, { port: PORT });
    await waitFor(() => eventsFor('card-inserted').length === 1, 'card-inserted');
    const inserted = eventsFor('card-inserted')[0];
    expect(
      inserted?.type === 'card-inserted' && hex(inserted.atr),
      'a card with another ATR was inserted: is another process using this vpcd reader?',
    ).toBe(hex(card.atr));
    const listed = (await transport.list()).find((r) => r.name === READER);
    expect(listed?.cardPresent).toBe(true);
    expect(hex(listed?.atr ?? new Uint8Array())).toBe(hex(card.atr));
  });

  it('opens the card and exchanges APDUs', async () => {
    connection = await transport.open(READER);
    connection.onRemoved(() => {
      removedCalls += 1;
    });
    expect(connection.reader).toBe(READER);
    expect(hex(connection.atr)).toBe(hex(card.atr));
    expect(hex(await connection.transmit(SELECT_TEST_AID))).toBe('9000');
    expect(hex(await connection.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, 0x02, 0xa0, 0x00)))).toBe(
      '6A82',
    );
    const echo = Uint8Array.of(0x80, 0xca, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03);
    expect(hex(await connection.transmit(echo))).toBe('0102039000');
  });

  it('serializes concurrent transmits', async () => {
    const conn = connection!;
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => conn.transmit(Uint8Array.of(0x80, 0xca, 0x00, 0x00, 0x01, n))),
    );
    expect(answers.map(hex)).toEqual(['019000', '029000', '039000', '049000', '059000']);
  });

  it('carries a 2000-byte response (extended length)', async () => {
    const response = await connection!.transmit(Uint8Array.of(0x80, 0xb0, 0x00, 0x00, 0x00, 0x07, 0xd0));
    expect(response.length).toBe(2002);
    expect(response[1999]).toBe(1999 & 0xff);
    expect(hex(response.subarray(2000))).toBe('9000');
  });

  it('turns pulling the card out into card-removed, onRemoved and CARD_REMOVED', async () => {
    await bridge!.close();
    await waitFor(() => eventsFor('card-removed').length === 1, 'card-removed');
    expect(removedCalls).toBe(1);
    const error = await connection!.transmit(SELECT_TEST_AID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardError);
    expect((error as CardError).code).toBe('CARD_REMOVED');
    expect((await transport.list()).find((r) => r.name === READER)?.cardPresent).toBe(false);
  });

  it('reports CARD_REMOVED for a transmit racing the removal', async () => {
    // Reinsert, reconnect, then pull the card while nothing has told pcscd yet.
    bridge = await connectToVpcd(card, { port: PORT });
    await waitFor(() => eventsFor('card-inserted').length === 2, 'second card-inserted');
    await connection!.reconnect();
    expect(hex(await connection!.transmit(SELECT_TEST_AID))).toBe('9000');
    await bridge.close();
    const error = await connection!.transmit(SELECT_TEST_AID).catch((e: unknown) => e);
    expect((error as CardError).code).toBe('CARD_REMOVED');
    await waitFor(() => eventsFor('card-removed').length === 2, 'second card-removed');
    expect(removedCalls).toBe(2);
  });

  it('works again after reinsertion and reconnect(), with a fresh card state', async () => {
    bridge = await connectToVpcd(card, { port: PORT });
    await waitFor(() => eventsFor('card-inserted').length === 3, 'third card-inserted');
    await connection!.reconnect();
    // The card counts APDUs since power-on/reset: 1 means this query is the first the fresh card sees.
    expect(hex(await connection!.transmit(Uint8Array.of(0x80, 0xc0, 0x00, 0x00, 0x01)))).toBe('019000');
    expect(hex(await connection!.transmit(SELECT_TEST_AID))).toBe('9000');
  });

  it('reconnect() on a present card resets it', async () => {
    const resetsBefore = card.resets + card.powerOns;
    await connection!.transmit(SELECT_TEST_AID);
    await connection!.reconnect();
    expect(card.resets + card.powerOns).toBeGreaterThan(resetsBefore);
    expect(hex(await connection!.transmit(Uint8Array.of(0x80, 0xc0, 0x00, 0x00, 0x01)))).toBe('019000');
  });

  it('refuses a second open of the same reader and NO_READER for an unknown one', async () => {
    await expect(transport.open(READER)).rejects.toMatchObject({ code: 'SHARING_VIOLATION' });
    await expect(transport.open('No Such Reader 99')).rejects.toMatchObject({ code: 'NO_READER' });
  });

  it('closes connection and transport; a closed transport refuses work', async () => {
    await connection!.close();
    await expect(connection!.transmit(SELECT_TEST_AID)).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    connection = undefined;
    await transport.close();
    await expect(transport.list()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await bridge?.close();
    bridge = undefined;
  });

  it('lets the process exit once the transport is closed', async () => {
    // The previous test pulled its card out; the child must not see that card before pcscd notices.
    const probe = new PcscTransport();
    await waitFor(
      async () => !(await probe.list()).find((r) => r.name === READER)?.cardPresent,
      'the previous card to leave the reader',
    );
    await probe.close();
    const child = fileURLToPath(new URL('./fixtures/pcsc-exit-child.ts', import.meta.url));
    const result = await new Promise<{ code: number | null; out: string; err: string; timedOut: boolean }>(
      (resolve) => {
        const proc = spawn(
          process.execPath,
          ['--conditions=@mynakit/source', '--import', 'tsx', child, READER, String(PORT)],
          { cwd: fileURLToPath(new URL('../../..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        let err = '';
        let timedOut = false;
        proc.stdout.on('data', (chunk) => (out += chunk));
        proc.stderr.on('data', (chunk) => (err += chunk));
        const timer = setTimeout(() => {
          timedOut = true;
          proc.kill('SIGKILL');
        }, 40_000);
        proc.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, out, err, timedOut });
        });
      },
    );
    expect(result.timedOut, `the child did not exit by itself; stderr: ${result.err}`).toBe(false);
    expect(result.code, result.err).toBe(0);
    expect(result.out.trim()).toBe('ok');
  });
});
