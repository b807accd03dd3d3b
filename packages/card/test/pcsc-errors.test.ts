import { describe, expect, it } from 'vitest';
import { CardError } from '../src/errors.js';
import { parseScardCode, pcscErrorToCardError, scardCodeName } from '../src/pcsc/index.js';

/** pcsclite's message format (src/common.h): "<Function> error: <pcsc_stringify_error>(0x%.8lx)". */
const pcscliteError = (fn: string, text: string, code: string) =>
  new Error(`${fn} error: ${text}(0x${code})`);

describe('PC/SC error mapping', () => {
  it('parses the SCARD code out of pcsclite error messages', () => {
    expect(parseScardCode(pcscliteError('SCardTransmit', 'Card was removed.', '80100069'))).toBe(0x80100069);
    expect(parseScardCode('SCardConnect error: Sharing violation.(0x8010000b)')).toBe(0x8010000b);
    // A sign-extended 64-bit LONG still yields the 32-bit code.
    expect(parseScardCode(new Error('SCardConnect error: x(0xffffffff8010000c)'))).toBe(0x8010000c);
    expect(parseScardCode(new Error('Card Reader not connected'))).toBeUndefined();
    expect(parseScardCode(42)).toBeUndefined();
  });

  const cases: [string, string, string][] = [
    ['80100069', 'Card was removed.', 'CARD_REMOVED'],
    ['80100068', 'Card was reset.', 'CARD_REMOVED'],
    ['80100066', 'Card is unresponsive.', 'CARD_REMOVED'],
    ['80100067', 'Card is unpowered.', 'CARD_REMOVED'],
    ['8010000C', 'No smart card inserted.', 'NO_CARD'],
    ['8010002E', 'Cannot find a smart card reader.', 'NO_READER'],
    ['80100009', 'Unknown reader specified.', 'NO_READER'],
    ['80100017', 'Reader is unavailable.', 'READER_UNAVAILABLE'],
    ['8010001D', 'Service not available.', 'READER_UNAVAILABLE'],
    ['8010000B', 'Sharing violation.', 'SHARING_VIOLATION'],
    ['8010000A', 'Command timeout.', 'TIMEOUT'],
    ['80100016', 'Transaction failed.', 'PCSC_ERROR'],
    ['80100001', 'Internal error.', 'PCSC_ERROR'],
  ];

  it.each(cases)('maps 0x%s (%s) to %s and keeps the SCARD code', (code, text, expected) => {
    const original = pcscliteError('SCardTransmit', text, code.toLowerCase());
    const error = pcscErrorToCardError(original, 'transmit', 'Reader 0');
    expect(error).toBeInstanceOf(CardError);
    expect(error.code).toBe(expected);
    expect(error.scardCode).toBe(Number.parseInt(code, 16));
    expect(error.cause).toBe(original);
    expect(error.details).toMatchObject({ operation: 'transmit', reader: 'Reader 0' });
    // The code survives serialization.
    expect(CardError.fromJSON(JSON.parse(JSON.stringify(error))).scardCode).toBe(Number.parseInt(code, 16));
  });

  it('says plainly when pcscd is not running', () => {
    const error = pcscErrorToCardError(
      pcscliteError('SCardEstablishContext', 'Service not available.', '8010001d'),
      'establish context',
    );
    expect(error.message).toMatch(/pcscd\) is not running/);
    expect(error.details.scard).toBe('SCARD_E_NO_SERVICE');
  });

  it('uses PCSC_ERROR when there is no code, and passes CardErrors through', () => {
    expect(pcscErrorToCardError(new Error('Card Reader not connected'), 'transmit').code).toBe('PCSC_ERROR');
    const original = new CardError('TIMEOUT', 'x');
    expect(pcscErrorToCardError(original, 'transmit')).toBe(original);
  });

  it('names codes', () => {
    expect(scardCodeName(0x80100069)).toBe('SCARD_W_REMOVED_CARD');
    expect(scardCodeName(0x80100099)).toBe('0x80100099');
  });
});
