/** Status words the virtual card answers with (card-protocol.md §5, §8). */
export const SW = {
  OK: 0x9000,
  END_OF_FILE: 0x6282,
  WRONG_LENGTH: 0x6700,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  PIN_BLOCKED: 0x6984,
  PIN_BLOCKED_ALT: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  NO_CURRENT_EF: 0x6986,
  WRONG_DATA: 0x6a80,
  FILE_NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6a86,
  OFFSET_OUT_OF_RANGE: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

/** `63 Cx`: wrong PIN / retry query, x tries left. */
export const triesLeftSw = (tries: number): number => 0x63c0 | Math.min(tries, 15);

/** `61 xx`: xx more bytes available with GET RESPONSE (00 = 256 or more). */
export const moreDataSw = (remaining: number): number => 0x6100 | (remaining > 255 ? 0 : remaining);
