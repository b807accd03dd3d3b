import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export interface CreateOcspRequestOptions {
  /** CertID hash; default SHA-1 (what OpenSSL and most clients send). */
  hash?: 'SHA-1' | 'SHA-256';
  /** Nonce bytes; default 16 random bytes; `null` for a request without nonce. */
  nonce?: Uint8Array | null;
}

/**
 * A DER OCSPRequest for one certificate (unsigned, as clients send them), with an RFC 8954-style nonce
 * extension (extnValue = OCTET STRING of the nonce). For driving the mock responder from tests.
 */
export async function createOcspRequest(
  certificateDer: Uint8Array,
  issuerDer: Uint8Array,
  options: CreateOcspRequestOptions = {},
): Promise<{ der: Uint8Array; nonce: Uint8Array | null }> {
  const certificate = pkijs.Certificate.fromBER(new Uint8Array(certificateDer));
  const issuerCertificate = pkijs.Certificate.fromBER(new Uint8Array(issuerDer));
  const reqCert = await pkijs.CertID.create(certificate, {
    hashAlgorithm: options.hash ?? 'SHA-1',
    issuerCertificate,
  });
  const nonce = options.nonce === undefined ? new Uint8Array(randomBytes(16)) : options.nonce;
  const request = new pkijs.OCSPRequest({
    tbsRequest: new pkijs.TBSRequest({
      requestList: [new pkijs.Request({ reqCert })],
      ...(nonce && {
        requestExtensions: [
          new pkijs.Extension({
            extnID: '1.3.6.1.5.5.7.48.1.2',
            critical: false,
            extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(false),
          }),
        ],
      }),
    }),
  });
  return { der: new Uint8Array(request.toSchema(true).toBER(false)), nonce };
}
