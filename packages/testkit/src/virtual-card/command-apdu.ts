/** A parsed command APDU (ISO/IEC 7816-3 §12.1 cases 1–4, short and extended). */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data (Lc bytes); undefined when there is no Lc field. */
  data: Uint8Array | undefined;
  /** Ne: expected response length (short 00 = 256, extended 0000 = 65536); undefined when there is no Le field. */
  le: number | undefined;
  /** True when Lc or Le uses the extended (3-byte / 2-byte) form. */
  extended: boolean;
}

/**
 * Parses raw bytes into a command APDU, or returns undefined when the length fields do not agree with the size
 * (the card answers 67 00 to that, it never throws).
 */
export function parseCommandApdu(bytes: Uint8Array): CommandApdu | undefined {
  if (bytes.length < 4) return undefined;
  const header = { cla: bytes[0]!, ins: bytes[1]!, p1: bytes[2]!, p2: bytes[3]! };
  const body = bytes.subarray(4);
  if (body.length === 0) return { ...header, data: undefined, le: undefined, extended: false };
  if (body.length === 1) return { ...header, data: undefined, le: body[0] || 256, extended: false };
  const b0 = body[0]!;
  if (b0 !== 0) {
    // Short Lc.
    if (body.length === 1 + b0) return { ...header, data: body.slice(1), le: undefined, extended: false };
    if (body.length === 2 + b0)
      return { ...header, data: body.slice(1, 1 + b0), le: body[1 + b0] || 256, extended: false };
    return undefined;
  }
  // Extended forms start with 00.
  if (body.length === 3) {
    const le = (body[1]! << 8) | body[2]!;
    return { ...header, data: undefined, le: le || 65536, extended: true };
  }
  if (body.length < 3) return undefined;
  const lc = (body[1]! << 8) | body[2]!;
  if (lc === 0) return undefined;
  if (body.length === 3 + lc) return { ...header, data: body.slice(3), le: undefined, extended: true };
  if (body.length === 5 + lc) {
    const le = (body[3 + lc]! << 8) | body[4 + lc]!;
    return { ...header, data: body.slice(3, 3 + lc), le: le || 65536, extended: true };
  }
  return undefined;
}
