// Signatures made with the card's JPKI keys: raw PKCS#1 v1.5 verification and CMS SignedData.
export { type CmsHashAlgorithm, cmsHashAlgorithms } from './algorithms.js';
export { type CreateCmsSignedDataOptions, createCmsSignedData } from './cms-sign.js';
export { type CmsVerification, type VerifyCmsOptions, verifyCmsSignedData } from './cms-verify.js';
export { type Pkcs1Verification, type VerifyPkcs1Options, verifyPkcs1Signature } from './pkcs1.js';
export type { JpkiSigner } from './signer.js';
