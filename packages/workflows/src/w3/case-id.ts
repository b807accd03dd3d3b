import type { ReceptionNumber } from '../reception/reception-number.js';

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The case id of a reception number: `w3-` + hex SHA-256 over a domain-separated form of the number. The store (and
 * its backups, logs, outbox rows) only ever sees this digest, so a leaked database does not hand out printable
 * numbers. With 10^15 possible numbers a plain digest can still be brute-forced offline by a patient attacker; give
 * a `pepper` (a secret kept outside the database) to make it an HMAC-SHA-256 that cannot be reversed without it.
 * Browser-safe: WebCrypto only.
 */
export async function w3CaseId(number: ReceptionNumber, pepper?: Uint8Array): Promise<string> {
  const message = encoder.encode(`mynakit/w3/reception-number:${number}`);
  const subtle = globalThis.crypto.subtle;
  if (pepper === undefined) return `w3-${hex(await subtle.digest('SHA-256', message))}`;
  const key = await subtle.importKey(
    'raw',
    new Uint8Array(pepper),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return `w3-${hex(await subtle.sign('HMAC', key, message))}`;
}
