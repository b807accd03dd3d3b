/** DF names of the card's applications (card-protocol.md §0). */
export const MY_NUMBER_CARD_AIDS = {
  /** JPKI-AP (公的個人認証). */
  jpki: 'D392F000260100000001',
  /** 券面事項入力補助AP ("text"). */
  text: 'D3921000310001010408',
  /** 券面AP / 券面確認AP ("visual"). */
  visual: 'D3921000310001010402',
} as const;

/** The contact ATR most drivers know (T=1, no historical bytes). */
export const CONTACT_ATR = Uint8Array.from([0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14]);

/** A contactless ATR as synthesised by a PC/SC part-3 reader from the card's ATQB. */
export const CONTACTLESS_ATR = Uint8Array.from([
  0x3b, 0x88, 0x80, 0x01, 0x00, 0x00, 0x05, 0xe0, 0xb3, 0x81, 0xa1, 0x00, 0x7f,
]);

/** Token in JPKI EF 0006 on a My Number Card. */
export const JPKI_TOKEN = 'JPKIAPICCTOKEN2';
