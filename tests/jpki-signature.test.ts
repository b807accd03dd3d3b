import { CardError, type HashAlgorithm, hashToDigestInfo, type JpkiCardSigner } from '@mynakit/card';
import {
  createCmsSignedData,
  derToPem,
  type JpkiSigner,
  parseJpkiCertificate,
  TrustStore,
  validateChain,
  verifyCmsSignedData,
  verifyPkcs1Signature,
} from '@mynakit/jpki';
import { createJpkiTestCas } from '@mynakit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CardHarness, memoryHarness } from './support/card-harness.js';
import { opensslCmsReencode, opensslCmsSign, opensslCmsVerify } from './support/openssl-cms.js';

const text = (s: string) => new TextEncoder().encode(s);
const hashes: HashAlgorithm[] = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];

/** The rejection of `promise` (fails the test if it resolves). */
async function failureOf(
  promise: Promise<unknown>,
): Promise<{ code: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; details: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A copy of `bytes` with one byte XORed. */
function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

let h: CardHarness;
let signCert: Uint8Array;
let authCert: Uint8Array;

beforeAll(async () => {
  h = await memoryHarness();
  await h.card.jpki.verifyAuthPin(h.persona.pins.auth);
  await h.card.jpki.verifySignPassword(h.persona.pins.sign as string);
  signCert = await h.card.jpki.readCertificate('sign');
  authCert = await h.card.jpki.readCertificate('auth');
});

afterAll(async () => {
  await h?.close();
});

describe('verifyPkcs1Signature', () => {
  const data = text('login challenge 9c41e0');

  it.each(hashes)('verifies a card signature over data and over its DigestInfo (%s)', async (hash) => {
    const signature = await h.card.jpki.sign('auth', data, hash);
    const digestInfo = await hashToDigestInfo(hash, data);
    const overData = await verifyPkcs1Signature({ certificate: authCert, signature, data, hash });
    expect(overData).toMatchObject({ ok: true, hash });
    expect(overData.digestInfo).toEqual(digestInfo);
    const overDigestInfo = await verifyPkcs1Signature({ certificate: authCert, signature, digestInfo });
    expect(overDigestInfo).toMatchObject({ ok: true, hash });
    expect(overDigestInfo.certificate.serialNumber).toBe(parseJpkiCertificate(authCert).serialNumber);
    // Other data under the same key: the padding opens fine, the DigestInfo differs.
    const other = await hashToDigestInfo(hash, text('another challenge'));
    const mismatch = await failureOf(
      verifyPkcs1Signature({ certificate: authCert, signature, digestInfo: other }),
    );
    expect(mismatch).toMatchObject({ code: 'SIGNATURE_INVALID', details: { reason: 'digest-mismatch' } });
    expect(
      (await failureOf(verifyPkcs1Signature({ certificate: authCert, signature, data: text('x'), hash })))
        .code,
    ).toBe('SIGNATURE_INVALID');
  });

  it('defaults to SHA-256 over data and accepts PEM or a parsed certificate', async () => {
    const signature = await h.card.jpki.sign('sign', data, 'SHA-256');
    const parsed = parseJpkiCertificate(signCert);
    expect((await verifyPkcs1Signature({ certificate: parsed, signature, data })).hash).toBe('SHA-256');
    expect((await verifyPkcs1Signature({ certificate: derToPem(signCert), signature, data })).ok).toBe(true);
    const sha512 = await failureOf(
      verifyPkcs1Signature({ certificate: parsed, signature, data, hash: 'SHA-512' }),
    );
    expect(sha512).toMatchObject({ code: 'SIGNATURE_INVALID', details: { reason: 'digest-mismatch' } });
  });

  it('refuses a tampered signature, with either input', async () => {
    const signature = await h.card.jpki.sign('auth', data, 'SHA-256');
    const digestInfo = await hashToDigestInfo('SHA-256', data);
    for (const at of [0, 100, 255]) {
      const bad = flipped(signature, at);
      expect(
        (await failureOf(verifyPkcs1Signature({ certificate: authCert, signature: bad, data }))).code,
      ).toBe('SIGNATURE_INVALID');
      expect(
        (await failureOf(verifyPkcs1Signature({ certificate: authCert, signature: bad, digestInfo }))).code,
      ).toBe('SIGNATURE_INVALID');
    }
    const short = await failureOf(
      verifyPkcs1Signature({ certificate: authCert, signature: signature.subarray(1), digestInfo }),
    );
    expect(short).toMatchObject({ code: 'SIGNATURE_INVALID', details: { reason: 'length' } });
    const tooBig = await failureOf(
      verifyPkcs1Signature({ certificate: authCert, signature: new Uint8Array(256).fill(0xff), digestInfo }),
    );
    expect(tooBig).toMatchObject({ code: 'SIGNATURE_INVALID', details: { reason: 'length' } });
  });

  it('refuses a signature checked against the wrong certificate', async () => {
    const signature = await h.card.jpki.sign('auth', data, 'SHA-256');
    const digestInfo = await hashToDigestInfo('SHA-256', data);
    const wrong = await failureOf(verifyPkcs1Signature({ certificate: signCert, signature, digestInfo }));
    expect(wrong).toMatchObject({ code: 'SIGNATURE_INVALID', details: { reason: 'encoding' } });
    expect((await failureOf(verifyPkcs1Signature({ certificate: signCert, signature, data }))).code).toBe(
      'SIGNATURE_INVALID',
    );
  });

  it('refuses bad arguments with typed errors', async () => {
    const signature = await h.card.jpki.sign('auth', data, 'SHA-256');
    const digestInfo = await hashToDigestInfo('SHA-256', data);
    const cases: [Parameters<typeof verifyPkcs1Signature>[0], string][] = [
      [{ certificate: authCert, signature }, 'INVALID_INPUT'],
      [{ certificate: authCert, signature, data, digestInfo }, 'INVALID_INPUT'],
      [{ certificate: authCert, signature, digestInfo: digestInfo.subarray(2) }, 'INVALID_INPUT'],
      [{ certificate: authCert, signature, digestInfo, hash: 'SHA-384' }, 'INVALID_INPUT'],
      [{ certificate: authCert, signature, data, hash: 'MD5' as HashAlgorithm }, 'UNSUPPORTED_ALGORITHM'],
      [{ certificate: authCert.subarray(0, 100), signature, data }, 'MALFORMED_CERTIFICATE'],
    ];
    for (const [options, code] of cases)
      expect((await failureOf(verifyPkcs1Signature(options))).code).toBe(code);
  });

  it('refuses a certificate whose key is not RSA', async () => {
    const { certificate } = await opensslCmsSign(data, { keyType: 'ec' });
    const signature = await h.card.jpki.sign('auth', data, 'SHA-256');
    const digestInfo = await hashToDigestInfo('SHA-256', data);
    for (const input of [{ data }, { digestInfo }])
      expect((await failureOf(verifyPkcs1Signature({ certificate, signature, ...input }))).code).toBe(
        'UNSUPPORTED_ALGORITHM',
      );
  });
});

describe('the card as a JpkiSigner', () => {
  it('exposes each key with its certificate', async () => {
    const signer: JpkiCardSigner = h.card.jpki.signer('sign');
    const asJpkiSigner: JpkiSigner = signer; // structural: no adapter needed
    expect(signer.key).toBe('sign');
    expect(await asJpkiSigner.certificate()).toEqual(signCert);
    expect(await h.card.jpki.signer('auth').certificate()).toEqual(authCert);
    const digestInfo = await hashToDigestInfo('SHA-384', text('payload'));
    const signature = await signer.signDigestInfo(digestInfo);
    expect((await verifyPkcs1Signature({ certificate: signCert, signature, digestInfo })).hash).toBe(
      'SHA-384',
    );
    expect(() => h.card.jpki.signer('other' as 'sign')).toThrow(CardError);
  });

  it('needs the PIN verified by the caller', async () => {
    const fresh = await memoryHarness();
    try {
      const error = await failureOf(
        createCmsSignedData({ data: text('no pin'), signer: fresh.card.jpki.signer('auth') }),
      );
      expect(error).toBeInstanceOf(CardError);
      expect(error.code).toBe('SECURITY_STATUS_NOT_SATISFIED');
    } finally {
      await fresh.close();
    }
  });
});

describe('CMS SignedData made by the card', () => {
  const data = text('同意書: 最新の利用者情報の提供に同意します (transaction 20261125-0042)\n');
  const signingTime = new Date('2026-11-25T09:30:15.750Z');

  it('attached: our verifier and openssl cms -verify accept it', async () => {
    const cms = await createCmsSignedData({
      data,
      signer: h.card.jpki.signer('sign'),
      hash: 'SHA-256',
      signingTime,
    });
    const result = await verifyCmsSignedData(cms);
    expect(result.signerCertificate).toEqual(signCert);
    expect(result.contentDigestOk).toBe(true);
    expect(result.content).toEqual(data);
    expect(result.signedAt?.toISOString()).toBe('2026-11-25T09:30:15.000Z');
    expect(result.hash).toBe('SHA-256');
    expect(result.contentType).toBe('1.2.840.113549.1.7.1');
    expect(await opensslCmsVerify(cms)).toEqual(data);

    // The documented next step: the caller validates the signer's chain.
    const cas = await createJpkiTestCas();
    const trustStore = new TrustStore();
    await trustStore.addRoot('sign', cas.sign.der);
    const chain = await validateChain(result.signerCertificate, { trustStore, type: 'sign' });
    expect(chain.leaf.type).toBe('sign');
  });

  it.each(['SHA-256', 'SHA-384', 'SHA-512'] as const)(
    'detached (%s): both verifiers accept it',
    async (hash) => {
      const cms = await createCmsSignedData({
        data,
        signer: h.card.jpki.signer('auth'),
        hash,
        detached: true,
      });
      expect(indexOf(cms, data)).toBe(-1);
      const result = await verifyCmsSignedData(cms, { detachedContent: data });
      expect(result).toMatchObject({ contentDigestOk: true, hash });
      expect(result.content).toBeUndefined();
      expect(result.signerCertificate).toEqual(authCert);
      expect(await opensslCmsVerify(cms, data)).toEqual(data);

      const other = text('something else');
      expect((await verifyCmsSignedData(cms, { detachedContent: other })).contentDigestOk).toBe(false);
      expect(await opensslCmsVerify(cms, other)).toBeNull();
      expect((await failureOf(verifyCmsSignedData(cms))).code).toBe('INVALID_INPUT');
    },
  );

  it('is DER: OpenSSL re-encodes it byte for byte (signed attributes sorted)', async () => {
    const cms = await createCmsSignedData({ data, signer: h.card.jpki.signer('sign'), signingTime });
    expect(await opensslCmsReencode(cms)).toEqual(cms);
  });

  it('embeds extra certificates, or none', async () => {
    const cas = await createJpkiTestCas();
    const signer = h.card.jpki.signer('sign');
    const withCa = await createCmsSignedData({ data, signer, includeCertificates: [cas.sign.der] });
    const result = await verifyCmsSignedData(withCa);
    expect(result.certificates).toHaveLength(2);
    expect(result.signerCertificate).toEqual(signCert);
    expect(await opensslCmsVerify(withCa)).toEqual(data);

    const bare = await createCmsSignedData({
      data,
      signer,
      includeSignerCertificate: false,
      signingTime: null,
    });
    expect((await failureOf(verifyCmsSignedData(bare))).code).toBe('SIGNER_CERTIFICATE_NOT_FOUND');
    const found = await verifyCmsSignedData(bare, { certificates: [authCert, signCert] });
    expect(found.signerCertificate).toEqual(signCert);
    expect(found.signedAt).toBeUndefined();
  });

  it('refuses a signer whose key does not match its certificate', async () => {
    const auth = h.card.jpki.signer('auth');
    const mixed: JpkiSigner = {
      certificate: async () => signCert,
      signDigestInfo: (d) => auth.signDigestInfo(d),
    };
    expect((await failureOf(createCmsSignedData({ data, signer: mixed }))).code).toBe('SIGNATURE_INVALID');
    expect(
      (await failureOf(createCmsSignedData({ data, signer: auth, hash: 'SHA-1' as 'SHA-256' }))).code,
    ).toBe('UNSUPPORTED_ALGORITHM');
  });

  it('detects tampering: content, signature, signed attributes, garbage', async () => {
    const cms = await createCmsSignedData({ data, signer: h.card.jpki.signer('sign'), signingTime });
    const contentAt = indexOf(cms, data);
    expect(contentAt).toBeGreaterThan(0);
    const changedContent = flipped(cms, contentAt + 3);
    const result = await verifyCmsSignedData(changedContent);
    expect(result.contentDigestOk).toBe(false);
    expect(await opensslCmsVerify(changedContent)).toBeNull();

    // The signature is the last field of the only SignerInfo, so the last byte is part of it.
    const changedSignature = flipped(cms, cms.length - 1);
    expect((await failureOf(verifyCmsSignedData(changedSignature))).code).toBe('SIGNATURE_INVALID');
    expect(await opensslCmsVerify(changedSignature)).toBeNull();

    const timeAt = indexOf(cms, text('261125093015Z'));
    expect(timeAt).toBeGreaterThan(0);
    const changedTime = flipped(cms, timeAt + 1); // still a valid UTCTime digit
    expect((await failureOf(verifyCmsSignedData(changedTime))).code).toBe('SIGNATURE_INVALID');

    expect((await failureOf(verifyCmsSignedData(cms.subarray(0, 200)))).code).toBe('MALFORMED_CMS');
    expect((await failureOf(verifyCmsSignedData(text('not a CMS at all')))).code).toBe('MALFORMED_CMS');
    expect((await failureOf(verifyCmsSignedData(signCert))).code).toBe('MALFORMED_CMS');
    expect((await failureOf(verifyCmsSignedData(cms, { detachedContent: data }))).code).toBe('INVALID_INPUT');
  });

  it('checks the signer certificate validity at `at`', async () => {
    const cms = await createCmsSignedData({ data, signer: h.card.jpki.signer('sign') });
    const { notBefore, notAfter } = parseJpkiCertificate(signCert);
    const before = new Date(notBefore.getTime() - 1000);
    const after = new Date(notAfter.getTime() + 1000);
    expect((await failureOf(verifyCmsSignedData(cms, { at: before }))).code).toBe('NOT_YET_VALID');
    expect((await failureOf(verifyCmsSignedData(cms, { at: after }))).code).toBe('EXPIRED');
    expect((await verifyCmsSignedData(cms, { at: notBefore })).contentDigestOk).toBe(true);
  });
});

describe('CMS SignedData made by openssl cms -sign', () => {
  const data = text('made by openssl\r\nwith CRLF and binary \u0000\u00ff bytes');

  it.each([
    { detached: false, keyid: false },
    { detached: true, keyid: false },
    { detached: false, keyid: true },
  ])('verifies it (%o)', async (options) => {
    const { cms, certificate } = await opensslCmsSign(data, options);
    const result = await verifyCmsSignedData(cms, options.detached ? { detachedContent: data } : {});
    expect(result.signerCertificate).toEqual(certificate);
    expect(result.contentDigestOk).toBe(true);
    expect(result.hash).toBe('SHA-256');
    expect(result.signedAt).toBeInstanceOf(Date);
    if (!options.detached) expect(result.content).toEqual(data);

    const tampered = text('made by openssl\r\nwith CRLF and binary \u0000\u00fe bytes');
    if (options.detached)
      expect((await verifyCmsSignedData(cms, { detachedContent: tampered })).contentDigestOk).toBe(false);
    else {
      const at = indexOf(cms, data);
      expect(at).toBeGreaterThan(0);
      expect((await verifyCmsSignedData(flipped(cms, at))).contentDigestOk).toBe(false);
    }
  });

  it('verifies one without signed attributes (signature over the content itself)', async () => {
    const { cms, certificate } = await opensslCmsSign(data, { noattr: true });
    const result = await verifyCmsSignedData(cms);
    expect(result).toMatchObject({ contentDigestOk: true, content: data });
    expect(result.signedAt).toBeUndefined();
    expect(result.signerCertificate).toEqual(certificate);
    const at = indexOf(cms, data);
    expect((await failureOf(verifyCmsSignedData(flipped(cms, at)))).code).toBe('SIGNATURE_INVALID');
  });

  it('refuses an EC signer as an unsupported algorithm', async () => {
    const { cms } = await opensslCmsSign(data, { keyType: 'ec' });
    expect((await failureOf(verifyCmsSignedData(cms))).code).toBe('UNSUPPORTED_ALGORITHM');
  });
});
