import { CardError, toHex } from '../errors.js';
import type { ResponseApdu } from './types.js';

export interface StatusWordEntry {
  /** The status word, or for a family (`63Cx`, `61xx`) its fixed bits. */
  readonly sw: number;
  /** Which bits of the status word `sw` fixes: 0xFFFF for one word, 0xFFF0 for `63Cx`, 0xFF00 for `61xx`. */
  readonly mask: number;
  /** How the family is written in docs, e.g. "63Cx". */
  readonly pattern: string;
  readonly meaning: string;
}

/**
 * Status words the My Number Card (and the virtual card) answer with, card-protocol.md §5,
 * plus the ISO transport-level families the channel handles itself (61xx, 6Cxx).
 * More specific entries come first: lookups take the first match.
 */
export const statusWords: readonly StatusWordEntry[] = [
  { sw: 0x9000, mask: 0xffff, pattern: '9000', meaning: 'OK' },
  { sw: 0x63c0, mask: 0xffff, pattern: '63C0', meaning: 'wrong PIN, no tries left (blocked)' },
  { sw: 0x63c0, mask: 0xfff0, pattern: '63Cx', meaning: 'wrong PIN, x tries left' },
  { sw: 0x6984, mask: 0xffff, pattern: '6984', meaning: 'PIN blocked (referenced data unusable)' },
  { sw: 0x6983, mask: 0xffff, pattern: '6983', meaning: 'PIN blocked (authentication method blocked)' },
  { sw: 0x6982, mask: 0xffff, pattern: '6982', meaning: 'security status not satisfied' },
  { sw: 0x6986, mask: 0xffff, pattern: '6986', meaning: 'command not allowed (no current EF)' },
  { sw: 0x6a82, mask: 0xffff, pattern: '6A82', meaning: 'file or application not found' },
  { sw: 0x6a86, mask: 0xffff, pattern: '6A86', meaning: 'incorrect parameters P1-P2' },
  { sw: 0x6b00, mask: 0xffff, pattern: '6B00', meaning: 'offset beyond the end of the EF' },
  { sw: 0x6282, mask: 0xffff, pattern: '6282', meaning: 'end of file reached before Le bytes' },
  { sw: 0x6700, mask: 0xffff, pattern: '6700', meaning: 'wrong length' },
  { sw: 0x6d00, mask: 0xffff, pattern: '6D00', meaning: 'instruction not supported' },
  { sw: 0x6e00, mask: 0xffff, pattern: '6E00', meaning: 'class not supported' },
  { sw: 0x6100, mask: 0xff00, pattern: '61xx', meaning: 'more response data available (GET RESPONSE)' },
  { sw: 0x6c00, mask: 0xff00, pattern: '6Cxx', meaning: 'wrong Le, the exact length is xx' },
];

export function lookupStatus(sw: number): StatusWordEntry | undefined {
  return statusWords.find((entry) => (sw & entry.mask) === entry.sw);
}

/** A short English description of a status word, e.g. "wrong PIN, 2 tries left". */
export function describeStatus(sw: number): string {
  if ((sw & 0xfff0) === 0x63c0 && sw !== 0x63c0) {
    const left = sw & 0x0f;
    return `wrong PIN, ${left} ${left === 1 ? 'try' : 'tries'} left`;
  }
  return lookupStatus(sw)?.meaning ?? 'unknown status';
}

/**
 * The typed error for a non-9000 status word. `context` names the operation (e.g. "VERIFY auth PIN") and
 * goes into the message, so it must never contain a secret.
 */
export function errorForStatus(sw: number, context: string): CardError {
  const message = `${context}: ${describeStatus(sw)} (SW ${toHex(sw)})`;
  if ((sw & 0xfff0) === 0x63c0) {
    const triesLeft = sw & 0x0f;
    return new CardError(triesLeft === 0 ? 'PIN_BLOCKED' : 'WRONG_PIN', message, {
      sw,
      details: { triesLeft },
    });
  }
  switch (sw) {
    case 0x6983:
    case 0x6984:
      return new CardError('PIN_BLOCKED', message, { sw, details: { triesLeft: 0 } });
    case 0x6982:
      return new CardError('SECURITY_STATUS_NOT_SATISFIED', message, { sw });
    case 0x6a82:
      return new CardError('FILE_NOT_FOUND', message, { sw });
    case 0x6700:
      return new CardError('WRONG_LENGTH', message, { sw });
    default:
      return new CardError('UNEXPECTED_STATUS', message, { sw });
  }
}

/** Returns the response data on 9000; throws the typed error for any other status word. */
export function expectOk(response: ResponseApdu, context: string): Uint8Array {
  if (response.sw === 0x9000) return response.data;
  throw errorForStatus(response.sw, context);
}
