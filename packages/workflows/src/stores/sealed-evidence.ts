import { type Keyring, sealContext } from '../privacy/sealed-box.js';
import { type EvidenceRecord, evidenceRecordSchema } from '../w4/stores.js';
import { decodeRichJson, encodeRichJson } from './rich-json.js';

// W4 evidence at rest (SQLite and PostgreSQL stores): the evidence is sealed, its certificate carries the basic four.

/** Binds the blob to its row: moved to another record, customer or verifier, it no longer opens. */
function evidenceContext(id: string, customerId: string, verifierId: string): Uint8Array {
  return sealContext('w4-evidence', id, customerId, verifierId);
}

/** Checks the record and seals its evidence; the clear columns are the record's ids and its two dates. */
export async function sealEvidence(
  keyring: Keyring,
  record: EvidenceRecord,
): Promise<{ record: EvidenceRecord; sealed: Uint8Array }> {
  const r = evidenceRecordSchema.parse(record);
  const sealed = await keyring.seal(
    new TextEncoder().encode(encodeRichJson(r.evidence)),
    evidenceContext(r.id, r.customerId, r.verifierId),
  );
  return { record: r, sealed };
}

/** Opens a sealed evidence blob and checks the record it makes (throws PrivacyError DECRYPT_FAILED when moved). */
export async function openEvidence(
  keyring: Keyring,
  ids: { readonly id: string; readonly customerId: string; readonly verifierId: string },
  sealed: Uint8Array,
): Promise<EvidenceRecord> {
  const plaintext = await keyring.open(sealed, evidenceContext(ids.id, ids.customerId, ids.verifierId));
  try {
    const evidence = decodeRichJson(new TextDecoder().decode(plaintext));
    return evidenceRecordSchema.parse({ ...ids, evidence });
  } finally {
    plaintext.fill(0);
  }
}
