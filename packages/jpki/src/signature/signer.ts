/**
 * Anything that can sign a DigestInfo with a JPKI key: the card (`MyNumberCard.jpki.signer('sign')` implements it
 * structurally), a remote signing service, or a test double. Async because the key lives elsewhere.
 */
export interface JpkiSigner {
  /** The DER certificate of the signing key. */
  certificate(): Promise<Uint8Array>;
  /**
   * RSASSA-PKCS1-v1_5 over a host-built DigestInfo (the signer pads it; it does not hash). Resolves the raw signature,
   * as long as the RSA modulus.
   */
  signDigestInfo(digestInfo: Uint8Array): Promise<Uint8Array>;
}
