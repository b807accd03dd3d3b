import { createHash, createPrivateKey, sign as rsaSign } from 'node:crypto';
import { rsaComponentsOf } from '../ca/test-keys.js';
import { collationNumberA, collationNumberB } from '../personas/collation-numbers.js';
import type { Persona } from '../personas/persona-schema.js';
import { JPKI_TOKEN, MY_NUMBER_CARD_AIDS } from './aids.js';
import type { Application, CardOptions, CardState, ElementaryFile, PinFormat } from './card-state.js';
import { textPlaceholderPng } from './png.js';
import { ascii, concatBytes, constructed, tlv, utf8 } from './tlv.js';

/** Everything a card is made from, already issued. */
export interface CardMaterial {
  persona: Persona;
  options: CardOptions;
  certificates: { sign: Uint8Array | null; signCa: Uint8Array; auth: Uint8Array; authCa: Uint8Array };
  keys: {
    /** PKCS#8 DER of the card's JPKI keys. */
    auth: Uint8Array;
    sign: Uint8Array | null;
    /** Card-issuer keys for the data signatures of the text and visual APs, and the CVCA signing the CV cert. */
    textIssuer: Uint8Array;
    textCvca: Uint8Array;
    visualIssuer: Uint8Array;
  };
  /** JPEG 2000 (JP2) face photo. */
  facePhoto: Uint8Array;
  /** Padding byte after `JPKIAPICCTOKEN2` up to 32 bytes: sources disagree (spaces vs NUL). */
  tokenPadding: 'space' | 'nul';
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());
const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** PKCS#1 v1.5 with SHA-256, the data-signature scheme assumed for the text/visual APs. */
function signSha256(pkcs8: Uint8Array, data: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  return new Uint8Array(rsaSign('sha256', data, key));
}

function binary(
  fid: string,
  label: string,
  size: number,
  read: 'always' | 'never' | string[],
  content: Uint8Array,
): ElementaryFile {
  if (content.length > size) throw new RangeError(`content of EF ${fid} exceeds its size`);
  return {
    type: 'binary',
    fid,
    label,
    size,
    read: typeof read === 'string' ? read : { anyOf: read },
    content: b64(content),
  };
}

function pin(
  fid: string,
  label: string,
  value: string | null,
  maxTries: number,
  format: PinFormat,
  changeable: boolean,
): ElementaryFile {
  return {
    type: 'pin',
    fid,
    label,
    pin: { value, triesLeft: value === null ? 0 : maxTries, maxTries, format, changeable },
  };
}

function key(fid: string, label: string, use: string[], pkcs8: Uint8Array | null): ElementaryFile {
  return { type: 'key', fid, label, use: { anyOf: use }, privateKey: pkcs8 === null ? null : b64(pkcs8) };
}

/** RSA public key as two TLVs: `90` exponent, `91` modulus (the CV-certificate tags, reused for DF 24/DF 42). */
function publicKeyTlvs(pkcs8: Uint8Array): Uint8Array {
  const { n, e } = rsaComponentsOf(pkcs8);
  return concatBytes(tlv([0x90], e), tlv([0x91], n));
}

/** Offsets (2 bytes each, from the start of the template value) of the TLVs after the header TLV. */
function withOffsetHeader(headerTag: readonly number[], items: readonly Uint8Array[]): Uint8Array[] {
  const headerLength = headerTag.length + 1 + 2 * items.length; // short length: < 128 entries
  const offsets = new Uint8Array(2 * items.length);
  let at = headerLength;
  items.forEach((item, i) => {
    offsets[2 * i] = at >> 8;
    offsets[2 * i + 1] = at & 0xff;
    at += item.length;
  });
  return [tlv(headerTag, offsets), ...items];
}

function jpkiApplication(m: CardMaterial): Application {
  const token = new Uint8Array(32).fill(m.tokenPadding === 'space' ? 0x20 : 0x00);
  token.set(ascii(JPKI_TOKEN));
  return {
    name: 'jpki',
    aid: MY_NUMBER_CARD_AIDS.jpki,
    efs: [
      // A card without a signing certificate keeps EF 0001 empty (all FF).
      binary('0001', '署名用電子証明書', 2048, ['001B'], m.certificates.sign ?? new Uint8Array(0)),
      binary('0002', '署名用CA証明書', 2048, 'always', m.certificates.signCa),
      binary('0006', 'token', 32, 'always', token),
      binary('000A', '利用者証明用電子証明書', 2048, 'always', m.certificates.auth),
      binary('000B', '利用者証明用CA証明書', 2048, 'always', m.certificates.authCa),
      key('0017', '利用者証明用秘密鍵', ['0018'], m.keys.auth),
      pin('0018', '利用者証明用暗証番号', m.persona.pins.auth, 3, 'digits4', true),
      key('001A', '署名用秘密鍵', ['001B'], m.keys.sign),
      pin('001B', '署名用暗証番号', m.persona.pins.sign, 5, 'password', true),
    ],
  };
}

/** Fixed 16-byte references of the text AP's CV certificate (invented, ASCII). */
const CVCA_REFERENCE = ascii('JPJLISMOCKCVCA01');
const TEXT_AP_KEY_REFERENCE = ascii('JPJLISMOCKTXTAP1');

function textApplication(m: CardMaterial): Application {
  const p = m.persona;
  const myNumberTlv = tlv([0xdf, 0x10], ascii(p.myNumber)); // non-minimal 2-byte tag for tag 16, as inferred
  const basicFour = constructed(
    [0xff, 0x20],
    ...withOffsetHeader(
      [0xdf, 0x21],
      [
        tlv([0xdf, 0x22], utf8(p.name)),
        tlv([0xdf, 0x23], utf8(p.address)),
        tlv([0xdf, 0x24], ascii(p.birthDate.replaceAll('-', ''))),
        tlv([0xdf, 0x25], ascii(p.sex)),
      ],
    ),
  );
  const h1 = sha256(myNumberTlv);
  const h2 = sha256(basicFour);
  const integrity = constructed(
    [0xff, 0x30],
    tlv([0xdf, 0x31], h1),
    tlv([0xdf, 0x32], h2),
    tlv([0xdf, 0x33], signSha256(m.keys.textIssuer, concatBytes(h1, h2))),
  );
  const { n } = rsaComponentsOf(m.keys.textIssuer);
  const body = tlv(
    [0x5f, 0x4e],
    concatBytes(CVCA_REFERENCE, TEXT_AP_KEY_REFERENCE, tlv([0x90], Uint8Array.of(1, 0, 1)), tlv([0x91], n)),
  );
  const cvCertificate = constructed([0x7f, 0x21], body, tlv([0x5f, 0x37], signSha256(m.keys.textCvca, body)));
  const basicInfo = constructed(
    [0xff, 0x40],
    tlv([0xdf, 0x41], Uint8Array.of(0x00, 0x01, 0x00, 0x01)),
    tlv([0xdf, 0x42], TEXT_AP_KEY_REFERENCE),
  );
  const a = collationNumberA(p);
  const b = collationNumberB(p);
  return {
    name: 'text',
    aid: MY_NUMBER_CARD_AIDS.text,
    efs: [
      binary('0001', '個人番号', 32, ['0011', '0014'], myNumberTlv),
      binary(
        '0002',
        '基本4情報',
        Math.max(512, alignUp(basicFour.length, 256)),
        ['0011', '0014', '0015'],
        basicFour,
      ),
      binary('0003', '署名 (integrity)', 512, ['0011'], integrity),
      binary('0004', 'CV証明書', 1024, 'always', cvCertificate),
      binary('0005', 'AP基本情報', 64, 'always', basicInfo),
      pin('0011', '券面事項入力補助用暗証番号', p.pins.textAp, 3, 'digits4', true),
      pin('0014', '照合番号A', a, 10, 'digits12', false),
      pin('0015', '照合番号B', b, 10, 'digits14', false),
    ],
  };
}

function visualApplication(m: CardMaterial): Application {
  const p = m.persona;
  const publicKey = publicKeyTlvs(m.keys.visualIssuer);
  const front = [
    tlv([0xdf, 0x22], ascii(p.birthDate.replaceAll('-', ''))),
    tlv([0xdf, 0x23], ascii(p.sex)),
    tlv([0xdf, 0x24], publicKey),
    tlv([0xdf, 0x25], textPlaceholderPng(p.name, { height: 32 })),
    tlv([0xdf, 0x26], textPlaceholderPng(p.address, { height: 32 })),
    tlv([0xdf, 0x27], m.facePhoto),
  ];
  // Invented scheme (the real one is unknown): DF 28 signs SHA-256 over the TLVs DF 22–DF 27 as stored.
  const frontSigned = tlv([0xdf, 0x28], signSha256(m.keys.visualIssuer, concatBytes(...front)));
  const expiry = tlv([0xdf, 0x29], ascii(p.card.expiresOn.replaceAll('-', '')));
  const securityCode = tlv([0xdf, 0x2a], textPlaceholderPng(p.card.securityCode, { height: 24 }));
  const frontTemplate = constructed(
    [0xff, 0x20],
    ...withOffsetHeader([0xdf, 0x21], [...front, frontSigned, expiry, securityCode]),
  );
  const myNumberImage = tlv(
    [0xdf, 0x41],
    textPlaceholderPng(p.myNumber.replace(/(\d{4})(?=\d)/g, '$1 '), { height: 32 }),
  );
  const back = constructed(
    [0xff, 0x40],
    myNumberImage,
    tlv([0xdf, 0x42], publicKey),
    tlv([0xdf, 0x43], signSha256(m.keys.visualIssuer, myNumberImage)),
  );
  // Basic info: id (4 B), an unknown byte, version (1 B), issuing municipality (UTF-8) — layout invented.
  const city = p.address.match(/^.+?[都道府県].+?[市区町村]/u)?.[0] ?? p.address;
  const basicInfo = constructed(
    [0xff, 0x40],
    tlv([0xdf, 0x41], Uint8Array.of(0x00, 0x02, 0x00, 0x01)),
    tlv([0xdf, 0x42], Uint8Array.of(0x00)),
    tlv([0xdf, 0x43], Uint8Array.of(0x01)),
    tlv([0xdf, 0x44], utf8(city)),
  );
  return {
    name: 'visual',
    aid: MY_NUMBER_CARD_AIDS.visual,
    efs: [
      binary('0002', '券面 (表面)', alignUp(frontTemplate.length, 1024), ['0012', '0013'], frontTemplate),
      binary('0003', 'AP基本情報', 256, 'always', basicInfo),
      binary('0005', '券面 (裏面, 個人番号)', alignUp(back.length, 256), ['0013'], back),
      pin('0012', '照合番号B', collationNumberB(p), 10, 'digits14', false),
      pin('0013', '照合番号A', collationNumberA(p), 10, 'digits12', false),
    ],
  };
}

/** Lays out the three applications of a My Number Card from issued material. */
export function buildCardState(m: CardMaterial): CardState {
  return {
    format: 'mynakit-virtual-card',
    version: 1,
    options: m.options,
    persona: m.persona,
    certificates: {
      sign: m.certificates.sign === null ? null : b64(m.certificates.sign),
      signCa: b64(m.certificates.signCa),
      auth: b64(m.certificates.auth),
      authCa: b64(m.certificates.authCa),
    },
    applications: [jpkiApplication(m), textApplication(m), visualApplication(m)],
  };
}
