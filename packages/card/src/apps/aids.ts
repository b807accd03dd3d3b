/** Application identifiers and file identifiers of the My Number Card (card-protocol.md §0–§4). */

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)));

export const AID = {
  /** 公的個人認証AP: the two certificates and their keys. */
  jpki: hex('D392F000260100000001'),
  /** 券面事項入力補助AP: My Number and the basic four as text. */
  inputSupport: hex('D3921000310001010408'),
  /** 券面AP (券面確認AP): the card surface: face photo, name and address images. */
  cardSurface: hex('D3921000310001010402'),
} as const;

export type ApplicationName = keyof typeof AID;

export const JPKI_EF = {
  signCertificate: 0x0001,
  signCaCertificate: 0x0002,
  token: 0x0006,
  authCertificate: 0x000a,
  authCaCertificate: 0x000b,
  authKey: 0x0017,
  authPin: 0x0018,
  signKey: 0x001a,
  signPassword: 0x001b,
} as const;

export const INPUT_SUPPORT_EF = {
  myNumber: 0x0001,
  basicFour: 0x0002,
  integrity: 0x0003,
  pin: 0x0011,
  verificationNumberA: 0x0014,
  verificationNumberB: 0x0015,
} as const;

export const CARD_SURFACE_EF = {
  front: 0x0002,
  basicInfo: 0x0003,
  back: 0x0005,
  verificationNumberB: 0x0012,
  verificationNumberA: 0x0013,
} as const;
