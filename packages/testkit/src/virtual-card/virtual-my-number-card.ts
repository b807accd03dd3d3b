import { constants, createPrivateKey, type KeyObject, privateEncrypt } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CardEmulator } from '@mynakit/card';
import { isUpdateIns, UPDATE_CLA } from '../jlis/update-protocol.js';
import type { Persona } from '../personas/persona-schema.js';
import {
  type Access,
  type Application,
  type BinaryEf,
  type CardOptions,
  type CardState,
  type CardStateInput,
  cardOptionsSchema,
  cardStateSchema,
  type ElementaryFile,
  type PinEf,
  type PinFormat,
} from './card-state.js';
import { type CommandApdu, parseCommandApdu } from './command-apdu.js';
import { moreDataSw, SW, triesLeftSw } from './status-words.js';
import { bytesToHex, hexToBytes } from './tlv.js';
import { defaultCardManagement, UpdateApplet } from './update-applet.js';

/** Options that change how the card talks, not what it holds. */
export interface VirtualCardRuntimeOptions {
  extendedLength?: boolean;
  /** ATR bytes; default the contact ATR `3B E0 00 FF 81 31 FE 45 14` (CONTACTLESS_ATR is exported too). */
  atr?: Uint8Array;
  /** Serve answers longer than this in pieces: first piece + `61xx`, the rest with GET RESPONSE. */
  getResponseChunk?: number | null;
  /** SW for VERIFY with data on a blocked PIN: 0x6984 (default) or 0x6983. */
  blockedSw?: 0x6984 | 0x6983;
  /**
   * Save the state to this file after every persistent change (PIN counters and values, EF updates),
   * so a blocked PIN stays blocked across processes.
   */
  stateFile?: string;
}

/** Largest DigestInfo the card signs: RSA-2048 PKCS#1 v1.5 leaves 256 − 11 bytes. */
const MAX_SIGN_INPUT = 245;

const INS = {
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  VERIFY: 0x20,
  CHANGE: 0x24,
  SIGN: 0x2a,
  GET_RESPONSE: 0xc0,
} as const;

/** Which CLA each supported INS takes: ISO commands use 00, the JPKI signature uses the proprietary 80. */
const claFor: Record<number, number> = {
  [INS.SELECT]: 0x00,
  [INS.READ_BINARY]: 0x00,
  [INS.VERIFY]: 0x00,
  [INS.CHANGE]: 0x00,
  [INS.SIGN]: 0x80,
  [INS.GET_RESPONSE]: 0x00,
};

const formatRules: Record<PinFormat, { length: (n: number) => boolean; chars: RegExp }> = {
  digits4: { length: (n) => n === 4, chars: /^\d+$/ },
  password: { length: (n) => n >= 6 && n <= 16, chars: /^[A-Z0-9]+$/ },
  digits12: { length: (n) => n === 12, chars: /^\d+$/ },
  digits14: { length: (n) => n === 14, chars: /^\d+$/ },
};

interface Reply {
  data?: Uint8Array;
  sw: number;
}

/**
 * A software My Number Card: JPKI-AP, 券面事項入力補助AP and 券面AP with real RSA-2048 keys, answering raw APDUs
 * exactly as card-protocol.md §8 prescribes. Build one with `createVirtualCard()`; persist it with `toState()` /
 * `saveState()`.
 */
export class VirtualMyNumberCard implements CardEmulator {
  private readonly state: CardState;
  private stateFile: string | undefined;
  private atrBytes: Uint8Array;

  // Volatile session state: lost on power off and reset.
  private powered = true;
  private currentApp: Application | undefined;
  private currentEf: ElementaryFile | undefined;
  private readonly verified = new Set<PinEf>();
  private pending: { data: Uint8Array; sw: number } | undefined;
  private readonly keyCache = new Map<string, KeyObject>();
  /** Receives update scripts (CLA 84); what it stages lives in RAM only. */
  private readonly updateApplet: UpdateApplet;

  constructor(state: CardStateInput, runtime: VirtualCardRuntimeOptions = {}) {
    const parsed = cardStateSchema.parse(structuredClone(state));
    parsed.options = cardOptionsSchema.parse({
      ...parsed.options,
      ...(runtime.extendedLength !== undefined && { extendedLength: runtime.extendedLength }),
      ...(runtime.atr !== undefined && { atr: bytesToHex(runtime.atr) }),
      ...(runtime.getResponseChunk !== undefined && { getResponseChunk: runtime.getResponseChunk }),
      ...(runtime.blockedSw !== undefined && { blockedSw: runtime.blockedSw }),
    });
    for (const app of parsed.applications) {
      for (const ef of app.efs) {
        if (ef.type === 'binary' && Buffer.from(ef.content, 'base64').length > ef.size) {
          throw new RangeError(`EF ${ef.fid} of ${app.name}: content exceeds the EF size`);
        }
      }
    }
    // Cards saved before card management existed get the test default (test master key, persona card id).
    parsed.cardManagement ??= defaultCardManagement(parsed.persona.id);
    this.state = parsed;
    this.stateFile = runtime.stateFile;
    const management = parsed.cardManagement;
    this.updateApplet = new UpdateApplet({
      state: parsed,
      management: () => management,
      jpkiSelected: () => this.currentApp?.name === 'jpki',
      commit: () => this.commit(),
    });
    this.atrBytes = hexToBytes(parsed.options.atr);
  }

  /** Rebuilds a card from `toState()` output (validated with the zod schema). */
  static fromState(state: unknown, runtime: VirtualCardRuntimeOptions = {}): VirtualMyNumberCard {
    return new VirtualMyNumberCard(cardStateSchema.parse(state), runtime);
  }

  /** Loads a card saved with `saveState()`. */
  static loadState(file: string, runtime: VirtualCardRuntimeOptions = {}): VirtualMyNumberCard {
    return VirtualMyNumberCard.fromState(JSON.parse(readFileSync(file, 'utf8')), runtime);
  }

  /** The persona the card was issued to (public test data, including its documented PINs). */
  get persona(): Persona {
    return this.state.persona;
  }

  get options(): Readonly<CardOptions> {
    return this.state.options;
  }

  /** DER certificates on the card (the signing one is null when the card has none). */
  get certificates(): { sign: Uint8Array | null; signCa: Uint8Array; auth: Uint8Array; authCa: Uint8Array } {
    const c = this.state.certificates;
    const der = (b: string) => new Uint8Array(Buffer.from(b, 'base64'));
    return {
      sign: c.sign === null ? null : der(c.sign),
      signCa: der(c.signCa),
      auth: der(c.auth),
      authCa: der(c.authCa),
    };
  }

  get atr(): Uint8Array {
    return this.atrBytes.slice();
  }

  /** The card id J-LIS addresses update scripts to, and the counter of the last applied script (no key). */
  get cardManagement(): { cardId: string; scriptCounter: number } {
    const m = this.state.cardManagement;
    return { cardId: m?.cardId ?? '', scriptCounter: m?.scriptCounter ?? 0 };
  }

  /** A deep copy of the persistent state (PINs, counters, keys, certificates, file contents, options). */
  toState(): CardState {
    return structuredClone(this.state);
  }

  /** Writes the state as JSON (atomically: temp file + rename). */
  saveState(file: string): void {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  }

  /** Keep saving to `file` after every persistent change (or stop with undefined). */
  persistTo(file: string | undefined): void {
    this.stateFile = file;
    if (file) this.saveState(file);
  }

  powerOn(): void {
    this.powered = true;
    this.clearSession();
  }

  powerOff(): void {
    this.powered = false;
    this.clearSession();
  }

  reset(): void {
    this.powered = true;
    this.clearSession();
  }

  /**
   * The file table as data, for tests and card-management tooling: the live application object (mutations act
   * on the card; call `commit()` afterwards to persist them).
   */
  application(nameOrAid: string): Application | undefined {
    const key = nameOrAid.toUpperCase();
    return this.state.applications.find((a) => a.name === nameOrAid || a.aid === key);
  }

  /** Replaces the content of a binary EF (e.g. a card-management write); validated against the EF size. */
  writeBinary(app: string, fid: string, content: Uint8Array): void {
    const ef = this.application(app)?.efs.find((e) => e.fid === fid.toUpperCase());
    if (ef?.type !== 'binary') throw new RangeError(`no binary EF ${fid} in ${app}`);
    if (content.length > ef.size) throw new RangeError(`content exceeds the size of EF ${fid}`);
    ef.content = Buffer.from(content).toString('base64');
    this.commit();
  }

  /** Persists the state to the state file, if one is set. */
  commit(): void {
    if (this.stateFile) this.saveState(this.stateFile);
  }

  transmit(apdu: Uint8Array): Uint8Array {
    if (!this.powered) throw new Error('the virtual card is powered off');
    const reply = this.process(apdu);
    return encodeReply(reply);
  }

  private clearSession(): void {
    this.currentApp = undefined;
    this.currentEf = undefined;
    this.verified.clear();
    this.pending = undefined;
    this.updateApplet.discard();
  }

  private process(bytes: Uint8Array): Reply {
    if (bytes.length < 4) return { sw: SW.WRONG_LENGTH };
    const cla = bytes[0]!;
    const ins = bytes[1]!;
    // A GET RESPONSE continues the pending answer; anything else drops it.
    const pending = this.pending;
    this.pending = undefined;
    if (cla === UPDATE_CLA) {
      // Same order as the other classes: an unknown INS is answered before any length check.
      if (!isUpdateIns(ins)) return { sw: SW.INS_NOT_SUPPORTED };
      const apdu = parseCommandApdu(bytes);
      if (!apdu || (apdu.extended && !this.state.options.extendedLength)) return { sw: SW.WRONG_LENGTH };
      return this.chunked(this.updateApplet.process(apdu));
    }
    if (cla !== 0x00 && cla !== 0x80) return { sw: SW.CLA_NOT_SUPPORTED };
    const expectedCla = claFor[ins];
    if (expectedCla === undefined) return { sw: SW.INS_NOT_SUPPORTED };
    if (cla !== expectedCla) return { sw: SW.CLA_NOT_SUPPORTED };
    const apdu = parseCommandApdu(bytes);
    if (!apdu) return { sw: SW.WRONG_LENGTH };
    if (apdu.extended && !this.state.options.extendedLength) return { sw: SW.WRONG_LENGTH };
    let reply: Reply;
    switch (ins) {
      case INS.SELECT:
        reply = this.select(apdu);
        break;
      case INS.READ_BINARY:
        reply = this.readBinary(apdu);
        break;
      case INS.VERIFY:
        reply = this.verify(apdu);
        break;
      case INS.CHANGE:
        reply = this.changeReferenceData(apdu);
        break;
      case INS.SIGN:
        reply = this.computeSignature(apdu);
        break;
      default:
        return this.getResponse(apdu, pending);
    }
    return this.chunked(reply);
  }

  /** Splits a long answer when getResponseChunk is set. */
  private chunked(reply: Reply): Reply {
    const chunk = this.state.options.getResponseChunk;
    if (chunk === null || !reply.data || reply.data.length <= chunk) return reply;
    const rest = reply.data.subarray(chunk);
    this.pending = { data: rest, sw: reply.sw };
    return { data: reply.data.subarray(0, chunk), sw: moreDataSw(rest.length) };
  }

  private getResponse(apdu: CommandApdu, pending: { data: Uint8Array; sw: number } | undefined): Reply {
    if (apdu.p1 !== 0 || apdu.p2 !== 0) return { sw: SW.WRONG_P1P2 };
    if (apdu.data !== undefined || apdu.le === undefined) return { sw: SW.WRONG_LENGTH };
    if (!pending) return { sw: SW.CONDITIONS_NOT_SATISFIED };
    const chunk = this.state.options.getResponseChunk ?? 65536;
    const n = Math.min(apdu.le, chunk, pending.data.length);
    const rest = pending.data.subarray(n);
    if (rest.length === 0) return { data: pending.data.subarray(0, n), sw: pending.sw };
    this.pending = { data: rest, sw: pending.sw };
    return { data: pending.data.subarray(0, n), sw: moreDataSw(rest.length) };
  }

  private select(apdu: CommandApdu): Reply {
    // P2 0C = no response data; 00 (FCI requested) is accepted and answered without FCI.
    if (apdu.p2 !== 0x0c && apdu.p2 !== 0x00) return { sw: SW.WRONG_P1P2 };
    if (apdu.p1 === 0x04) {
      if (!apdu.data || apdu.data.length > 16) return { sw: SW.WRONG_LENGTH };
      const aid = bytesToHex(apdu.data);
      const app = this.state.applications.find((a) => a.aid === aid);
      if (!app) return { sw: SW.FILE_NOT_FOUND };
      // Selecting any AP (the current one included) clears every verified state.
      this.currentApp = app;
      this.currentEf = undefined;
      this.verified.clear();
      return { sw: SW.OK };
    }
    if (apdu.p1 === 0x02) {
      if (apdu.data?.length !== 2) return { sw: SW.WRONG_LENGTH };
      const fid = bytesToHex(apdu.data);
      const ef = this.currentApp?.efs.find((e) => e.fid === fid);
      if (!ef) return { sw: SW.FILE_NOT_FOUND };
      this.currentEf = ef;
      return { sw: SW.OK };
    }
    return { sw: SW.WRONG_P1P2 };
  }

  /** EF by short file identifier: SFI n is the EF whose FID is 00nn (n = 1..30). */
  private efBySfi(sfi: number): ElementaryFile | undefined {
    return this.currentApp?.efs.find((e) => Number.parseInt(e.fid, 16) === sfi);
  }

  private granted(access: Access): boolean {
    if (access === 'always') return true;
    if (access === 'never') return false;
    return access.anyOf.some((fid) => {
      const ef = this.currentApp?.efs.find((e) => e.fid === fid);
      return ef?.type === 'pin' && this.verified.has(ef);
    });
  }

  private readBinary(apdu: CommandApdu): Reply {
    if (apdu.data !== undefined || apdu.le === undefined) return { sw: SW.WRONG_LENGTH };
    let ef: ElementaryFile | undefined;
    let offset: number;
    if (apdu.p1 & 0x80) {
      const sfi = apdu.p1 & 0x1f;
      if (apdu.p1 & 0x60 || sfi === 0) return { sw: SW.WRONG_P1P2 };
      if (!this.currentApp) return { sw: SW.NO_CURRENT_EF };
      ef = this.efBySfi(sfi);
      if (!ef) return { sw: SW.FILE_NOT_FOUND };
      this.currentEf = ef; // reading by SFI also selects the EF
      offset = apdu.p2;
    } else {
      ef = this.currentEf;
      if (!ef) return { sw: SW.NO_CURRENT_EF };
      offset = (apdu.p1 << 8) | apdu.p2;
    }
    // PIN and key EFs are never readable.
    if (ef.type !== 'binary' || !this.granted(ef.read)) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    if (offset >= ef.size) return { sw: SW.OFFSET_OUT_OF_RANGE };
    const n = Math.min(apdu.le, ef.size - offset);
    const data = paddedSlice(ef, offset, n);
    return { data, sw: n < apdu.le ? SW.END_OF_FILE : SW.OK };
  }

  /** The PIN EF a VERIFY / CHANGE REFERENCE DATA addresses: P2 = 80 (current EF) or 80|SFI. */
  private pinFor(apdu: CommandApdu): PinEf | Reply {
    if ((apdu.p2 & 0xe0) !== 0x80) return { sw: SW.WRONG_P1P2 };
    if (!this.currentApp) return { sw: SW.NO_CURRENT_EF };
    const sfi = apdu.p2 & 0x1f;
    if (sfi === 0) {
      const ef = this.currentEf;
      if (ef?.type !== 'pin') return { sw: SW.NO_CURRENT_EF };
      return ef;
    }
    const ef = this.efBySfi(sfi);
    if (ef?.type !== 'pin') return { sw: SW.FILE_NOT_FOUND };
    return ef;
  }

  private verify(apdu: CommandApdu): Reply {
    if (apdu.p1 !== 0x00) return { sw: SW.WRONG_P1P2 };
    if (apdu.le !== undefined) return { sw: SW.WRONG_LENGTH };
    const ef = this.pinFor(apdu);
    if (!('type' in ef)) return ef;
    const pin = ef.pin;
    // Retry query: consumes nothing, also after a successful VERIFY.
    if (apdu.data === undefined) return { sw: triesLeftSw(pin.value === null ? 0 : pin.triesLeft) };
    if (pin.value === null || pin.triesLeft === 0) return { sw: this.state.options.blockedSw };
    if (equalBytes(apdu.data, new TextEncoder().encode(pin.value))) {
      pin.triesLeft = pin.maxTries;
      this.verified.add(ef);
      this.commit();
      return { sw: SW.OK };
    }
    pin.triesLeft -= 1;
    this.verified.delete(ef);
    this.commit();
    return { sw: triesLeftSw(pin.triesLeft) };
  }

  private changeReferenceData(apdu: CommandApdu): Reply {
    // Only P1 = 01 (new reference data alone, after VERIFY) is supported.
    if (apdu.p1 !== 0x01) return { sw: SW.WRONG_P1P2 };
    if (apdu.data === undefined || apdu.le !== undefined) return { sw: SW.WRONG_LENGTH };
    const ef = this.pinFor(apdu);
    if (!('type' in ef)) return ef;
    const pin = ef.pin;
    if (!pin.changeable) return { sw: SW.CONDITIONS_NOT_SATISFIED };
    if (pin.value === null || pin.triesLeft === 0) return { sw: this.state.options.blockedSw };
    if (!this.verified.has(ef)) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    const rule = formatRules[pin.format];
    if (!rule.length(apdu.data.length)) return { sw: SW.WRONG_LENGTH };
    const value = String.fromCharCode(...apdu.data);
    if (!rule.chars.test(value)) return { sw: SW.WRONG_DATA };
    pin.value = value;
    pin.triesLeft = pin.maxTries;
    this.commit();
    return { sw: SW.OK };
  }

  private computeSignature(apdu: CommandApdu): Reply {
    if (apdu.p1 !== 0x00 || apdu.p2 !== 0x80) return { sw: SW.WRONG_P1P2 };
    if (apdu.data === undefined || apdu.le === undefined || apdu.le < 256) return { sw: SW.WRONG_LENGTH };
    if (apdu.data.length > MAX_SIGN_INPUT) return { sw: SW.WRONG_LENGTH };
    const ef = this.currentEf;
    if (!this.currentApp || ef?.type !== 'key') return { sw: SW.NO_CURRENT_EF };
    if (!this.granted(ef.use)) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    if (ef.privateKey === null) return { sw: SW.CONDITIONS_NOT_SATISFIED };
    let key = this.keyCache.get(ef.privateKey);
    if (!key) {
      key = createPrivateKey({ key: Buffer.from(ef.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
      this.keyCache.set(ef.privateKey, key);
    }
    // The card pads with PKCS#1 v1.5 block type 01 and applies the private key: the host sends a DigestInfo.
    const signature = privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, apdu.data);
    return { data: new Uint8Array(signature), sw: SW.OK };
  }
}

function paddedSlice(ef: BinaryEf, offset: number, length: number): Uint8Array {
  const content = Buffer.from(ef.content, 'base64');
  const out = new Uint8Array(length).fill(0xff);
  if (offset < content.length) out.set(content.subarray(offset, Math.min(content.length, offset + length)));
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function encodeReply(reply: Reply): Uint8Array {
  const data = reply.data ?? new Uint8Array(0);
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = reply.sw >> 8;
  out[data.length + 1] = reply.sw & 0xff;
  return out;
}

/** Saves a card's state to a JSON file. */
export function saveState(card: VirtualMyNumberCard, file: string): void {
  card.saveState(file);
}

/** Loads a card saved with `saveState()`. */
export function loadState(file: string, runtime: VirtualCardRuntimeOptions = {}): VirtualMyNumberCard {
  return VirtualMyNumberCard.loadState(file, runtime);
}
