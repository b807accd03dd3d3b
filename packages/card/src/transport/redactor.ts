import { bytesToHex } from './hex.js';

/** Replaces the data of VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER, length included. */
export const REDACTED_PIN = '[redacted pin]';
/** Replaces personal data in responses (and in writes to personal EFs), length included. */
export const REDACTED_PERSONAL_DATA = '[redacted personal data]';

const JPKI_AID = 'D392F000260100000001';
const TEXT_AID = 'D3921000310001010408';
const VISUAL_AID = 'D3921000310001010402';

/**
 * EFs whose content identifies the holder, per application. Everything else in these three applications
 * (CA and auth certificates, token, signatures, AP info) stays visible: transcripts are meant to be read.
 */
const PERSONAL_EFS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  // 券面事項入力補助AP: My Number, the four basic items (name, address, birth date, sex), their hashes.
  [TEXT_AID, new Set(['0001', '0002', '0003'])],
  // 券面AP: birth date, the card face (name/address images, photo), the back with the My Number.
  [VISUAL_AID, new Set(['0001', '0002', '0005'])],
  // JPKI-AP: the signing certificate carries name, address, birth date and sex.
  [JPKI_AID, new Set(['0001'])],
]);

/** Commands whose data is a PIN, password or 照合番号 (a My Number or a birth date). */
const SECRET_INS = new Set([0x20, 0x21, 0x24, 0x2c]);
const READ_INS = new Set([0xb0, 0xb1, 0xb2, 0xb3]);
const WRITE_INS = new Set([0xd0, 0xd1, 0xd2, 0xd6, 0xd7, 0xdc, 0xdd, 0xe2]);
const INS_SELECT = 0xa4;
const INS_GET_RESPONSE = 0xc0;

/** True for commands whose data the redactor always hides (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER). */
export function isSecretCommand(apdu: Uint8Array): boolean {
  return apdu.length >= 4 && SECRET_INS.has(apdu[1]!);
}

type PendingSelect =
  | { readonly level: 'ap'; readonly aid: string }
  | { readonly level: 'ef'; readonly fid: string }
  | { readonly level: 'all' };

/**
 * Turns APDUs into log/transcript text with personal data removed. It follows the card's selection state
 * (SELECT by AID, SELECT EF, SFI in READ BINARY P1 = 80|sfi and READ RECORD P2) to know which EF a READ
 * answers from, and fails safe: whenever it cannot tell what is selected, read data is hidden.
 *
 * Feed it every command and then that command's response, in order. There is no switch to turn redaction
 * off: transcripts and traces get shared in bug reports, and a PIN or a My Number must never be in one.
 */
export class ApduRedactor {
  /** AID of the selected application when it is one of the three known ones; undefined = unknown/other. */
  #ap: string | undefined;
  /** FID of the current EF; undefined = none or unknown. */
  #ef: string | undefined;
  #pendingSelect: PendingSelect | undefined;
  /** Whether the response to the last command must hide its data; true before any command (fail safe). */
  #redactResponse = true;
  #awaitingResponse = false;

  /** Forget the selection state, e.g. after a reset, reconnect or a transmit that failed. */
  reset(): void {
    this.#ap = undefined;
    this.#ef = undefined;
    this.#pendingSelect = undefined;
    this.#redactResponse = true;
    this.#awaitingResponse = false;
  }

  /** The C-APDU as hex, with secret or personal command data replaced by a marker. */
  command(apdu: Uint8Array): string {
    if (this.#awaitingResponse) {
      // The previous command got no response (it failed): we cannot know what it changed on the card.
      this.reset();
    }
    this.#awaitingResponse = true;
    this.#pendingSelect = undefined;
    if (apdu.length < 4) {
      this.#redactResponse = true;
      return bytesToHex(apdu);
    }
    const header = bytesToHex(apdu.subarray(0, 4));
    const ins = apdu[1]!;
    const p1 = apdu[2]!;
    const p2 = apdu[3]!;
    const hasBody = apdu.length > 4;

    if (SECRET_INS.has(ins)) {
      this.#redactResponse = false;
      // P2 = 80|sfi names the PIN EF; it is never a personal EF, but if it were, forget the current EF.
      if (ins === 0x20 && (p2 & 0x80) !== 0 && (p2 & 0x1f) !== 0 && this.#isPersonal(sfiToFid(p2 & 0x1f))) {
        this.#ef = undefined;
      }
      return hasBody ? `${header} ${REDACTED_PIN}` : header;
    }
    if (ins === INS_SELECT) {
      this.#redactResponse = false;
      this.#pendingSelect = selectTarget(apdu);
      return bytesToHex(apdu);
    }
    if (READ_INS.has(ins)) {
      const target = this.#accessTarget(ins, p1, p2);
      this.#redactResponse = target.personal;
      if (target.sfiFid !== undefined) this.#pendingSelect = { level: 'ef', fid: target.sfiFid };
      return bytesToHex(apdu);
    }
    if (WRITE_INS.has(ins)) {
      const target = this.#accessTarget(ins, p1, p2);
      this.#redactResponse = false;
      if (target.sfiFid !== undefined) this.#pendingSelect = { level: 'ef', fid: target.sfiFid };
      return target.personal && hasBody ? `${header} ${REDACTED_PERSONAL_DATA}` : bytesToHex(apdu);
    }
    if (ins === INS_GET_RESPONSE) {
      // GET RESPONSE returns the rest of the previous answer: it is as sensitive as that answer was.
      return bytesToHex(apdu);
    }
    this.#redactResponse = false;
    return bytesToHex(apdu);
  }

  /** The R-APDU as text (`9000`, `<data> 9000`, or `[redacted personal data] 9000`). */
  response(raw: Uint8Array): string {
    const redact = this.#redactResponse || !this.#awaitingResponse;
    this.#awaitingResponse = false;
    if (raw.length < 2) {
      this.#pendingSelect = undefined;
      this.#ap = undefined;
      this.#ef = undefined;
      this.#redactResponse = true;
      return raw.length === 0 ? '' : redact ? REDACTED_PERSONAL_DATA : bytesToHex(raw);
    }
    const sw1 = raw[raw.length - 2]!;
    const sw2 = raw[raw.length - 1]!;
    this.#applySelect(sw1, sw2);
    const sw = bytesToHex(raw.subarray(raw.length - 2));
    const data = raw.subarray(0, raw.length - 2);
    if (data.length === 0) return sw;
    return redact ? `${REDACTED_PERSONAL_DATA} ${sw}` : `${bytesToHex(data)} ${sw}`;
  }

  #applySelect(sw1: number, sw2: number): void {
    const pending = this.#pendingSelect;
    this.#pendingSelect = undefined;
    if (pending === undefined) return;
    // 90 00, or 61 xx under T=0 (more data waiting): the selection took effect.
    const ok = (sw1 === 0x90 && sw2 === 0x00) || sw1 === 0x61;
    if (pending.level === 'all') {
      this.#ap = undefined;
      this.#ef = undefined;
    } else if (pending.level === 'ap') {
      this.#ap = ok && PERSONAL_EFS.has(pending.aid) ? pending.aid : undefined;
      this.#ef = undefined;
    } else {
      // A failed SELECT EF leaves the card's current EF as it was, or not: either way we stop trusting it.
      this.#ef = ok ? pending.fid : undefined;
    }
  }

  #isPersonal(fid: string | undefined): boolean {
    if (this.#ap === undefined || fid === undefined) return true;
    return PERSONAL_EFS.get(this.#ap)?.has(fid) ?? true;
  }

  /** Which EF a read or write addresses, and whether its data must be hidden. */
  #accessTarget(ins: number, p1: number, p2: number): { personal: boolean; sfiFid?: string } {
    if (ins === 0xb0 || ins === 0xd6 || ins === 0xd0) {
      // P1 = 1 00 sssss: short EF identifier; otherwise P1-P2 is an offset into the current EF.
      if ((p1 & 0x80) !== 0) {
        if ((p1 & 0x60) !== 0) return { personal: true };
        const fid = sfiToFid(p1 & 0x1f);
        return { personal: this.#isPersonal(fid), sfiFid: fid };
      }
      return { personal: this.#isPersonal(this.#ef) };
    }
    if (ins === 0xb2 || ins === 0xb3 || ins === 0xd2 || ins === 0xdc || ins === 0xdd || ins === 0xe2) {
      // Record commands: P2 bits 8-4 are the SFI, 0 = current EF.
      const sfi = p2 >> 3;
      if (sfi === 0) return { personal: this.#isPersonal(this.#ef) };
      if (sfi === 0x1f) return { personal: true };
      const fid = sfiToFid(sfi);
      return { personal: this.#isPersonal(fid), sfiFid: fid };
    }
    // Odd-INS variants (B1, D1, D7): P1-P2 = 0000 means the current EF; anything else we do not model.
    if (p1 === 0 && p2 === 0) return { personal: this.#isPersonal(this.#ef) };
    return { personal: true };
  }
}

/** On the My Number Card the SFI is the low byte of the FID (EF 0018 ↔ SFI 18). */
function sfiToFid(sfi: number): string {
  return `00${sfi.toString(16).toUpperCase().padStart(2, '0')}`;
}

function selectTarget(apdu: Uint8Array): PendingSelect {
  const p1 = apdu[2]!;
  const data = commandData(apdu);
  if (p1 === 0x04 && data !== undefined && data.length > 0) return { level: 'ap', aid: bytesToHex(data) };
  if (p1 === 0x02 && data !== undefined && data.length === 2) return { level: 'ef', fid: bytesToHex(data) };
  // Selection by path, of the MF, of parent/child DFs: we no longer know where we are.
  return { level: 'all' };
}

/** The data field of a command APDU (short or extended Lc), or undefined when it has none or is malformed. */
export function commandData(apdu: Uint8Array): Uint8Array | undefined {
  const body = apdu.subarray(4);
  if (body.length <= 1) return undefined;
  if (body[0] !== 0) {
    const lc = body[0]!;
    if (body.length === 1 + lc || body.length === 2 + lc) return body.subarray(1, 1 + lc);
    return undefined;
  }
  if (body.length < 3) return undefined;
  const lc = (body[1]! << 8) | body[2]!;
  if (body.length === 3) return undefined; // extended case 2: Le only
  if (body.length === 3 + lc || body.length === 5 + lc) return body.subarray(3, 3 + lc);
  return undefined;
}

export interface ApduLogContext {
  readonly direction: 'command' | 'response';
  /**
   * The redactor that saw the preceding exchanges. Without one, command data of VERIFY-like commands is
   * still hidden and every response's data is hidden, since nothing is known about what was selected.
   */
  readonly redactor?: ApduRedactor;
}

/** One log line, `=> …` or `<= …`, through the same redaction as transcripts. */
export function formatApduForLog(apdu: Uint8Array, context: ApduLogContext): string {
  const redactor = context.redactor ?? new ApduRedactor();
  return context.direction === 'command' ? `=> ${redactor.command(apdu)}` : `<= ${redactor.response(apdu)}`;
}
