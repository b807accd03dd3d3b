import { verify as nodeVerify, X509Certificate } from 'node:crypto';
import {
  loadCrl,
  parseJpkiCertificate,
  RevocationChecker,
  TrustStore,
  validateChain,
  verifyOcspResponse,
} from '@mynakit/jpki';
import {
  createJpkiTestCas,
  createOcspRequest,
  createVirtualCard,
  issueCrl,
  MockOcspResponder,
  RevocationRegistries,
  syntheticSerial,
} from '@mynakit/testkit';
import * as asn1js from 'asn1js';

/**
 * Validations per second on one core: chain (leaf → root) plus a verified OCSP answer. "Uncached" verifies a
 * fresh OCSP response each time; "cached" reuses the verified answer (RevocationChecker's cacheOcspAnswers)
 * and so pays for the chain only. The floor is Node's native crypto.verify on the same two RSA-2048 signatures
 * (certificate and OCSP response) that an uncached validation must check.
 */
export interface ValidationResult {
  name: string;
  perSecond: number;
  microsPerOp: number;
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

async function rate(name: string, op: () => Promise<unknown> | unknown): Promise<ValidationResult> {
  for (let i = 0; i < 50; i++) await op(); // warm up JIT and key imports
  let count = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    await op();
    count++;
  }
  const elapsed = performance.now() - start;
  return {
    name,
    perSecond: Math.round((count * 1000) / elapsed),
    microsPerOp: Math.round((elapsed * 1000) / count),
  };
}

export async function benchValidation(): Promise<ValidationResult[]> {
  const cas = await createJpkiTestCas();
  const leafDer = (await createVirtualCard({ persona: 'taro' })).certificates.sign!;
  const responder = new MockOcspResponder({ cas: [cas.sign, cas.auth], options: { nonce: 'omit' } });
  const request = await createOcspRequest(leafDer, cas.sign.der, { nonce: null });
  const response = await responder.respond(request.der);
  const trustStore = new TrustStore();
  await trustStore.addRoot('sign', cas.sign.der);
  const issuer = parseJpkiCertificate(cas.sign.der);

  const uncached = await rate('chain + OCSP response verification (uncached)', async () => {
    const { leaf } = await validateChain(leafDer, { trustStore, type: 'sign' });
    const answer = await verifyOcspResponse(response, { certificate: leaf, issuer });
    if (answer.status !== 'good') throw new Error('unexpected OCSP status');
  });

  const checker = new RevocationChecker({
    ocsp: { url: 'http://ocsp.invalid/', nonce: 'ignore' },
    cacheOcspAnswers: true,
    fetch: async () =>
      new Response(response.slice(), { headers: { 'content-type': 'application/ocsp-response' } }),
  });
  const cached = await rate('chain + cached OCSP answer', async () => {
    const { leaf } = await validateChain(leafDer, { trustStore, type: 'sign' });
    const result = await checker.check(leaf, issuer);
    if (result.status !== 'good') throw new Error('unexpected status');
  });

  // The floor: the two RSA-2048 signature checks, natively, without any parsing.
  const leaf = new X509Certificate(leafDer);
  const caKey = new X509Certificate(cas.sign.der).publicKey;
  const cert = parseJpkiCertificate(leafDer);
  const ocsp = ocspSignedParts(response);
  const floor = await rate("Node's crypto.verify ×2 (certificate + OCSP signatures)", () => {
    const a = nodeVerify('sha256', cert.tbsCertificate, caKey, cert.signatureValue);
    const b = nodeVerify('sha256', ocsp.tbs, caKey, ocsp.signature);
    if (!a || !b || !leaf) throw new Error('floor verification failed');
  });
  return [uncached, cached, floor];
}

/** tbsResponseData and the signature of a BasicOCSPResponse, for the native floor. */
function ocspSignedParts(response: Uint8Array): { tbs: Uint8Array; signature: Uint8Array } {
  const outer = asn1js.fromBER(response.slice().buffer).result as asn1js.Sequence;
  const bytesField = (outer.valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.Sequence;
  const octets = bytesField.valueBlock.value[1] as asn1js.OctetString;
  const basic = asn1js.fromBER(octets.valueBlock.valueHexView.slice().buffer).result as asn1js.Sequence;
  const [tbs, , signature] = basic.valueBlock.value as [asn1js.Sequence, asn1js.Sequence, asn1js.BitString];
  return {
    tbs: new Uint8Array(tbs.valueBeforeDecodeView),
    signature: new Uint8Array(signature.valueBlock.valueHexView),
  };
}

export interface CrlResult {
  entries: number;
  derBytes: number;
  loadMs: number;
  lookupNs: number;
}

/** Load (verify + index) and look up a CRL of 100k and 1M entries. */
export async function benchCrl(): Promise<CrlResult[]> {
  const cas = await createJpkiTestCas();
  const results: CrlResult[] = [];
  for (const entries of [100_000, 1_000_000]) {
    const crl = await issueCrl(cas.sign, new RevocationRegistries().for(cas.sign), {
      syntheticEntries: entries,
    });
    const start = performance.now();
    const verified = await loadCrl(crl.der, cas.sign.der);
    const loadMs = performance.now() - start;
    const lookups = 200_000;
    const serials = Array.from({ length: 1000 }, (_, i) => syntheticSerial((i * 7919) % (entries * 2)));
    const t = performance.now();
    let hits = 0;
    for (let i = 0; i < lookups; i++) if (verified.lookup(serials[i % serials.length]!)) hits++;
    const lookupNs = ((performance.now() - t) * 1e6) / lookups;
    if (hits === 0) throw new Error('no CRL hits');
    results.push({
      entries,
      derBytes: crl.der.length,
      loadMs: Math.round(loadMs),
      lookupNs: Math.round(lookupNs),
    });
  }
  return results;
}
