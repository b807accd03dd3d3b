import type { ErrorDetails } from '@mynakit/card';
import { type JpkiCertificate, parseJpkiCertificate } from './certificate.js';
import { signatureHashOf, verifyRsaSignature } from './crypto-provider.js';
import { JpkiError, type JpkiErrorCode } from './errors.js';
import { JPKI_LEAF_KNOWN_EXTENSIONS } from './oids.js';
import type { JpkiRootType, TrustAnchor, TrustStore } from './trust-store.js';

export interface ValidateChainOptions {
  trustStore: TrustStore;
  /** The certificate type the caller expects; only roots of this type are tried. */
  type: JpkiRootType;
  /** Instant at which leaf and root must be valid; default now. */
  at?: Date;
  /** Accept the J-LIS test hierarchy (JPKI-TEST roots, `.1.0.20` policy). Default false. */
  allowTestHierarchy?: boolean;
}

export interface ValidChain {
  ok: true;
  leaf: JpkiCertificate;
  root: TrustAnchor;
}

const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

function fail(code: JpkiErrorCode, message: string, details: ErrorDetails = {}): never {
  throw new JpkiError(code, message, { details });
}

function checkValidity(certificate: JpkiCertificate, at: Date, role: 'leaf' | 'root'): void {
  const details = { role, serialNumber: certificate.serialNumber };
  if (at < certificate.notBefore)
    fail('NOT_YET_VALID', `${role} certificate is not valid yet`, {
      ...details,
      notBefore: certificate.notBefore.toISOString(),
    });
  if (at > certificate.notAfter)
    fail('EXPIRED', `${role} certificate has expired`, {
      ...details,
      notAfter: certificate.notAfter.toISOString(),
    });
}

/** The JPKI end-entity profile (jpki-pki.md §2): type and policy, extensions, CA flags, key usage. */
function checkLeafProfile(leaf: JpkiCertificate, type: JpkiRootType, allowTest: boolean): void {
  const details = { serialNumber: leaf.serialNumber, expected: type };
  if (leaf.hierarchy === 'test' && !allowTest)
    fail('TEST_HIERARCHY_REJECTED', 'certificate belongs to the JPKI test hierarchy', details);
  if (leaf.type === 'unknown')
    fail('POLICY_MISMATCH', 'certificate carries no single JPKI policy', {
      ...details,
      policies: leaf.policies.join(' '),
    });
  if (leaf.type !== type)
    fail('WRONG_CERTIFICATE_TYPE', `expected a ${type} certificate, got a ${leaf.type} one`, {
      ...details,
      actual: leaf.type,
    });
  for (const extension of leaf.extensions) {
    if (extension.critical && !JPKI_LEAF_KNOWN_EXTENSIONS.includes(extension.oid))
      fail('UNKNOWN_CRITICAL_EXTENSION', 'certificate has an unknown critical extension', {
        ...details,
        oid: extension.oid,
      });
  }
  const ku = leaf.keyUsage;
  if (leaf.isCa || ku?.keyCertSign || ku?.cRLSign)
    fail('LEAF_IS_CA', 'end-entity certificate claims CA powers', details);
  const required =
    type === 'sign' ? (['digitalSignature', 'nonRepudiation'] as const) : (['digitalSignature'] as const);
  const missing = required.filter((bit) => !ku?.[bit]);
  if (ku === null || missing.length > 0)
    fail('KEY_USAGE_INVALID', 'certificate key usage does not allow its JPKI purpose', {
      ...details,
      missing: ku === null ? 'keyUsage' : missing.join(' '),
    });
}

function checkRoot(anchor: TrustAnchor, at: Date, allowTest: boolean): void {
  const root = anchor.certificate;
  const details = { role: 'root', serialNumber: root.serialNumber };
  if (root.hierarchy === 'test' && !allowTest)
    fail('TEST_HIERARCHY_REJECTED', 'root belongs to the JPKI test hierarchy', details);
  if (!root.isCa) fail('ROOT_NOT_CA', 'trust anchor is not a CA (basicConstraints CA:TRUE missing)', details);
  // keyUsage is optional in RFC 5280, but every JPKI root has it; one without keyCertSign may not sign certificates.
  if (!root.keyUsage?.keyCertSign)
    fail('KEY_USAGE_INVALID', 'trust anchor may not sign certificates (keyCertSign missing)', details);
  checkValidity(root, at, 'root');
}

/** The anchor whose key verifies the leaf's signature, among the candidates for its issuer. */
async function findIssuer(leaf: JpkiCertificate, options: ValidateChainOptions): Promise<TrustAnchor> {
  const hash = signatureHashOf(leaf.signatureAlgorithm);
  if (hash === undefined)
    fail('UNSUPPORTED_ALGORITHM', 'certificate signature algorithm is not RSA with SHA-256/384/512', {
      algorithm: leaf.signatureAlgorithm,
    });
  const candidates = options.trustStore.candidatesFor(leaf, options.type);
  if (candidates.length === 0)
    fail('UNTRUSTED_ROOT', `no ${options.type} root matches the certificate's issuer`, {
      serialNumber: leaf.serialNumber,
      authorityKeyIdentifier: leaf.authorityKeyIdentifier,
    });
  for (const anchor of candidates) {
    if (anchor.certificate.publicKeyAlgorithm !== OID_RSA_ENCRYPTION) continue;
    const verified = await verifyRsaSignature(
      anchor.certificate.publicKey,
      hash,
      leaf.signatureValue,
      leaf.tbsCertificate,
      options.trustStore.crypto,
    );
    if (verified) return anchor;
  }
  return fail('SIGNATURE_INVALID', 'certificate signature does not verify with any matching root', {
    serialNumber: leaf.serialNumber,
    candidates: candidates.length,
  });
}

/**
 * Validates a JPKI end-entity certificate against the trust store: JPKI has no intermediates, so the chain is
 * leaf → root. Returns `{ ok: true, leaf, root }` or **throws** a `JpkiError` naming the first failed check, in this
 * order: MALFORMED_CERTIFICATE, TEST_HIERARCHY_REJECTED, POLICY_MISMATCH / WRONG_CERTIFICATE_TYPE,
 * UNKNOWN_CRITICAL_EXTENSION, LEAF_IS_CA, KEY_USAGE_INVALID, NOT_YET_VALID / EXPIRED (leaf), UNSUPPORTED_ALGORITHM,
 * UNTRUSTED_ROOT, SIGNATURE_INVALID, then the chosen root's checks (TEST_HIERARCHY_REJECTED, ROOT_NOT_CA,
 * KEY_USAGE_INVALID, NOT_YET_VALID / EXPIRED).
 *
 * Revocation is not checked here.
 */
export async function validateChain(
  leafInput: Uint8Array | string | JpkiCertificate,
  options: ValidateChainOptions,
): Promise<ValidChain> {
  if (options.type !== 'sign' && options.type !== 'auth')
    fail('INVALID_INPUT', "certificate type must be 'sign' or 'auth'");
  const at = options.at ?? new Date();
  if (Number.isNaN(at.getTime())) fail('INVALID_INPUT', 'validation time is not a valid date');
  const allowTest = options.allowTestHierarchy ?? false;
  // A parsed certificate is re-read from its DER: its fields could have been edited after parsing.
  const leaf = parseJpkiCertificate(
    typeof leafInput === 'string' || leafInput instanceof Uint8Array ? leafInput : leafInput.der,
  );

  checkLeafProfile(leaf, options.type, allowTest);
  checkValidity(leaf, at, 'leaf');
  const root = await findIssuer(leaf, options);
  checkRoot(root, at, allowTest);
  return { ok: true, leaf, root };
}
