import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { z } from 'zod';
import type { JpkiTestCa } from '../ca/jpki-ca.js';
import {
  issueOcspResponderCertificate,
  type OcspResponderCertificate,
} from './ocsp-responder-certificate.js';
import {
  type CrlReason,
  crlReasonCode,
  normalizeSerialHex,
  type RevocationCaKey,
  type RevocationEntry,
  RevocationRegistries,
  revocationCaKeyString,
} from './revocation-registry.js';

/** OCSPResponseStatus values (RFC 6960 §4.2.1); 4 is not used. */
export const ocspResponseStatusCode = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

export type OcspResponseStatus = keyof typeof ocspResponseStatusCode;

const responseStatuses = Object.keys(ocspResponseStatusCode) as [OcspResponseStatus, ...OcspResponseStatus[]];

export const ocspOids = {
  basicResponse: '1.3.6.1.5.5.7.48.1.1',
  nonce: '1.3.6.1.5.5.7.48.1.2',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

const nodeHashByOid: Record<string, string> = {
  [ocspOids.sha1]: 'sha1',
  [ocspOids.sha256]: 'sha256',
  [ocspOids.sha384]: 'sha384',
  [ocspOids.sha512]: 'sha512',
};

/**
 * What the mock responder does (jpki-pki.md §5 "OCSP": the real J-LIS profile is under NDA, so every variant a
 * client may meet is selectable). Validated with zod; change it at run time with `configure`.
 */
export const ocspResponderOptionsSchema = z.object({
  /** Who signs: the issuing root itself, or a delegated responder certificate issued by it. */
  signer: z.enum(['ca', 'delegated']).default('ca'),
  /** responderID form: byName (signer subject) or byKey (SHA-1 of the signer's public key). */
  responderId: z.enum(['byName', 'byKey']).default('byKey'),
  /** Embed the signer certificate in `certs`, or leave it out (PKI.js then cannot verify without help). */
  embedCertificates: z.boolean().default(true),
  /** Echo the request's nonce, leave it out (what many real responders do), or send a different one. */
  nonce: z.enum(['echo', 'omit', 'wrong']).default('echo'),
  /**
   * CertID hash of the answers: the request's own (`request`), or `sha256` always — the responder bug where
   * SHA-1 requests get SHA-256 CertIDs back and clients no longer match them.
   */
  certIdHash: z.enum(['request', 'sha256']).default('request'),
  /**
   * `current`: thisUpdate on the cadence boundary at or before now, nextUpdate one cadence later. `stale`:
   * nextUpdate at least one cadence in the past. `skewed`: thisUpdate `skewMinutes` in the future.
   */
  validity: z.enum(['current', 'stale', 'skewed']).default('current'),
  /** J-LIS refreshes its OCSP data every 15 minutes (jpki-pki.md §3.2). */
  cadenceMinutes: z.number().int().positive().default(15),
  skewMinutes: z.number().int().positive().default(30),
  /** Anything but `successful` answers every request with that error status and no body. */
  responseStatus: z.enum(responseStatuses).default('successful'),
  /** A request whose CertIDs match none of the served roots: `unknown` answers, or an `unauthorized` error. */
  unknownIssuer: z.enum(['unknown', 'unauthorized']).default('unknown'),
});

export type OcspResponderOptions = z.output<typeof ocspResponderOptionsSchema>;
export type OcspResponderOptionsInput = z.input<typeof ocspResponderOptionsSchema>;

export interface MockOcspResponderInit {
  /** The roots this responder answers for (e.g. both types, several generations). */
  cas: readonly JpkiTestCa[];
  /** Revocation state; default a fresh, empty set. */
  registries?: RevocationRegistries;
  options?: OcspResponderOptionsInput;
  /** Time source; default the system clock. */
  clock?: () => Date;
}

/** The parsed outcome for one request entry (for logs and tests). */
export interface OcspAnswer {
  serial: string;
  ca: RevocationCaKey | null;
  status: 'good' | 'revoked' | 'unknown';
  reason?: CrlReason;
}

interface CaMatcher {
  ca: JpkiTestCa;
  certificate: pkijs.Certificate;
  nameDer: Uint8Array;
  keyBits: Uint8Array;
}

const toSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

function digest(nodeHash: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(nodeHash).update(data).digest());
}

const equalBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function errorResponse(status: OcspResponseStatus): Uint8Array {
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: ocspResponseStatusCode[status] }),
  });
  return new Uint8Array(response.toSchema().toBER(false));
}

/** CertStatus CHOICE: good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL. */
function certStatus(entry: RevocationEntry | undefined, known: boolean): asn1js.BaseBlock {
  if (!known) return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  if (!entry) return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  return new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 1 },
    value: [
      new asn1js.GeneralizedTime({ valueDate: entry.revokedAt }),
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [new asn1js.Enumerated({ value: crlReasonCode[entry.reason] })],
      }),
    ],
  });
}

/**
 * A mock J-LIS OCSP responder (RFC 6960 BasicOCSPResponse built with PKI.js, signed sha256WithRSA — PKI.js
 * would default to SHA-1). Answers good / revoked (time + reason) / unknown from a `RevocationRegistries`.
 */
export class MockOcspResponder {
  readonly registries: RevocationRegistries;
  readonly cas: readonly JpkiTestCa[];
  #options: OcspResponderOptions;
  #clock: () => Date;
  #matchers: CaMatcher[];
  #delegated = new Map<string, Promise<OcspResponderCertificate>>();
  /** The answers of the last successful response (what a test may assert on without re-parsing). */
  lastAnswers: OcspAnswer[] = [];

  constructor(init: MockOcspResponderInit) {
    if (init.cas.length === 0) throw new TypeError('the responder needs at least one CA');
    this.cas = [...init.cas];
    this.registries = init.registries ?? new RevocationRegistries();
    this.#options = ocspResponderOptionsSchema.parse(init.options ?? {});
    this.#clock = init.clock ?? (() => new Date());
    this.#matchers = this.cas.map((ca) => {
      const certificate = pkijs.Certificate.fromBER(new Uint8Array(ca.der));
      return {
        ca,
        certificate,
        nameDer: new Uint8Array(certificate.subject.toSchema().toBER(false)),
        keyBits: new Uint8Array(certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
      };
    });
  }

  get options(): OcspResponderOptions {
    return { ...this.#options };
  }

  /** Merges and validates new options (throws a ZodError and keeps the old ones when invalid). */
  configure(patch: OcspResponderOptionsInput): OcspResponderOptions {
    this.#options = ocspResponderOptionsSchema.parse({ ...this.#options, ...patch });
    return this.options;
  }

  /** Back to the defaults (or to `options`). */
  resetOptions(options: OcspResponderOptionsInput = {}): OcspResponderOptions {
    this.#options = ocspResponderOptionsSchema.parse(options);
    return this.options;
  }

  setClock(clock: () => Date): void {
    this.#clock = clock;
  }

  /** Shorthand for `registries.revoke(ca, …)`. */
  revoke(ca: RevocationCaKey, serialHex: string, reason?: CrlReason, at?: Date): RevocationEntry {
    return this.registries.revoke(ca, serialHex, reason, at);
  }

  /** The delegated responder certificate used for `ca` (issued on first use unless set). */
  delegatedResponder(ca: JpkiTestCa): Promise<OcspResponderCertificate> {
    const key = revocationCaKeyString(ca);
    let responder = this.#delegated.get(key);
    if (!responder) {
      responder = issueOcspResponderCertificate(ca);
      this.#delegated.set(key, responder);
      responder.catch(() => this.#delegated.delete(key));
    }
    return responder;
  }

  /** Uses a specific delegated certificate for `ca` (e.g. one without the OCSPSigning EKU). */
  setDelegatedResponder(ca: JpkiTestCa, responder: OcspResponderCertificate): void {
    this.#delegated.set(revocationCaKeyString(ca), Promise.resolve(responder));
  }

  /** DER OCSPResponse for a DER OCSPRequest. Never throws: internal failures become `internalError`. */
  async respond(requestDer: Uint8Array): Promise<Uint8Array> {
    const options = this.#options;
    let request: pkijs.OCSPRequest;
    try {
      request = pkijs.OCSPRequest.fromBER(requestDer.slice().buffer);
    } catch {
      return errorResponse('malformedRequest');
    }
    const entries = request.tbsRequest.requestList;
    if (
      entries.length === 0 ||
      entries.some((r) => r.reqCert.serialNumber.valueBlock.valueHexView.length === 0)
    )
      return errorResponse('malformedRequest');
    if (options.responseStatus !== 'successful') return errorResponse(options.responseStatus);
    try {
      return await this.#build(request, options);
    } catch {
      return errorResponse('internalError');
    }
  }

  #match(certId: pkijs.CertID): CaMatcher | undefined {
    const nodeHash = nodeHashByOid[certId.hashAlgorithm.algorithmId];
    if (!nodeHash) return undefined;
    const nameHash = certId.issuerNameHash.valueBlock.valueHexView;
    const keyHash = certId.issuerKeyHash.valueBlock.valueHexView;
    return this.#matchers.find(
      (m) =>
        equalBytes(digest(nodeHash, m.nameDer), nameHash) && equalBytes(digest(nodeHash, m.keyBits), keyHash),
    );
  }

  #validity(
    now: Date,
    options: OcspResponderOptions,
  ): { producedAt: Date; thisUpdate: Date; nextUpdate: Date } {
    const cadence = options.cadenceMinutes * 60_000;
    const boundary = Math.floor(now.getTime() / cadence) * cadence;
    switch (options.validity) {
      case 'current':
        return {
          producedAt: toSecond(now.getTime()),
          thisUpdate: toSecond(boundary),
          nextUpdate: toSecond(boundary + cadence),
        };
      case 'stale': {
        // A response pre-produced two periods ago and still being served.
        const thisUpdate = toSecond(boundary - 2 * cadence);
        return { producedAt: thisUpdate, thisUpdate, nextUpdate: toSecond(boundary - cadence) };
      }
      case 'skewed': {
        // The responder's clock runs ahead: every time in the response is in the client's future.
        const thisUpdate = toSecond(now.getTime() + options.skewMinutes * 60_000);
        return { producedAt: thisUpdate, thisUpdate, nextUpdate: toSecond(thisUpdate.getTime() + cadence) };
      }
    }
  }

  #nonceExtension(
    request: pkijs.OCSPRequest,
    mode: OcspResponderOptions['nonce'],
  ): pkijs.Extension | undefined {
    const requested = request.tbsRequest.requestExtensions?.find((e) => e.extnID === ocspOids.nonce);
    if (mode === 'omit') return undefined;
    if (mode === 'echo') {
      if (!requested) return undefined;
      return new pkijs.Extension({
        extnID: ocspOids.nonce,
        critical: false,
        extnValue: requested.extnValue.valueBlock.valueHexView.slice().buffer,
      });
    }
    // 'wrong': the request's nonce with its last byte flipped (same length and form), or a random one.
    const value = requested
      ? requested.extnValue.valueBlock.valueHexView.slice()
      : new Uint8Array(new asn1js.OctetString({ valueHex: randomBytes(16) }).toBER(false));
    value[value.length - 1] = (value[value.length - 1] ?? 0) ^ 0xff;
    return new pkijs.Extension({ extnID: ocspOids.nonce, critical: false, extnValue: value.buffer });
  }

  async #build(request: pkijs.OCSPRequest, options: OcspResponderOptions): Promise<Uint8Array> {
    const now = this.#clock();
    const { producedAt, thisUpdate, nextUpdate } = this.#validity(now, options);
    const items = request.tbsRequest.requestList.map((r) => ({
      certId: r.reqCert,
      matcher: this.#match(r.reqCert),
    }));
    if (options.unknownIssuer === 'unauthorized' && items.every((i) => !i.matcher))
      return errorResponse('unauthorized');

    const answers: OcspAnswer[] = [];
    const responses = items.map(({ certId, matcher }) => {
      const serial = normalizeSerialHex(
        Buffer.from(certId.serialNumber.valueBlock.valueHexView).toString('hex'),
      );
      const entry = matcher ? this.registries.for(matcher.ca).lookup(serial) : undefined;
      answers.push({
        serial,
        ca: matcher
          ? { type: matcher.ca.type, hierarchy: matcher.ca.hierarchy, generation: matcher.ca.generation }
          : null,
        status: !matcher ? 'unknown' : entry ? 'revoked' : 'good',
        ...(entry && { reason: entry.reason }),
      });
      let responseCertId = certId;
      if (
        matcher &&
        options.certIdHash === 'sha256' &&
        certId.hashAlgorithm.algorithmId !== ocspOids.sha256
      ) {
        responseCertId = new pkijs.CertID({
          hashAlgorithm: new pkijs.AlgorithmIdentifier({
            algorithmId: ocspOids.sha256,
            algorithmParams: new asn1js.Null(),
          }),
          issuerNameHash: new asn1js.OctetString({ valueHex: digest('sha256', matcher.nameDer) }),
          issuerKeyHash: new asn1js.OctetString({ valueHex: digest('sha256', matcher.keyBits) }),
          serialNumber: certId.serialNumber,
        });
      }
      return new pkijs.SingleResponse({
        certID: responseCertId,
        certStatus: certStatus(entry, matcher !== undefined),
        thisUpdate,
        nextUpdate,
      });
    });

    // One signer per response: the root of the first recognised CertID (or the first served root).
    const signerCa = items.find((i) => i.matcher)?.matcher?.ca ?? this.cas[0]!;
    const signer =
      options.signer === 'ca'
        ? { der: signerCa.der, signingKey: signerCa.signingKey }
        : await this.delegatedResponder(signerCa);
    const signerCertificate = pkijs.Certificate.fromBER(signer.der.slice().buffer);
    const responderID =
      options.responderId === 'byName'
        ? signerCertificate.subject
        : new asn1js.OctetString({
            valueHex: digest(
              'sha1',
              signerCertificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
            ),
          });

    const nonce = this.#nonceExtension(request, options.nonce);
    // PKI.js encodes a present-but-empty extensions/certs field, so only set the keys when there is content.
    const basic = new pkijs.BasicOCSPResponse({
      tbsResponseData: new pkijs.ResponseData({
        responderID,
        producedAt,
        responses,
        ...(nonce && { responseExtensions: [nonce] }),
      }),
      ...(options.embedCertificates && { certs: [signerCertificate] }),
    });
    await basic.sign(signer.signingKey, 'SHA-256');

    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: ocspResponseStatusCode.successful }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: ocspOids.basicResponse,
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
      }),
    });
    this.lastAnswers = answers;
    return new Uint8Array(response.toSchema().toBER(false));
  }
}
