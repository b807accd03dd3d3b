import { CardError } from '../errors.js';
import { encodeInputSupportPin, encodeVerificationNumberA, encodeVerificationNumberB } from '../inputs.js';
import { isValidMyNumber } from '../my-number.js';
import { findTlv, parseTlvs } from '../tlv.js';
import { INPUT_SUPPORT_EF } from './aids.js';
import { type BasicFour, parseBasicFour } from './basic-four.js';
import type { CardSession } from './card-session.js';
import { type LockGuardOptions, type PinStatus, readPinStatus, verifyPin } from './pins.js';
import { type MyNumber, Sensitive } from './sensitive.js';

export interface IntegrityData {
  /** `DF 31`: SHA-256 over the My Number data. */
  readonly myNumberHash: Uint8Array;
  /** `DF 32`: SHA-256 over the basic-four data. */
  readonly basicFourHash: Uint8Array;
  /** `DF 33`: the issuer's RSA-2048 signature. */
  readonly signature: Uint8Array;
  readonly raw: Uint8Array;
}

/** Both tag forms seen for the My Number object: the minimal `D0` and the card's apparent `DF 10`. */
const MY_NUMBER_TAGS = [0xdf10, 0xd0];

/**
 * 券面事項入力補助AP: My Number and the basic four as text, and the issuer's integrity data.
 * Unlock with the 4-digit PIN, or 照合番号A (the My Number: unlocks both) or 照合番号B (unlocks the basic four only).
 */
export class InputSupportApplication {
  constructor(private readonly session: CardSession) {}

  async pinStatus(
    pin: 'inputSupportPin' | 'inputSupportNumberA' | 'inputSupportNumberB' = 'inputSupportPin',
  ): Promise<PinStatus> {
    return readPinStatus(this.session, pin);
  }

  async verifyPin(pin: string, guard?: LockGuardOptions): Promise<void> {
    await verifyPin(this.session, 'inputSupportPin', encodeInputSupportPin(pin), guard);
  }

  /** 照合番号A: the 12-digit My Number printed on the back of the card. */
  async verifyNumberA(numberA: string, guard?: LockGuardOptions): Promise<void> {
    await verifyPin(this.session, 'inputSupportNumberA', encodeVerificationNumberA(numberA), guard);
  }

  /** 照合番号B: birth date YYMMDD (era year) + expiry year + security code, 14 digits. */
  async verifyNumberB(numberB: string, guard?: LockGuardOptions): Promise<void> {
    await verifyPin(this.session, 'inputSupportNumberB', encodeVerificationNumberB(numberB), guard);
  }

  /** The 個人番号. Collect it only where the law allows; it comes wrapped so that it never reaches a log. */
  async readMyNumber(): Promise<MyNumber> {
    await this.session.selectApplication('inputSupport');
    const content = await this.session.readFixed(INPUT_SUPPORT_EF.myNumber, 17);
    const tlvs = parseTlvs(content);
    const tlv = tlvs.find((t) => MY_NUMBER_TAGS.includes(t.tag));
    if (!tlv) throw new CardError('MALFORMED_RESPONSE', 'My Number EF holds no My Number object');
    const digits = new TextDecoder('ascii').decode(tlv.value);
    if (!isValidMyNumber(digits)) {
      throw new CardError('MALFORMED_RESPONSE', 'the My Number on the card fails its check digit');
    }
    return new Sensitive(digits, 'My Number');
  }

  async readBasicFour(): Promise<BasicFour> {
    await this.session.selectApplication('inputSupport');
    const content = await this.session.readTlvFile(INPUT_SUPPORT_EF.basicFour);
    if (content === null) throw new CardError('MALFORMED_RESPONSE', 'the basic-four EF is empty');
    return parseBasicFour(content);
  }

  async readIntegrity(): Promise<IntegrityData> {
    await this.session.selectApplication('inputSupport');
    const raw = await this.session.readTlvFile(INPUT_SUPPORT_EF.integrity);
    if (raw === null) throw new CardError('MALFORMED_RESPONSE', 'the integrity EF is empty');
    const tlvs = parseTlvs(raw);
    const field = (tag: number, length: number, what: string): Uint8Array => {
      const tlv = findTlv(tlvs, tag);
      if (!tlv || tlv.value.length !== length) {
        throw new CardError('MALFORMED_RESPONSE', `integrity data: ${what} missing or not ${length} bytes`);
      }
      return tlv.value;
    };
    return {
      myNumberHash: field(0xdf31, 32, 'My Number hash'),
      basicFourHash: field(0xdf32, 32, 'basic-four hash'),
      signature: field(0xdf33, 256, 'signature'),
      raw,
    };
  }
}
