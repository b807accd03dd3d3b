import { CardError } from '../errors.js';
import type { CommandApdu } from './types.js';

/** How a command's Lc/Le fields are written: 1-byte (short) or 3/2-byte (extended) length fields. */
export type ApduForm = 'short' | 'extended';

/** ISO 7816-4 case: 1 = no data, no Le; 2 = Le only; 3 = data only; 4 = data and Le. */
export type ApduCase = 1 | 2 | 3 | 4;

export const SHORT_MAX_LC = 255;
export const SHORT_MAX_LE = 256;
export const EXTENDED_MAX_LC = 65_535;
export const EXTENDED_MAX_LE = 65_536;

/** The ISO class bit that announces "more blocks follow" in command chaining. */
export const CLA_CHAINING = 0x10;

function dataLength(command: CommandApdu): number {
  return command.data?.length ?? 0;
}

/** The ISO case of a command; empty data counts as no data (Lc is never 0). */
export function commandCase(command: CommandApdu): ApduCase {
  const hasData = dataLength(command) > 0;
  const hasLe = command.le !== undefined;
  if (hasData) return hasLe ? 4 : 3;
  return hasLe ? 2 : 1;
}

/** True when the command cannot be written in short form (data over 255 bytes or Le over 256). */
export function needsExtended(command: CommandApdu): boolean {
  return dataLength(command) > SHORT_MAX_LC || (command.le ?? 0) > SHORT_MAX_LE;
}

function invalid(message: string, details: Record<string, string | number>): CardError {
  return new CardError('INVALID_INPUT', message, { details });
}

function checkByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw invalid(`APDU ${name} must be a byte (0..255)`, { field: name });
  }
}

/**
 * Range checks for a command in the given form (or in the widest form when omitted).
 * Throws CardError INVALID_INPUT; the message carries sizes only, never data bytes.
 */
export function validateCommand(command: CommandApdu, form: ApduForm = 'extended'): void {
  checkByte('cla', command.cla);
  checkByte('ins', command.ins);
  checkByte('p1', command.p1);
  checkByte('p2', command.p2);
  if (command.data !== undefined && !(command.data instanceof Uint8Array)) {
    throw invalid('APDU data must be a Uint8Array', { field: 'data' });
  }
  const maxLc = form === 'short' ? SHORT_MAX_LC : EXTENDED_MAX_LC;
  const maxLe = form === 'short' ? SHORT_MAX_LE : EXTENDED_MAX_LE;
  const nc = dataLength(command);
  if (nc > maxLc) {
    throw invalid(`APDU data of ${nc} bytes does not fit ${form} form (max ${maxLc})`, {
      field: 'data',
      length: nc,
      form,
    });
  }
  const le = command.le;
  if (le !== undefined && (!Number.isInteger(le) || le < 1 || le > maxLe)) {
    throw invalid(`APDU Le must be an integer 1..${maxLe} in ${form} form`, { field: 'le', form });
  }
}

/**
 * Encodes a command APDU (ISO 7816-4 cases 1–4).
 * Short: Lc 1 byte, Le 1 byte with 256 written as `00`.
 * Extended: Lc `00 HH LL`; Le `00 HH LL` when there is no data (case 2E) or `HH LL` after the data (case 4E),
 * 65536 written as zeros. Case 1 has no length fields, so both forms give the 4-byte header.
 */
export function encodeCommand(command: CommandApdu, form: ApduForm): Uint8Array {
  validateCommand(command, form);
  const header = [command.cla, command.ins, command.p1, command.p2];
  const data = command.data ?? new Uint8Array(0);
  const nc = data.length;
  const le = command.le;
  const out: number[] = [...header];
  if (form === 'short') {
    if (nc > 0) out.push(nc);
    const body = new Uint8Array(out.length + nc + (le !== undefined ? 1 : 0));
    body.set(out, 0);
    body.set(data, out.length);
    if (le !== undefined) body[body.length - 1] = le === 256 ? 0 : le;
    return body;
  }
  // Extended form: a single 00 marker byte precedes the first length field.
  if (nc > 0) out.push(0x00, (nc >> 8) & 0xff, nc & 0xff);
  const leBytes: number[] = [];
  if (le !== undefined) {
    const v = le === EXTENDED_MAX_LE ? 0 : le;
    if (nc === 0) leBytes.push(0x00);
    leBytes.push((v >> 8) & 0xff, v & 0xff);
  }
  const body = new Uint8Array(out.length + nc + leBytes.length);
  body.set(out, 0);
  body.set(data, out.length);
  body.set(leBytes, out.length + nc);
  return body;
}

/**
 * Splits a command into ISO command-chaining blocks of at most `blockSize` data bytes.
 * Every block but the last has CLA bit 0x10 set and no Le; the last block keeps the original CLA and Le.
 * A command whose data fits one block is returned unchanged (as a one-element list).
 */
export function chainCommand(command: CommandApdu, blockSize = SHORT_MAX_LC): CommandApdu[] {
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > EXTENDED_MAX_LC) {
    throw invalid('chaining block size must be an integer 1..65535', { field: 'blockSize' });
  }
  const data = command.data;
  if (data === undefined || data.length <= blockSize) return [command];
  const blocks: CommandApdu[] = [];
  for (let offset = 0; offset < data.length; offset += blockSize) {
    const chunk = data.slice(offset, offset + blockSize);
    const last = offset + blockSize >= data.length;
    const { le: _le, ...base } = command;
    blocks.push(
      last ? { ...command, data: chunk } : { ...base, cla: command.cla | CLA_CHAINING, data: chunk },
    );
  }
  return blocks;
}
