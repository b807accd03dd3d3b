import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { concatBytes } from '../virtual-card/tlv.js';

/*
 * The mynakit update-script protocol (UPDATE-SCRIPT.md), shared by the producer (the mock J-LIS, renewal.ts) and
 * the consumer (the virtual card's update applet). Only symmetric primitives: HMAC-SHA-256 for the command MACs and
 * key derivation, AES-256-GCM for the wrapped private keys. Node only.
 */

/** Proprietary class with secure messaging (the form GlobalPlatform uses for MACed commands). */
export const UPDATE_CLA = 0x84;

/** INS values no other command of the card uses. */
export const UPDATE_INS = {
  BEGIN: 0xf0,
  STAGE_KEY: 0xf2,
  STAGE_CERTIFICATE: 0xf4,
  ACTIVATE: 0xf6,
} as const;

export type UpdateTarget = 'auth' | 'sign';

/** True for the INS values of the update commands. */
export function isUpdateIns(ins: number): boolean {
  return (Object.values(UPDATE_INS) as number[]).includes(ins);
}

/** P1 of STAGE KEY / STAGE CERTIFICATE: which JPKI key and certificate the data is for. */
export const UPDATE_TARGET_P1: Readonly<Record<UpdateTarget, number>> = { auth: 0x01, sign: 0x02 };

/** What the card answers (UPDATE-SCRIPT.md "Status words"). */
export const UPDATE_SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  /** No script open, a command out of sequence, or a counter differing from the open script's. */
  OUT_OF_SEQUENCE: 0x6982,
  /** BEGIN with a counter not greater than the last applied one: a replayed (or stale) script. */
  REPLAYED: 0x6985,
  /** The JPKI application is not selected. */
  NOT_IN_JPKI: 0x6986,
  /** The MAC does not verify. */
  MAC_INVALID: 0x6988,
  /** Malformed payload, undecryptable key, certificate that does not match its key, incomplete staging. */
  BAD_DATA: 0x6a80,
  WRONG_P1P2: 0x6a86,
  INS_NOT_SUPPORTED: 0x6d00,
} as const;

export const CARD_ID_LENGTH = 8;
export const SCRIPT_ID_LENGTH = 16;
export const MAC_LENGTH = 16;
export const RECEIPT_LENGTH = 16;
/** counter (4) ‖ sequence (2) before the payload. */
export const BODY_HEADER_LENGTH = 6;
/** total (2) ‖ offset (2) before each chunk of STAGE KEY / STAGE CERTIFICATE. */
export const CHUNK_HEADER_LENGTH = 4;
/** Largest chunk so that every command fits a short APDU: 255 − 6 − 4 − 16. */
export const MAX_CHUNK = 255 - BODY_HEADER_LENGTH - CHUNK_HEADER_LENGTH - MAC_LENGTH;
/** AES-GCM nonce and tag sizes of a wrapped key. */
export const WRAP_IV_LENGTH = 12;
export const WRAP_TAG_LENGTH = 16;

const DOMAIN = 'MNK-UPD1';

/**
 * The issuer master key of the mock J-LIS. TEST ONLY: a constant derived from a public label, so that any test
 * (and any virtual card without explicit card-management data) agrees on it.
 */
export const TEST_ISSUER_MASTER_KEY: Uint8Array = new Uint8Array(
  createHash('sha256').update('mynakit TEST ONLY card-issuer master key v1').digest(),
);

const enc = (s: string) => new TextEncoder().encode(s);

function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The 8-byte card identifier of a virtual card built for a persona (J-LIS knows it from its issuance records). */
export function defaultCardId(personaId: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`mynakit card id|${personaId}`).digest().subarray(0, 8));
}

/** The per-card update key: the master key diversified by the card id. Only this key is stored on the card. */
export function deriveCardUpdateKey(masterKey: Uint8Array, cardId: Uint8Array): Uint8Array {
  if (cardId.length !== CARD_ID_LENGTH) throw new RangeError('a card id is 8 bytes');
  return hmac(masterKey, enc(`${DOMAIN}|card-key`), cardId);
}

/** Separate MAC and encryption keys from the card key, so no key serves two algorithms. */
function subKey(cardKey: Uint8Array, purpose: 'mac' | 'enc'): Uint8Array {
  return hmac(cardKey, enc(`${DOMAIN}|${purpose}`));
}

/** The fields a command MAC covers. */
export interface MacInput {
  cardId: Uint8Array;
  scriptId: Uint8Array;
  header: Uint8Array; // CLA INS P1 P2
  counter: number;
  sequence: number;
  payload: Uint8Array;
}

/** HMAC-SHA-256 over domain ‖ card id ‖ script id ‖ CLA INS P1 P2 ‖ counter ‖ sequence ‖ payload, first 16 bytes. */
export function commandMac(cardKey: Uint8Array, m: MacInput): Uint8Array {
  return hmac(
    subKey(cardKey, 'mac'),
    enc(`${DOMAIN}|cmd`),
    m.cardId,
    m.scriptId,
    m.header,
    u32(m.counter),
    u16(m.sequence),
    u16(m.payload.length),
    m.payload,
  ).subarray(0, MAC_LENGTH);
}

/** What ACTIVATE returns: proof for J-LIS that this card applied this script (the booth cannot forge it). */
export function activationReceipt(
  cardKey: Uint8Array,
  cardId: Uint8Array,
  scriptId: Uint8Array,
  counter: number,
): Uint8Array {
  return hmac(subKey(cardKey, 'mac'), enc(`${DOMAIN}|activated`), cardId, scriptId, u32(counter)).subarray(
    0,
    RECEIPT_LENGTH,
  );
}

function wrapAad(
  cardId: Uint8Array,
  scriptId: Uint8Array,
  counter: number,
  target: UpdateTarget,
): Uint8Array {
  return concatBytes(enc(`${DOMAIN}|key|${target}`), cardId, scriptId, u32(counter));
}

/** AES-256-GCM of a PKCS#8 key for one card, script and target: IV ‖ ciphertext ‖ tag. */
export function wrapPrivateKey(
  cardKey: Uint8Array,
  ctx: { cardId: Uint8Array; scriptId: Uint8Array; counter: number; target: UpdateTarget },
  pkcs8: Uint8Array,
): Uint8Array {
  const iv = new Uint8Array(randomBytes(WRAP_IV_LENGTH));
  const cipher = createCipheriv('aes-256-gcm', subKey(cardKey, 'enc'), iv);
  cipher.setAAD(wrapAad(ctx.cardId, ctx.scriptId, ctx.counter, ctx.target));
  const ct = concatBytes(new Uint8Array(cipher.update(pkcs8)), new Uint8Array(cipher.final()));
  return concatBytes(iv, ct, new Uint8Array(cipher.getAuthTag()));
}

/** Inverse of `wrapPrivateKey`; undefined when the blob is not authentic. */
export function unwrapPrivateKey(
  cardKey: Uint8Array,
  ctx: { cardId: Uint8Array; scriptId: Uint8Array; counter: number; target: UpdateTarget },
  blob: Uint8Array,
): Uint8Array | undefined {
  if (blob.length <= WRAP_IV_LENGTH + WRAP_TAG_LENGTH) return undefined;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      subKey(cardKey, 'enc'),
      blob.subarray(0, WRAP_IV_LENGTH),
    );
    decipher.setAAD(wrapAad(ctx.cardId, ctx.scriptId, ctx.counter, ctx.target));
    decipher.setAuthTag(blob.subarray(blob.length - WRAP_TAG_LENGTH));
    return concatBytes(
      new Uint8Array(decipher.update(blob.subarray(WRAP_IV_LENGTH, blob.length - WRAP_TAG_LENGTH))),
      new Uint8Array(decipher.final()),
    );
  } catch {
    return undefined;
  }
}

/** Builds one authenticated command: header ‖ Lc ‖ counter ‖ sequence ‖ payload ‖ MAC [‖ Le]. Short form only. */
export function encodeUpdateCommand(
  cardKey: Uint8Array,
  c: {
    cardId: Uint8Array;
    scriptId: Uint8Array;
    ins: number;
    p1: number;
    counter: number;
    sequence: number;
    payload: Uint8Array;
    le?: number;
  },
): Uint8Array {
  const header = Uint8Array.of(UPDATE_CLA, c.ins, c.p1, 0x00);
  const mac = commandMac(cardKey, { ...c, header });
  const data = concatBytes(u32(c.counter), u16(c.sequence), c.payload, mac);
  if (data.length > 255) throw new RangeError('an update command must fit a short APDU');
  return concatBytes(
    header,
    Uint8Array.of(data.length),
    data,
    c.le === undefined ? new Uint8Array(0) : Uint8Array.of(c.le & 0xff),
  );
}

/** Splits a command body into its fields; undefined when it is too short to hold them. */
export function decodeUpdateBody(
  data: Uint8Array,
): { counter: number; sequence: number; payload: Uint8Array; mac: Uint8Array } | undefined {
  if (data.length < BODY_HEADER_LENGTH + MAC_LENGTH) return undefined;
  const counter = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
  const sequence = (data[4]! << 8) | data[5]!;
  return {
    counter,
    sequence,
    payload: data.subarray(BODY_HEADER_LENGTH, data.length - MAC_LENGTH),
    mac: data.subarray(data.length - MAC_LENGTH),
  };
}

/** `total ‖ offset ‖ chunk` payloads that carry `bytes` in order. */
export function chunkPayloads(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0 || bytes.length > 0xffff) throw new RangeError('staged data must be 1..65535 bytes');
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += MAX_CHUNK) {
    out.push(concatBytes(u16(bytes.length), u16(offset), bytes.subarray(offset, offset + MAX_CHUNK)));
  }
  return out;
}

export { u16, u32 };
