import { CardError } from '../errors.js';
import type { ResponseApdu } from './types.js';

export const SW_OK = 0x9000;

/** Splits a raw R-APDU into data and SW1SW2. The data is a copy, so later writes to `raw` do not leak in. */
export function parseResponse(raw: Uint8Array): ResponseApdu {
  if (!(raw instanceof Uint8Array) || raw.length < 2) {
    const length = raw instanceof Uint8Array ? raw.length : -1;
    throw new CardError('MALFORMED_RESPONSE', 'response APDU shorter than the 2-byte status word', {
      details: { length },
    });
  }
  const n = raw.length;
  const sw = (raw[n - 2]! << 8) | raw[n - 1]!;
  return { data: new Uint8Array(raw.subarray(0, n - 2)), sw };
}

/** The raw bytes of a response: data followed by SW1 SW2 (what a card or emulator sends back). */
export function encodeResponse(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = (sw >> 8) & 0xff;
  out[data.length + 1] = sw & 0xff;
  return out;
}

export function sw1(sw: number): number {
  return (sw >> 8) & 0xff;
}

export function sw2(sw: number): number {
  return sw & 0xff;
}

export function isOk(response: ResponseApdu): boolean {
  return response.sw === SW_OK;
}
