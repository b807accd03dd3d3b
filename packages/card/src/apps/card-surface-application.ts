import { CardError } from '../errors.js';
import { encodeVerificationNumberA, encodeVerificationNumberB } from '../inputs.js';
import { parseTlvs, type Tlv } from '../tlv.js';
import { CARD_SURFACE_EF } from './aids.js';
import { text } from './basic-four.js';
import type { CardSession } from './card-session.js';
import { type LockGuardOptions, type PinStatus, readPinStatus, verifyPin } from './pins.js';

/** The front of the card as the 券面AP stores it (EF 0002). Images are the card's own bytes. */
export interface CardFront {
  /** `DF 22`, as stored (Gregorian YYYYMMDD on the cards and emulators seen). */
  readonly birthDate: string;
  /** `DF 23`: ISO 5218 code. */
  readonly sex: string;
  /** `DF 29`: card expiry as stored. */
  readonly expiry: string;
  /** `DF 27`: the face photo, JPEG 2000 (monochrome on the chip). */
  readonly facePhoto: Uint8Array;
  /** `DF 25`: the printed name as a PNG image. */
  readonly nameImage: Uint8Array;
  /** `DF 26`: the printed address as a PNG image. */
  readonly addressImage: Uint8Array;
  /** `DF 2A`: the security code as a PNG image. */
  readonly securityCodeImage: Uint8Array;
  /** `DF 24`: the public key (TLVs of exponent and modulus) that checks `signature`. */
  readonly publicKey: Uint8Array;
  /** `DF 28`: the issuer's signature over the front data. */
  readonly signature: Uint8Array;
  /** `DF 21`: the header/offset table. */
  readonly header: Uint8Array;
  /** The whole EF content, for callers who verify the signature themselves. */
  readonly raw: Uint8Array;
}

export interface CardBack {
  /** `DF 41`: the My Number as printed, a PNG image. Personal data: handle like the My Number itself. */
  readonly myNumberImage: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
  readonly raw: Uint8Array;
}

/**
 * 券面AP (券面確認AP): what is printed on the card, as data. 照合番号B opens the front; 照合番号A opens the
 * front and the back (which shows the My Number).
 */
export class CardSurfaceApplication {
  constructor(private readonly session: CardSession) {}

  async pinStatus(pin: 'surfaceNumberA' | 'surfaceNumberB'): Promise<PinStatus> {
    return readPinStatus(this.session, pin);
  }

  async verifyNumberA(numberA: string, guard?: LockGuardOptions): Promise<void> {
    await verifyPin(this.session, 'surfaceNumberA', encodeVerificationNumberA(numberA), guard);
  }

  async verifyNumberB(numberB: string, guard?: LockGuardOptions): Promise<void> {
    await verifyPin(this.session, 'surfaceNumberB', encodeVerificationNumberB(numberB), guard);
  }

  async readFront(): Promise<CardFront> {
    const raw = await this.readFile(CARD_SURFACE_EF.front, 'front');
    const fields = containerChildren(raw, 0xff20, 'front');
    const bytes = (tag: number, what: string): Uint8Array => field(fields, tag, what).value;
    return {
      birthDate: text(fields, 0xdf22, 'birth date'),
      sex: text(fields, 0xdf23, 'sex'),
      expiry: text(fields, 0xdf29, 'expiry'),
      facePhoto: bytes(0xdf27, 'face photo'),
      nameImage: bytes(0xdf25, 'name image'),
      addressImage: bytes(0xdf26, 'address image'),
      securityCodeImage: bytes(0xdf2a, 'security code image'),
      publicKey: bytes(0xdf24, 'public key'),
      signature: bytes(0xdf28, 'signature'),
      header: bytes(0xdf21, 'header'),
      raw,
    };
  }

  /** The face photo alone (JPEG 2000), the input of the face check in the booth workflows. */
  async readFacePhoto(): Promise<Uint8Array> {
    return (await this.readFront()).facePhoto;
  }

  async readBack(): Promise<CardBack> {
    const raw = await this.readFile(CARD_SURFACE_EF.back, 'back');
    const fields = containerChildren(raw, 0xff40, 'back');
    return {
      myNumberImage: field(fields, 0xdf41, 'My Number image').value,
      publicKey: field(fields, 0xdf42, 'public key').value,
      signature: field(fields, 0xdf43, 'signature').value,
      raw,
    };
  }

  private async readFile(fid: number, what: string): Promise<Uint8Array> {
    await this.session.selectApplication('cardSurface');
    const raw = await this.session.readTlvFile(fid);
    if (raw === null) throw new CardError('MALFORMED_RESPONSE', `the card-surface ${what} EF is empty`);
    return raw;
  }
}

function containerChildren(raw: Uint8Array, tag: number, what: string): readonly Tlv[] {
  const container = parseTlvs(raw).find((tlv) => tlv.tag === tag);
  if (!container?.children) {
    throw new CardError(
      'MALFORMED_RESPONSE',
      `card-surface ${what}: no ${tag.toString(16).toUpperCase()} container`,
    );
  }
  return container.children;
}

function field(fields: readonly Tlv[], tag: number, what: string): Tlv {
  const tlv = fields.find((f) => f.tag === tag);
  if (!tlv) throw new CardError('MALFORMED_RESPONSE', `card surface: no ${what} field`);
  return tlv;
}
