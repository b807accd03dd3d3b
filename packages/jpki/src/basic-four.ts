import {
  children,
  decode,
  isContext,
  isUniversal,
  malformed,
  type Node,
  oid,
  rawBytes,
  stringValue,
  tag,
} from './asn1.js';
import { toHex } from './bytes.js';
import { JPKI_OIDS } from './oids.js';

/** One SAN otherName: its type OID and its value (text of a string value, else hex of the value's DER). */
export interface OtherName {
  oid: string;
  value: string;
}

export type JpkiEra = 'meiji' | 'taisho' | 'showa' | 'heisei' | 'reiwa' | 'unknown';

/** 生年月日 `EYYYYMMDD`: the era digit (0 and unknown digits → 'unknown') and the Gregorian date. */
export interface JpkiBirthDate {
  era: JpkiEra;
  /** `YYYY-MM-DD`, always Gregorian (the era digit does not change the year). */
  date: string;
}

/** 性別 in the signing certificate: 1 male, 2 female, 3 unknown (not the card's ISO 5218 coding). */
export type JpkiSexCode = '1' | '2' | '3';

/**
 * The basic four (基本4情報) of a signing certificate, from its subjectAltName otherNames (jpki-pki.md §2.1).
 * Substitution maps hold one `0`/`1` per character (1 = the character was replaced by a substitute); null when
 * the certificate omits them.
 */
export interface BasicFourInfo {
  name: string;
  nameSubstitution: string | null;
  sex: JpkiSexCode;
  birthDate: JpkiBirthDate;
  address: string;
  addressSubstitution: string | null;
  /** Every otherName outside the six basic-four OIDs (e.g. furigana or 旧氏 added later), in certificate order. */
  otherNames: OtherName[];
}

const eraByDigit: Record<string, JpkiEra> = {
  '1': 'meiji',
  '2': 'taisho',
  '3': 'showa',
  '4': 'heisei',
  '5': 'reiwa',
};

/** Parses `EYYYYMMDD`. An unassigned era digit is 'unknown', not an error: a future era must not break parsing. */
export function parseJpkiBirthDate(value: string): JpkiBirthDate {
  const m = /^(\d)(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!m) throw malformed('basic-four birth date');
  const [, era, y, mo, d] = m as unknown as [string, string, string, string, string];
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d)
  )
    throw malformed('basic-four birth date');
  return { era: eraByDigit[era] ?? 'unknown', date: `${y}-${mo}-${d}` };
}

/**
 * Reads the otherName entries of a subjectAltName extension value (GeneralNames DER). Other GeneralName forms are
 * skipped. Each value is `[0] EXPLICIT <value>`; a string value is returned as text.
 */
export function parseOtherNames(sanValue: Uint8Array): OtherName[] {
  const names = decode(sanValue, 'subjectAltName');
  if (!isUniversal(names, tag.SEQUENCE)) throw malformed('subjectAltName');
  const out: OtherName[] = [];
  for (const general of children(names, 'subjectAltName')) {
    if (!isContext(general, 0)) continue;
    const [typeId, explicit, ...rest] = children(general, 'otherName');
    if (rest.length > 0 || !isContext(explicit, 0)) throw malformed('otherName');
    const inner = children(explicit, 'otherName value');
    if (inner.length !== 1) throw malformed('otherName value');
    const value = inner[0] as Node;
    out.push({ oid: oid(typeId, 'otherName type'), value: stringValue(value) ?? toHex(rawBytes(value)) });
  }
  return out;
}

const basicFourOids: readonly string[] = [
  JPKI_OIDS.name,
  JPKI_OIDS.nameSubstitution,
  JPKI_OIDS.sex,
  JPKI_OIDS.birthDate,
  JPKI_OIDS.address,
  JPKI_OIDS.addressSubstitution,
];

function substitutionMap(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^[01]*$/.test(value)) throw malformed('basic-four substitution map');
  return value;
}

/**
 * The basic four from a certificate's otherNames, or null when it carries none of the basic-four OIDs (an auth
 * certificate). A certificate with some but not all of name, sex, birth date and address, or with one of them
 * twice, is malformed. Order is not significant.
 */
export function basicFourFromOtherNames(otherNames: readonly OtherName[]): BasicFourInfo | null {
  const known = new Map<string, string>();
  const extra: OtherName[] = [];
  for (const entry of otherNames) {
    if (!basicFourOids.includes(entry.oid)) {
      extra.push({ ...entry });
      continue;
    }
    if (known.has(entry.oid)) throw malformed('basic-four (duplicate entry)');
    known.set(entry.oid, entry.value);
  }
  if (known.size === 0) return null;
  const name = known.get(JPKI_OIDS.name);
  const sex = known.get(JPKI_OIDS.sex);
  const birthDate = known.get(JPKI_OIDS.birthDate);
  const address = known.get(JPKI_OIDS.address);
  if (name === undefined || sex === undefined || birthDate === undefined || address === undefined)
    throw malformed('basic-four (incomplete)');
  if (sex !== '1' && sex !== '2' && sex !== '3') throw malformed('basic-four sex code');
  return {
    name,
    nameSubstitution: substitutionMap(known.get(JPKI_OIDS.nameSubstitution)),
    sex,
    birthDate: parseJpkiBirthDate(birthDate),
    address,
    addressSubstitution: substitutionMap(known.get(JPKI_OIDS.addressSubstitution)),
    otherNames: extra,
  };
}
