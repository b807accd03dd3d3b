import * as asn1js from 'asn1js';
import { toArrayBuffer } from './bytes.js';
import { JpkiError } from './errors.js';

/** A decoded ASN.1 node (asn1js exposes them as loosely typed blocks; we check tags ourselves). */
export type Node = asn1js.AsnType;

const UNIVERSAL = 1;
const CONTEXT = 3;

export const tag = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  SEQUENCE: 16,
  SET: 17,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
} as const;

function malformed(what: string, cause?: unknown): JpkiError {
  return new JpkiError('MALFORMED_CERTIFICATE', `malformed ${what}`, {
    details: { field: what },
    ...(cause !== undefined && { cause }),
  });
}

/** Decodes exactly one element spanning all of `bytes`; anything else (trailing data, errors) is malformed. */
export function decode(bytes: Uint8Array, what: string): Node {
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(toArrayBuffer(bytes));
  } catch (cause) {
    throw malformed(what, cause);
  }
  if (parsed.offset !== bytes.length || parsed.result.error) throw malformed(what);
  return parsed.result;
}

export function isUniversal(node: Node | undefined, tagNumber: number): boolean {
  return node?.idBlock.tagClass === UNIVERSAL && node.idBlock.tagNumber === tagNumber;
}

export function isContext(node: Node | undefined, tagNumber: number): boolean {
  return node?.idBlock.tagClass === CONTEXT && node.idBlock.tagNumber === tagNumber;
}

/** Children of a constructed node (SEQUENCE, SET or a constructed context tag). */
export function children(node: Node | undefined, what: string): Node[] {
  if (!node?.idBlock.isConstructed) throw malformed(what);
  const value = (node.valueBlock as { value?: unknown }).value;
  if (!Array.isArray(value)) throw malformed(what);
  return value as Node[];
}

export function sequence(node: Node | undefined, what: string): Node[] {
  if (!isUniversal(node, tag.SEQUENCE)) throw malformed(what);
  return children(node, what);
}

export function oid(node: Node | undefined, what: string): string {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw malformed(what);
  return node.getValue();
}

/** Content octets of a primitive (INTEGER, OCTET STRING, implicit tags). */
export function primitiveBytes(node: Node | undefined, what: string): Uint8Array {
  if (!node || node.idBlock.isConstructed) throw malformed(what);
  return new Uint8Array((node.valueBlock as { valueHexView: Uint8Array }).valueHexView);
}

/** A BIT STRING's bytes and unused-bit count. */
export function bitString(node: Node | undefined, what: string): { bytes: Uint8Array; unusedBits: number } {
  if (!(node instanceof asn1js.BitString) || node.valueBlock.isConstructed) throw malformed(what);
  return { bytes: new Uint8Array(node.valueBlock.valueHexView), unusedBits: node.valueBlock.unusedBits };
}

export function boolean(node: Node | undefined, what: string): boolean {
  if (!(node instanceof asn1js.Boolean)) throw malformed(what);
  return node.getValue();
}

/** The original DER of a node, as it appeared in the input (what signatures and fingerprints cover). */
export function rawBytes(node: Node): Uint8Array {
  return new Uint8Array(node.valueBeforeDecodeView);
}

/** The text of any ASN.1 string type, or undefined for a non-string. */
export function stringValue(node: Node | undefined): string | undefined {
  if (node instanceof asn1js.BaseStringBlock) return node.getValue();
  return undefined;
}

/** UTCTime or GeneralizedTime as a Date. */
export function time(node: Node | undefined, what: string): Date {
  if (node instanceof asn1js.GeneralizedTime || node instanceof asn1js.UTCTime) {
    const date = node.toDate();
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw malformed(what);
}

export { malformed };
