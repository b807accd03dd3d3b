import { CardError } from '../errors.js';
import { findTlv, parseTlvs, type Tlv } from '../tlv.js';

/** ISO 5218 as the card stores it: 1 male, 2 female, 9 not applicable. */
export type CardSexCode = '1' | '2' | '9';

/** 基本4情報 as the 券面事項入力補助AP stores them. */
export interface BasicFour {
  /** 氏名: family and given name as on the card (a full-width space between them). */
  readonly name: string;
  /** 住所: from the prefecture on, without postcode. */
  readonly address: string;
  /** 生年月日 as ISO `YYYY-MM-DD` (the card stores Gregorian `YYYYMMDD`). */
  readonly birthDate: string;
  readonly sex: CardSexCode;
}

const TAG = { container: 0xff20, header: 0xdf21, name: 0xdf22, address: 0xdf23, birth: 0xdf24, sex: 0xdf25 };

/** Parse EF 0002 of the 券面事項入力補助AP: `FF 20` { `DF 21` header, `DF 22` name, `DF 23` address, `DF 24` birth, `DF 25` sex }. */
export function parseBasicFour(content: Uint8Array): BasicFour {
  const tlvs = parseTlvs(content);
  const container = findTlv(tlvs, TAG.container);
  if (!container) throw malformed('no FF 20 container');
  const children = container.children ?? [];
  const birth = text(children, TAG.birth, 'birth date');
  if (!/^\d{8}$/.test(birth)) throw malformed('birth date is not YYYYMMDD');
  const sex = text(children, TAG.sex, 'sex');
  if (sex !== '1' && sex !== '2' && sex !== '9') throw malformed('sex code is not 1, 2 or 9');
  return {
    name: text(children, TAG.name, 'name'),
    address: text(children, TAG.address, 'address'),
    birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`,
    sex,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function text(children: readonly Tlv[], tag: number, what: string): string {
  const tlv = children.find((child) => child.tag === tag);
  if (!tlv) throw malformed(`no ${what} field`);
  try {
    return utf8.decode(tlv.value);
  } catch (cause) {
    throw new CardError('MALFORMED_RESPONSE', `the ${what} field is not UTF-8`, { cause });
  }
}

function malformed(what: string): CardError {
  return new CardError('MALFORMED_RESPONSE', `basic four: ${what}`);
}
