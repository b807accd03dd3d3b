import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectToVpcd, encodeVpcdFrame, FrameReader, type VpcdExchange } from '../src/vpcd/index.js';

const ATR = Uint8Array.of(0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14);

class RecordingCard {
  readonly atr = ATR;
  calls: string[] = [];
  powerOn() {
    this.calls.push('on');
  }
  powerOff() {
    this.calls.push('off');
  }
  reset() {
    this.calls.push('reset');
  }
  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (apdu[1] === 0xee) throw new Error('emulator bug');
    // Answer: the INS byte, a 300-byte body when INS = B0, then 90 00.
    const body = apdu[1] === 0xb0 ? new Uint8Array(300).fill(7) : Uint8Array.of(apdu[1]!);
    return Uint8Array.from([...body, 0x90, 0x00]);
  }
}

/** A fake vpcd: accepts one connection and collects the frames the card sends back. */
async function fakeVpcd(): Promise<{
  server: Server;
  port: number;
  socket: Promise<Socket>;
  replies: Uint8Array[];
}> {
  const replies: Uint8Array[] = [];
  let resolveSocket: (socket: Socket) => void = () => {};
  const socket = new Promise<Socket>((resolve) => {
    resolveSocket = resolve;
  });
  const server = createServer((s) => {
    const reader = new FrameReader();
    s.on('data', (chunk) => replies.push(...reader.push(chunk)));
    resolveSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, socket, replies };
}

async function waitFor(predicate: () => boolean, what: string) {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
let servers: Server[] = [];

afterEach(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  servers = [];
});

describe('connectToVpcd', () => {
  it('answers control codes and APDUs, with frames split and joined arbitrarily', async () => {
    const vpcd = await fakeVpcd();
    servers.push(vpcd.server);
    const card = new RecordingCard();
    const exchanges: VpcdExchange[] = [];
    const bridge = await connectToVpcd(card, { port: vpcd.port, onApdu: (e) => exchanges.push(e) });
    const socket = await vpcd.socket;

    // An ATR request split across two TCP chunks.
    const atrRequest = encodeVpcdFrame(Uint8Array.of(0x04));
    socket.write(atrRequest.subarray(0, 1));
    await new Promise((resolve) => setTimeout(resolve, 10));
    socket.write(atrRequest.subarray(1));
    await waitFor(() => vpcd.replies.length === 1, 'the ATR');
    expect(hex(vpcd.replies[0]!)).toBe(hex(ATR));

    // Power on, two APDUs and a reset in one chunk; answers must come back in order.
    socket.write(
      Buffer.concat([
        encodeVpcdFrame(Uint8Array.of(0x01)),
        encodeVpcdFrame(Uint8Array.of(0x00, 0xa4, 0x04, 0x0c)),
        encodeVpcdFrame(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x00)),
        encodeVpcdFrame(Uint8Array.of(0x02)),
        encodeVpcdFrame(Uint8Array.of(0x00)),
      ]),
    );
    await waitFor(() => vpcd.replies.length === 3 && card.calls.length === 3, 'two answers');
    expect(card.calls).toEqual(['on', 'reset', 'off']);
    expect(hex(vpcd.replies[1]!)).toBe('A49000');
    expect(vpcd.replies[2]!.length).toBe(302);
    expect(exchanges.map((e) => hex(e.command))).toEqual(['00A4040C', '00B0000000']);

    // An emulator that throws answers 6F 00 instead of hanging vpcd.
    socket.write(encodeVpcdFrame(Uint8Array.of(0x00, 0xee, 0x00, 0x00)));
    await waitFor(() => vpcd.replies.length === 4, 'the 6F00');
    expect(hex(vpcd.replies[3]!)).toBe('6F00');

    const ended = new Promise((resolve) => socket.once('close', resolve));
    await bridge.close();
    await ended;
    await bridge.closed;
  });

  it('settles `closed` when vpcd drops the connection', async () => {
    const vpcd = await fakeVpcd();
    servers.push(vpcd.server);
    const bridge = await connectToVpcd(new RecordingCard(), { port: vpcd.port });
    (await vpcd.socket).destroy();
    await bridge.closed;
  });

  it('rejects when nothing listens on the port', async () => {
    const vpcd = await fakeVpcd();
    const port = vpcd.port;
    await new Promise((resolve) => vpcd.server.close(resolve));
    await expect(connectToVpcd(new RecordingCard(), { port })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('FrameReader', () => {
  it('reassembles frames byte by byte', () => {
    const reader = new FrameReader();
    const stream = Buffer.concat([
      encodeVpcdFrame(Uint8Array.of(1, 2, 3)),
      encodeVpcdFrame(Uint8Array.of(9)),
    ]);
    const out: Uint8Array[] = [];
    for (const byte of stream) out.push(...reader.push(Uint8Array.of(byte)));
    expect(out.map((p) => [...p])).toEqual([[1, 2, 3], [9]]);
  });
});
