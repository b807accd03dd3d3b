import 'reflect-metadata';
import { createHash } from 'node:crypto';
import {
  derToPem,
  JPKI_OIDS,
  JPKI_PRODUCTION_ROOT_FINGERPRINTS,
  JpkiError,
  type JpkiRootType,
  parseJpkiCertificate,
  TrustStore,
  validateChain,
} from '@mynakit/jpki';
import {
  certificateSexCode,
  createJpkiTestCas,
  createVirtualCard,
  getPersona,
  issueAuthCertificate,
  issueSigningCertificate,
  type JpkiTestCa,
  type JpkiTestCaPair,
} from '@mynakit/testkit';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { runWithFiles } from './support/openssl.js';

/** Inside every default leaf's and root's validity (leaves: 2025-10-27 → 2030; generation-3 roots: 2023 → 2033). */
const AT = new Date('2026-06-01T00:00:00Z');
const persona = getPersona('taro');

let cas: JpkiTestCaPair;
let card: { sign: Uint8Array; auth: Uint8Array };
/** SPKI of taro's keys, reused for every variant certificate. */
let signKey: Uint8Array;
let authKey: Uint8Array;

beforeAll(async () => {
  cas = await createJpkiTestCas();
  const certificates = (await createVirtualCard({ persona: 'taro' })).certificates;
  card = { sign: certificates.sign as Uint8Array, auth: certificates.auth };
  signKey = parseJpkiCertificate(card.sign).publicKey;
  authKey = parseJpkiCertificate(card.auth).publicKey;
});

async function storeWith(roots: { type: JpkiRootType; der: Uint8Array }[]): Promise<TrustStore> {
  const store = new TrustStore();
  for (const root of roots) await store.addRoot(root.type, root.der);
  return store;
}

const defaultStore = () =>
  storeWith([
    { type: 'sign', der: cas.sign.der },
    { type: 'auth', der: cas.auth.der },
  ]);

function signingInput(extra: Partial<Parameters<typeof issueSigningCertificate>[1]> = {}) {
  return {
    publicKey: signKey,
    birthDate: persona.birthDate,
    name: persona.name,
    address: persona.address,
    sex: certificateSexCode(persona.sex),
    prefectureRomaji: persona.jpki.prefectureRomaji,
    municipalityRomaji: persona.jpki.municipalityRomaji,
    requestSequence: persona.jpki.requestSequence,
    officeCode: persona.jpki.officeCode,
    ...extra,
  };
}

function authInput(extra: Partial<Parameters<typeof issueAuthCertificate>[1]> = {}) {
  return {
    publicKey: authKey,
    birthDate: persona.birthDate,
    subjectId: persona.jpki.authSubjectId,
    ...extra,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<JpkiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(JpkiError);
    return error as JpkiError;
  }
  throw new Error('expected a JpkiError, but validation passed');
}

async function opensslVerify(root: Uint8Array, leaf: Uint8Array, at: Date): Promise<boolean> {
  try {
    const out = await runWithFiles({ 'root.pem': derToPem(root), 'leaf.pem': derToPem(leaf) }, 'openssl', [
      'verify',
      '-attime',
      String(Math.floor(at.getTime() / 1000)),
      '-CAfile',
      'root.pem',
      'leaf.pem',
    ]);
    return out.trim() === 'leaf.pem: OK';
  } catch {
    return false;
  }
}

/** Flips one byte of the signature (the DER ends with it). */
function tamperSignature(der: Uint8Array): Uint8Array {
  const copy = der.slice();
  copy[copy.length - 5] = (copy[copy.length - 5] as number) ^ 0x01;
  return copy;
}

/** Flips a bit in the subject CN (inside the signed TBS); the certificate still parses. */
function tamperTbs(der: Uint8Array, cn: string): Uint8Array {
  const needle = new TextEncoder().encode(cn);
  const copy = der.slice();
  const at = copy.findIndex((_, i) => needle.every((b, j) => copy[i + j] === b));
  expect(at).toBeGreaterThan(0);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

describe('validateChain: good chains', () => {
  it('accepts the signing certificate against the signing root', async () => {
    const result = await validateChain(card.sign, { trustStore: await defaultStore(), type: 'sign', at: AT });
    expect(result.ok).toBe(true);
    expect(result.leaf.type).toBe('sign');
    expect(result.root.certificate.der).toEqual(cas.sign.der);
    expect(result.root.type).toBe('sign');
  });

  it('accepts an already parsed certificate, judged on its DER', async () => {
    const parsed = parseJpkiCertificate(card.sign);
    const store = await defaultStore();
    await expect(validateChain(parsed, { trustStore: store, type: 'sign', at: AT })).resolves.toMatchObject({
      ok: true,
    });
    // Editing the parsed fields changes nothing: the DER is what counts.
    const edited = { ...parsed, type: 'auth' as const, policies: [JPKI_OIDS.authPolicy] };
    expect((await failureOf(validateChain(edited, { trustStore: store, type: 'auth', at: AT }))).code).toBe(
      'WRONG_CERTIFICATE_TYPE',
    );
  });

  it('accepts the auth certificate against the auth root (PEM input too)', async () => {
    const result = await validateChain(derToPem(card.auth), {
      trustStore: await defaultStore(),
      type: 'auth',
      at: AT,
    });
    expect(result.root.certificate.der).toEqual(cas.auth.der);
  });

  it('agrees with openssl verify on good and tampered chains', async () => {
    const store = await defaultStore();
    const cases = [
      { type: 'sign' as const, root: cas.sign.der, leaf: card.sign },
      { type: 'auth' as const, root: cas.auth.der, leaf: card.auth },
      { type: 'sign' as const, root: cas.sign.der, leaf: tamperSignature(card.sign) },
      { type: 'auth' as const, root: cas.auth.der, leaf: tamperTbs(card.auth, persona.jpki.authSubjectId) },
    ];
    const verdicts = [];
    for (const c of cases) {
      const ours = await validateChain(c.leaf, { trustStore: store, type: c.type, at: AT }).then(
        () => true,
        () => false,
      );
      const theirs = await opensslVerify(c.root, c.leaf, AT);
      expect(ours).toBe(theirs);
      verdicts.push(ours);
    }
    expect(verdicts).toEqual([true, true, false, false]);
  });
});

describe('validateChain: type separation and trust', () => {
  it('never accepts a signing certificate as auth, even with the signing root among the auth anchors', async () => {
    const normal = await failureOf(
      validateChain(card.sign, { trustStore: await defaultStore(), type: 'auth', at: AT }),
    );
    expect(normal.code).toBe('WRONG_CERTIFICATE_TYPE');
    const misconfigured = await storeWith([
      { type: 'auth', der: cas.sign.der },
      { type: 'auth', der: cas.auth.der },
    ]);
    const error = await failureOf(
      validateChain(card.sign, { trustStore: misconfigured, type: 'auth', at: AT }),
    );
    expect(error.code).toBe('WRONG_CERTIFICATE_TYPE');
  });

  it('rejects an auth certificate as sign', async () => {
    const error = await failureOf(
      validateChain(card.auth, { trustStore: await defaultStore(), type: 'sign', at: AT }),
    );
    expect(error.code).toBe('WRONG_CERTIFICATE_TYPE');
  });

  it('gives UNTRUSTED_ROOT when no anchor of the type exists', async () => {
    const onlySign = await storeWith([{ type: 'sign', der: cas.sign.der }]);
    expect(
      (await failureOf(validateChain(card.auth, { trustStore: onlySign, type: 'auth', at: AT }))).code,
    ).toBe('UNTRUSTED_ROOT');
  });

  it('does not let a signing-root certificate with the auth policy pass as auth', async () => {
    const issued = await issueSigningCertificate(cas.sign, signingInput({ policyOid: JPKI_OIDS.authPolicy }));
    const error = await failureOf(
      validateChain(issued.der, { trustStore: await defaultStore(), type: 'auth', at: AT }),
    );
    expect(error.code).toBe('UNTRUSTED_ROOT');
  });

  it('gives SIGNATURE_INVALID for a tampered signature or TBS', async () => {
    const store = await defaultStore();
    const bySig = await failureOf(
      validateChain(tamperSignature(card.sign), { trustStore: store, type: 'sign', at: AT }),
    );
    expect(bySig.code).toBe('SIGNATURE_INVALID');
    const byTbs = await failureOf(
      validateChain(tamperTbs(card.auth, persona.jpki.authSubjectId), {
        trustStore: store,
        type: 'auth',
        at: AT,
      }),
    );
    expect(byTbs.code).toBe('SIGNATURE_INVALID');
  });
});

describe('TrustStore pins', () => {
  const sha256 = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

  it('accepts a root matching its pin, in colon or plain form', async () => {
    const store = new TrustStore();
    const colon = sha256(cas.sign.der).toUpperCase().match(/../g)?.join(':') as string;
    const anchor = await store.addRoot('sign', cas.sign.der, { sha256Pin: colon });
    expect(anchor.sha256).toBe(sha256(cas.sign.der));
    await store.addRoot('auth', derToPem(cas.auth.der), { sha256Pin: sha256(cas.auth.der) });
    expect(store.roots('sign')).toHaveLength(1);
    expect(store.roots('auth')).toHaveLength(1);
  });

  it('refuses a root whose fingerprint differs from the pin (e.g. the real J-LIS one)', async () => {
    const store = new TrustStore();
    const error = await failureOf(
      store.addRoot('sign', cas.sign.der, { sha256Pin: JPKI_PRODUCTION_ROOT_FINGERPRINTS.sign['2023'] }),
    );
    expect(error.code).toBe('ROOT_PIN_MISMATCH');
    expect(store.roots('sign')).toHaveLength(0);
    expect((await failureOf(store.addRoot('sign', cas.sign.der, { sha256Pin: 'abcd' }))).code).toBe(
      'INVALID_INPUT',
    );
  });

  it('carries the four real fingerprints in full', () => {
    const all = [JPKI_PRODUCTION_ROOT_FINGERPRINTS.sign, JPKI_PRODUCTION_ROOT_FINGERPRINTS.auth].flatMap(
      (g) => [g['2015'], g['2023']],
    );
    for (const fp of all) expect(fp).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(new Set(all).size).toBe(4);
  });
});

describe('validateChain: generations sharing one DN', () => {
  let g2: JpkiTestCaPair;
  beforeAll(async () => {
    g2 = await createJpkiTestCas({ generation: 2 });
  });

  it('picks the root by key', async () => {
    expect(parseJpkiCertificate(g2.sign.der).subject).toBe(parseJpkiCertificate(cas.sign.der).subject);
    const store = await storeWith([
      { type: 'sign', der: g2.sign.der },
      { type: 'sign', der: cas.sign.der },
    ]);
    const fromG3 = await validateChain(card.sign, { trustStore: store, type: 'sign', at: AT });
    expect(fromG3.root.certificate.der).toEqual(cas.sign.der);
    const g2Leaf = await issueSigningCertificate(g2.sign, signingInput());
    const fromG2 = await validateChain(g2Leaf.der, { trustStore: store, type: 'sign', at: AT });
    expect(fromG2.root.certificate.der).toEqual(g2.sign.der);
  });

  it('fails with SIGNATURE_INVALID when only the other generation is trusted', async () => {
    const store = await storeWith([{ type: 'sign', der: g2.sign.der }]);
    expect(
      (await failureOf(validateChain(card.sign, { trustStore: store, type: 'sign', at: AT }))).code,
    ).toBe('SIGNATURE_INVALID');
  });

  it('uses the AKI to narrow the candidates when the leaf has one', async () => {
    const store = await storeWith([
      { type: 'sign', der: g2.sign.der },
      { type: 'sign', der: cas.sign.der },
    ]);
    const g3Ski = parseJpkiCertificate(cas.sign.der).subjectKeyIdentifier as string;
    const g2Ski = parseJpkiCertificate(g2.sign.der).subjectKeyIdentifier as string;
    const right = await issueSigningCertificate(
      cas.sign,
      signingInput({ extraExtensions: [new x509.AuthorityKeyIdentifierExtension(g3Ski)] }),
    );
    expect(
      (await validateChain(right.der, { trustStore: store, type: 'sign', at: AT })).root.certificate.der,
    ).toEqual(cas.sign.der);
    // Signed by generation 3 but pointing at generation 2's key: only g2 is tried, and it does not verify.
    const wrong = await issueSigningCertificate(
      cas.sign,
      signingInput({ extraExtensions: [new x509.AuthorityKeyIdentifierExtension(g2Ski)] }),
    );
    expect(
      (await failureOf(validateChain(wrong.der, { trustStore: store, type: 'sign', at: AT }))).code,
    ).toBe('SIGNATURE_INVALID');
    const unknown = await issueSigningCertificate(
      cas.sign,
      signingInput({ extraExtensions: [new x509.AuthorityKeyIdentifierExtension('0102030405')] }),
    );
    expect(
      (await failureOf(validateChain(unknown.der, { trustStore: store, type: 'sign', at: AT }))).code,
    ).toBe('UNTRUSTED_ROOT');
  });
});

describe('validateChain: profile defects', () => {
  const codeFor = async (der: Uint8Array, type: JpkiRootType, at = AT) =>
    (await failureOf(validateChain(der, { trustStore: await defaultStore(), type, at }))).code;

  it('rejects a leaf outside its validity, and a leaf under an expired root', async () => {
    expect(await codeFor(card.sign, 'sign', new Date('2025-10-01T00:00:00Z'))).toBe('NOT_YET_VALID');
    expect(await codeFor(card.sign, 'sign', new Date('2031-01-01T00:00:00Z'))).toBe('EXPIRED');
    const short = await issueAuthCertificate(
      cas.auth,
      authInput({ notAfter: new Date('2026-01-01T00:00:00Z') }),
    );
    expect(await codeFor(short.der, 'auth')).toBe('EXPIRED');

    const g1 = await createJpkiTestCas({ generation: 1 });
    const underOldRoot = await issueAuthCertificate(
      g1.auth,
      authInput({ issuedAt: new Date('2024-01-10T00:00:00Z'), notAfter: new Date('2029-01-01T00:00:00Z') }),
    );
    const store = await storeWith([{ type: 'auth', der: g1.auth.der }]);
    const error = await failureOf(
      validateChain(underOldRoot.der, { trustStore: store, type: 'auth', at: AT }),
    );
    expect(error.code).toBe('EXPIRED');
    expect(error.details.role).toBe('root');
    // Before the old root's notAfter (2025-10-19) the same chain is fine.
    await expect(
      validateChain(underOldRoot.der, {
        trustStore: store,
        type: 'auth',
        at: new Date('2025-01-01T00:00:00Z'),
      }),
    ).resolves.toMatchObject({ ok: true });
  });

  it('rejects a CA:TRUE leaf', async () => {
    const issued = await issueSigningCertificate(
      cas.sign,
      signingInput({ extraExtensions: [new x509.BasicConstraintsExtension(true, undefined, true)] }),
    );
    expect(await codeFor(issued.der, 'sign')).toBe('LEAF_IS_CA');
  });

  it('rejects an unknown critical extension but tolerates it non-critical', async () => {
    const ext = (critical: boolean) =>
      new x509.Extension('1.2.3.4.5.6', critical, new Uint8Array([0x05, 0x00]));
    const critical = await issueAuthCertificate(cas.auth, authInput({ extraExtensions: [ext(true)] }));
    expect(await codeFor(critical.der, 'auth')).toBe('UNKNOWN_CRITICAL_EXTENSION');
    const nonCritical = await issueAuthCertificate(cas.auth, authInput({ extraExtensions: [ext(false)] }));
    await expect(
      validateChain(nonCritical.der, { trustStore: await defaultStore(), type: 'auth', at: AT }),
    ).resolves.toMatchObject({ ok: true });
  });

  it('rejects a leaf without a JPKI policy', async () => {
    const issued = await issueSigningCertificate(
      cas.sign,
      signingInput({ policyOid: '1.2.392.200149.8.5.1.9.99' }),
    );
    expect(await codeFor(issued.der, 'sign')).toBe('POLICY_MISMATCH');
  });

  it('rejects a signing-policy certificate lacking nonRepudiation', async () => {
    const issued = await issueAuthCertificate(cas.auth, authInput({ policyOid: JPKI_OIDS.signingPolicy }));
    const error = await failureOf(
      validateChain(issued.der, { trustStore: await defaultStore(), type: 'sign', at: AT }),
    );
    expect(error.code).toBe('KEY_USAGE_INVALID');
    expect(error.details.missing).toBe('nonRepudiation');
  });
});

describe('validateChain: test hierarchy', () => {
  let test: JpkiTestCaPair;
  beforeAll(async () => {
    test = await createJpkiTestCas({ hierarchy: 'test' });
  });

  it('refuses JPKI-TEST certificates unless allowed', async () => {
    const store = await storeWith([
      { type: 'sign', der: test.sign.der },
      { type: 'auth', der: test.auth.der },
    ]);
    const sign = await issueSigningCertificate(test.sign, signingInput());
    const auth = await issueAuthCertificate(test.auth, authInput());
    const leaf = parseJpkiCertificate(sign.der);
    expect(leaf.hierarchy).toBe('test');
    expect(leaf.policies).toEqual([JPKI_OIDS.signingPolicyTest]);
    for (const [der, type] of [
      [sign.der, 'sign'],
      [auth.der, 'auth'],
    ] as const) {
      const error = await failureOf(validateChain(der, { trustStore: store, type, at: AT }));
      expect(error.code).toBe('TEST_HIERARCHY_REJECTED');
      await expect(
        validateChain(der, { trustStore: store, type, at: AT, allowTestHierarchy: true }),
      ).resolves.toMatchObject({ ok: true });
    }
  });

  it('refuses a production-policy leaf under a JPKI-TEST root unless allowed', async () => {
    const issued = await issueSigningCertificate(
      test.sign,
      signingInput({ policyOid: JPKI_OIDS.signingPolicy }),
    );
    const store = await storeWith([{ type: 'sign', der: test.sign.der }]);
    expect(
      (await failureOf(validateChain(issued.der, { trustStore: store, type: 'sign', at: AT }))).code,
    ).toBe('TEST_HIERARCHY_REJECTED');
  });
});

describe('validateChain: unusable roots', () => {
  /** A self-signed root with the production signing DN but a chosen profile, and a leaf issued by it. */
  async function oddRoot(profile: { ca: boolean; keyCertSign: boolean }) {
    const keys = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const extensions: x509.Extension[] = [
      new x509.KeyUsagesExtension(
        profile.keyCertSign ? x509.KeyUsageFlags.keyCertSign : x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    ];
    if (profile.ca) extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
    const root = await x509.X509CertificateGenerator.create({
      serialNumber: '0a0b0c',
      subject: new x509.Name(cas.sign.name),
      issuer: new x509.Name(cas.sign.name),
      notBefore: new Date('2023-01-01T00:00:00Z'),
      notAfter: new Date('2033-01-01T00:00:00Z'),
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      extensions,
    });
    const fakeCa = {
      type: 'sign',
      hierarchy: 'production-like',
      generation: 9,
      name: cas.sign.name,
      signingKey: keys.privateKey,
    };
    const leaf = await issueSigningCertificate(fakeCa as unknown as JpkiTestCa, signingInput());
    return { root: new Uint8Array(root.rawData), leaf: leaf.der };
  }

  it('rejects a trust anchor that is not a CA', async () => {
    const { root, leaf } = await oddRoot({ ca: false, keyCertSign: true });
    const store = await storeWith([{ type: 'sign', der: root }]);
    expect((await failureOf(validateChain(leaf, { trustStore: store, type: 'sign', at: AT }))).code).toBe(
      'ROOT_NOT_CA',
    );
  });

  it('rejects a trust anchor without keyCertSign', async () => {
    const { root, leaf } = await oddRoot({ ca: true, keyCertSign: false });
    const store = await storeWith([{ type: 'sign', der: root }]);
    const error = await failureOf(validateChain(leaf, { trustStore: store, type: 'sign', at: AT }));
    expect(error.code).toBe('KEY_USAGE_INVALID');
    expect(error.details.role).toBe('root');
  });
});
