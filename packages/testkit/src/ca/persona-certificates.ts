import { certificateSexCode, type Persona } from '../personas/persona-schema.js';
import {
  DEFAULT_ISSUED_AT,
  type IssuedCertificate,
  issueAuthCertificate,
  issueSigningCertificate,
} from './ee-certificates.js';
import type { JpkiTestCaPair } from './jpki-ca.js';
import { spkiOf } from './test-keys.js';

export interface PersonaCertificateKeys {
  /** PKCS#8 of the user-authentication key. */
  auth: Uint8Array;
  /** PKCS#8 of the signing key; null for a holder without a signing certificate (under 15). */
  sign: Uint8Array | null;
}

export interface PersonaCertificates {
  auth: IssuedCertificate;
  sign: IssuedCertificate | null;
}

/** The signing certificate of `persona` for `signKey`: the basic four go into the SAN as the persona states them. */
export function issuePersonaSigningCertificate(
  cas: JpkiTestCaPair,
  persona: Persona,
  signKey: Uint8Array,
  issuedAt: Date = DEFAULT_ISSUED_AT,
): Promise<IssuedCertificate> {
  return issueSigningCertificate(cas.sign, {
    issuedAt,
    birthDate: persona.birthDate,
    cardExpiresOn: persona.card.expiresOn,
    publicKey: spkiOf(signKey),
    name: persona.jpki.certificateName ?? persona.name,
    ...(persona.jpki.nameSubstitution !== undefined && { nameSubstitution: persona.jpki.nameSubstitution }),
    address: persona.jpki.certificateAddress ?? persona.address,
    ...(persona.jpki.addressSubstitution !== undefined && {
      addressSubstitution: persona.jpki.addressSubstitution,
    }),
    sex: certificateSexCode(persona.sex),
    prefectureRomaji: persona.jpki.prefectureRomaji,
    municipalityRomaji: persona.jpki.municipalityRomaji,
    requestSequence: persona.jpki.requestSequence,
    officeCode: persona.jpki.officeCode,
  });
}

/** Both certificates of a persona, as J-LIS issues them at the city office. */
export async function issuePersonaCertificates(
  cas: JpkiTestCaPair,
  persona: Persona,
  keys: PersonaCertificateKeys,
  issuedAt: Date = DEFAULT_ISSUED_AT,
): Promise<PersonaCertificates> {
  const [auth, sign] = await Promise.all([
    issueAuthCertificate(cas.auth, {
      issuedAt,
      birthDate: persona.birthDate,
      cardExpiresOn: persona.card.expiresOn,
      publicKey: spkiOf(keys.auth),
      subjectId: persona.jpki.authSubjectId,
    }),
    keys.sign === null ? null : issuePersonaSigningCertificate(cas, persona, keys.sign, issuedAt),
  ]);
  return { auth, sign };
}
