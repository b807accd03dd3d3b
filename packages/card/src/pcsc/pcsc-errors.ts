import { CardError, type CardErrorCode } from '../errors.js';

/** The PC/SC return codes mynakit tells apart (winscard / pcsc-lite values). */
export const SCARD = {
  E_CANCELLED: 0x80100002,
  E_INVALID_HANDLE: 0x80100003,
  E_UNKNOWN_READER: 0x80100009,
  E_TIMEOUT: 0x8010000a,
  E_SHARING_VIOLATION: 0x8010000b,
  E_NO_SMARTCARD: 0x8010000c,
  E_PROTO_MISMATCH: 0x8010000f,
  F_COMM_ERROR: 0x80100013,
  E_NOT_TRANSACTED: 0x80100016,
  E_READER_UNAVAILABLE: 0x80100017,
  E_NO_SERVICE: 0x8010001d,
  E_SERVICE_STOPPED: 0x8010001e,
  E_NO_READERS_AVAILABLE: 0x8010002e,
  W_UNRESPONSIVE_CARD: 0x80100066,
  W_UNPOWERED_CARD: 0x80100067,
  W_RESET_CARD: 0x80100068,
  W_REMOVED_CARD: 0x80100069,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(SCARD).map(([name, code]) => [code, `SCARD_${name}`]),
);

/**
 * Where each code goes. Decisions:
 * - RESET_CARD (another application reset the shared card), UNRESPONSIVE and UNPOWERED are CARD_REMOVED:
 *   the card lost its state (selected AP, verified PINs) exactly as if it had been pulled out, and the
 *   remedy is the same — reconnect() and start over.
 * - NO_SERVICE and SERVICE_STOPPED are READER_UNAVAILABLE: no reader can be reached; the scardCode tells
 *   "pcscd is not running" apart from a busy reader.
 */
const MAPPING: ReadonlyMap<number, CardErrorCode> = new Map([
  [SCARD.W_REMOVED_CARD, 'CARD_REMOVED'],
  [SCARD.W_RESET_CARD, 'CARD_REMOVED'],
  [SCARD.W_UNRESPONSIVE_CARD, 'CARD_REMOVED'],
  [SCARD.W_UNPOWERED_CARD, 'CARD_REMOVED'],
  [SCARD.E_NO_SMARTCARD, 'NO_CARD'],
  [SCARD.E_NO_READERS_AVAILABLE, 'NO_READER'],
  [SCARD.E_UNKNOWN_READER, 'NO_READER'],
  [SCARD.E_READER_UNAVAILABLE, 'READER_UNAVAILABLE'],
  [SCARD.E_NO_SERVICE, 'READER_UNAVAILABLE'],
  [SCARD.E_SERVICE_STOPPED, 'READER_UNAVAILABLE'],
  [SCARD.E_SHARING_VIOLATION, 'SHARING_VIOLATION'],
  [SCARD.E_TIMEOUT, 'TIMEOUT'],
] as [number, CardErrorCode][]);

const HINTS: ReadonlyMap<number, string> = new Map([
  [SCARD.E_NO_SERVICE, 'the PC/SC service (pcscd) is not running'],
  [SCARD.E_SERVICE_STOPPED, 'the PC/SC service (pcscd) stopped'],
  [SCARD.E_SHARING_VIOLATION, 'another application holds the card exclusively'],
  [SCARD.W_RESET_CARD, 'the card was reset by another application; reconnect'],
  [SCARD.W_REMOVED_CARD, 'the card was removed'],
  [SCARD.W_UNRESPONSIVE_CARD, 'the card does not respond (is it inserted the right way?)'],
  [SCARD.W_UNPOWERED_CARD, 'the card is not powered'],
]);

/**
 * pcsclite reports failures as Error messages like "SCardTransmit error: Card was removed.(0x80100069)".
 * Returns the SCARD code, or undefined when the message has none. A 64-bit LONG may print sign-extended
 * (0xffffffff80100069): the low 32 bits are the code.
 */
export function parseScardCode(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : undefined;
  if (message === undefined) return undefined;
  const match = /\(0x([0-9a-fA-F]{1,16})\)\s*$/.exec(message) ?? /0x([0-9a-fA-F]{8,16})\b/.exec(message);
  if (!match) return undefined;
  const hex = match[1]!.slice(-8);
  return Number.parseInt(hex, 16) >>> 0;
}

/** `SCARD_W_REMOVED_CARD` etc., or the hex code for codes without a name here. */
export function scardCodeName(code: number): string {
  return NAMES.get(code >>> 0) ?? `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

export function cardErrorCodeForScard(code: number): CardErrorCode {
  return MAPPING.get(code >>> 0) ?? 'PCSC_ERROR';
}

/**
 * Turn whatever pcsclite failed with into a CardError that keeps the SCARD code (`scardCode`) and the
 * original error as `cause`. `operation` says what mynakit was doing ("connect", "transmit", …).
 */
export function pcscErrorToCardError(error: unknown, operation: string, reader?: string): CardError {
  if (error instanceof CardError) return error;
  const scardCode = parseScardCode(error);
  const where = reader === undefined ? '' : ` on reader "${reader}"`;
  const details = { operation, ...(reader !== undefined && { reader }) };
  if (scardCode === undefined) {
    const text = error instanceof Error ? error.message : String(error);
    return new CardError('PCSC_ERROR', `PC/SC ${operation} failed${where}: ${text}`, {
      details,
      cause: error,
    });
  }
  const name = scardCodeName(scardCode);
  const hint = HINTS.get(scardCode);
  return new CardError(
    cardErrorCodeForScard(scardCode),
    `PC/SC ${operation} failed${where}: ${name}${hint === undefined ? '' : ` (${hint})`}`,
    { scardCode, details: { ...details, scard: name }, cause: error },
  );
}
