// Runs in Chromium: the browser build of @mynakit/jpki validating a card's certificates with the browser's WebCrypto.
import {
  parseJpkiCertificate,
  TrustStore,
  validateChain,
  verifyCmsSignedData,
  verifyPkcs1Signature,
} from '@mynakit/jpki';

interface Input {
  signCa: number[];
  sign: number[];
  data: number[];
  signature: number[];
  cms: number[];
}

async function run(input: Input) {
  const bytes = (a: number[]) => new Uint8Array(a);
  const trustStore = new TrustStore();
  await trustStore.addRoot('sign', bytes(input.signCa));
  const chain = await validateChain(bytes(input.sign), {
    trustStore,
    type: 'sign',
    at: new Date('2026-06-01T00:00:00Z'),
  });
  const pkcs1 = await verifyPkcs1Signature({
    certificate: bytes(input.sign),
    signature: bytes(input.signature),
    data: bytes(input.data),
    hash: 'SHA-256',
  });
  const cms = await verifyCmsSignedData(bytes(input.cms), { at: new Date('2026-06-01T00:00:00Z') });
  let wrongType = '';
  try {
    await validateChain(bytes(input.sign), { trustStore, type: 'auth' });
  } catch (error) {
    wrongType = (error as { code: string }).code;
  }
  return {
    root: chain.root.sha256,
    name: parseJpkiCertificate(bytes(input.sign)).basicFour?.name,
    pkcs1: pkcs1.ok,
    cmsDigest: cms.contentDigestOk,
    wrongType,
  };
}

(globalThis as { runJpki?: typeof run }).runJpki = run;
