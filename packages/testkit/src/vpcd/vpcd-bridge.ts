import { connect, type Socket } from 'node:net';

/**
 * What the bridge needs from a software card. Declared structurally here (it matches `CardEmulator` of
 * `@mynakit/card`) so the testkit does not depend on card internals that are not exported yet.
 */
export interface VpcdCardEmulator {
  readonly atr: Uint8Array;
  powerOn(): void;
  powerOff(): void;
  reset(): void;
  transmit(apdu: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** One C-APDU that vpcd forwarded and the R-APDU the emulator gave back. */
export interface VpcdExchange {
  readonly command: Uint8Array;
  readonly response: Uint8Array;
}

export interface VpcdBridgeOptions {
  /** Where pcscd's vpcd driver listens; default 127.0.0.1. */
  host?: string;
  /** 35963 is reader "Virtual PCD 00 00", 35964 is "Virtual PCD 00 01". */
  port?: number;
  /** Called after every APDU exchange (e.g. for a trace; format with the card package's redactor). */
  onApdu?: (exchange: VpcdExchange) => void;
}

export interface VpcdBridge {
  /** Disconnect from vpcd: for pcscd this is the card being pulled out of the reader. */
  close(): Promise<void>;
  /** Settles when the connection is gone, whoever closed it. */
  readonly closed: Promise<void>;
}

/** Control codes vpcd sends as 1-byte payloads (vsmartcard vpcd.h). */
const VPCD_CTRL_OFF = 0x00;
const VPCD_CTRL_ON = 0x01;
const VPCD_CTRL_RESET = 0x02;
const VPCD_CTRL_ATR = 0x04;

/** ISO 7816 "technical problem": what the card says when the emulator itself throws. */
const SW_TECHNICAL_PROBLEM = Uint8Array.of(0x6f, 0x00);

/**
 * Connect a software card to pcscd's vpcd driver: the card then appears in the PC/SC reader and every
 * PC/SC application on the machine can talk to it. Frames both ways are a 2-byte big-endian length and a
 * payload; a 1-byte payload is a control code, anything longer is a C-APDU answered with the R-APDU.
 *
 * vpcd serves one card per port: a second bridge on the same port connects at TCP level but is never served.
 */
export function connectToVpcd(
  emulator: VpcdCardEmulator,
  options: VpcdBridgeOptions = {},
): Promise<VpcdBridge> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 35963;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const closed = new Promise<void>((resolveClosed) => socket.once('close', () => resolveClosed()));
    const onConnectError = (error: Error) => reject(error);
    socket.once('error', onConnectError);
    socket.once('connect', () => {
      socket.off('error', onConnectError);
      // After connecting, errors (e.g. ECONNRESET when pcscd stops) just end the session: `closed` settles.
      socket.on('error', () => {});
      serve(socket, emulator, options.onApdu);
      resolve({
        closed,
        close: async () => {
          socket.destroy();
          await closed;
        },
      });
    });
  });
}

function serve(socket: Socket, emulator: VpcdCardEmulator, onApdu: VpcdBridgeOptions['onApdu']): void {
  const frames = new FrameReader();
  // vpcd waits for each answer before it sends the next frame, but TCP may still deliver several frames in
  // one chunk: answer them strictly in order, one at a time.
  let pending: Promise<void> = Promise.resolve();
  socket.on('data', (chunk: Buffer) => {
    for (const payload of frames.push(chunk)) {
      pending = pending.then(async () => {
        const answer = await handlePayload(payload, emulator, onApdu);
        if (answer !== undefined && !socket.destroyed) socket.write(frame(answer));
      });
    }
  });
}

async function handlePayload(
  payload: Uint8Array,
  emulator: VpcdCardEmulator,
  onApdu: VpcdBridgeOptions['onApdu'],
): Promise<Uint8Array | undefined> {
  if (payload.length === 1) {
    switch (payload[0]) {
      case VPCD_CTRL_OFF:
        emulator.powerOff();
        return undefined;
      case VPCD_CTRL_ON:
        emulator.powerOn();
        return undefined;
      case VPCD_CTRL_RESET:
        emulator.reset();
        return undefined;
      case VPCD_CTRL_ATR:
        return emulator.atr;
      default:
        // Unknown control codes get no answer, as in vsmartcard's own virtual cards.
        return undefined;
    }
  }
  if (payload.length === 0) return undefined;
  let response: Uint8Array;
  try {
    response = await emulator.transmit(payload);
  } catch {
    response = SW_TECHNICAL_PROBLEM;
  }
  onApdu?.({ command: payload, response });
  return response;
}

function frame(payload: Uint8Array): Uint8Array {
  if (payload.length > 0xffff) throw new RangeError('vpcd frames carry at most 65535 bytes');
  const out = new Uint8Array(2 + payload.length);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/** Reassembles length-prefixed frames from TCP chunks, which may split or join frames anywhere. */
export class FrameReader {
  #buffer = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const payloads: Uint8Array[] = [];
    let offset = 0;
    while (joined.length - offset >= 2) {
      const length = (joined[offset]! << 8) | joined[offset + 1]!;
      if (joined.length - offset - 2 < length) break;
      payloads.push(joined.slice(offset + 2, offset + 2 + length));
      offset += 2 + length;
    }
    this.#buffer = joined.slice(offset);
    return payloads;
  }
}

export { frame as encodeVpcdFrame };
