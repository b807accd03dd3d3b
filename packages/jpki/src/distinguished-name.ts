import { children, isUniversal, malformed, type Node, oid, rawBytes, stringValue, tag } from './asn1.js';
import { toHex } from './bytes.js';

/** One attribute of a DN in encoding order, e.g. `{ type: 'OU', value: 'JPKI for digital signature' }`. */
export interface DnAttribute {
  /** Short name (C, O, OU, L, CN, …) or the dotted OID for other attribute types. */
  type: string;
  value: string;
}

const shortNames: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** Reads a Name (RDNSequence). Values that are not strings are kept as `#<hex DER>` (RFC 4514 form). */
export function parseName(node: Node | undefined, what: string): DnAttribute[][] {
  if (!isUniversal(node, tag.SEQUENCE)) throw malformed(what);
  return children(node, what).map((rdn) => {
    if (!isUniversal(rdn, tag.SET)) throw malformed(what);
    const atvs = children(rdn, what);
    if (atvs.length === 0) throw malformed(what);
    return atvs.map((atv) => {
      const [type, value, ...rest] = children(atv, what);
      if (rest.length > 0 || value === undefined) throw malformed(what);
      const typeOid = oid(type, what);
      return {
        type: shortNames[typeOid] ?? typeOid,
        value: stringValue(value) ?? `#${toHex(rawBytes(value))}`,
      };
    });
  });
}

function escapeValue(value: string): string {
  if (value.startsWith('#') && /^#[0-9a-f]*$/.test(value)) return value;
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

/** `C=JP, O=JPKI, OU=…` in encoding order (the order jpki-pki.md and openssl's default print use). */
export function formatName(rdns: readonly DnAttribute[][]): string {
  return rdns.map((rdn) => rdn.map((a) => `${a.type}=${escapeValue(a.value)}`).join(' + ')).join(', ');
}
