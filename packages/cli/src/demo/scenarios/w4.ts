import type { MyNumberCard } from '@mynakit/card';
import { RevocationChecker, sha256Hex } from '@mynakit/jpki';
import { getPersona } from '@mynakit/testkit';
import { ServerClient } from '@mynakit/workflows/device';
import { z } from 'zod';
import { summarizeCertificate } from '../../certificate-summary.js';
import { withCardInReader } from '../card-session.js';
import type { DemoContext } from '../context.js';
import type { ReportOcspEvidence, ReportRecheck, ReportW4 } from '../report-model.js';

const challengeSchema = z.object({ challengeId: z.string(), toBeSigned: z.base64(), expiresAt: z.string() });
const loginSchema = z.object({
  customerId: z.string(),
  authSerial: z.string(),
  newlyBound: z.boolean(),
  certificateNotAfter: z.string(),
});
// The answer also carries the basic four from the certificate: not parsed, so never kept or shown.
const identitySchema = z.object({
  customerId: z.string(),
  evidenceId: z.string(),
  signSerial: z.string(),
  retainUntil: z.string(),
});
const recheckSchema = z.object({
  status: z.string(),
  meaning: z.string(),
  signSerial: z.string(),
  checkedAt: z.string(),
  reason: z.string().optional(),
  revokedAt: z.string().optional(),
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/**
 * W4 at an eKYC provider: login with the auth certificate (bound to the customer's account), identity verification
 * with the signing certificate (evidence kept 7 years), a status re-check (現況確認), then the holder moves: J-LIS
 * revokes the signing certificate and the next re-check says the basic four changed.
 */
export async function ekycLoginIdentityRecheck(ctx: DemoContext): Promise<void> {
  const label = 'W4';
  const { timeline, env } = ctx;
  const persona = getPersona('yoshiko');
  const customerId = 'demo-customer-1';
  const ekyc = new ServerClient({ baseUrl: env.url, apiKey: env.apiKeys.ekyc });
  const virtual = await env.issueCard(persona.id);
  timeline.step(label, `J-LIS issued a card to ${persona.id}`);

  const report: ReportW4 = { persona: persona.id, customerId, certificates: [], rechecks: [], ocsp: [] };
  ctx.report.w4 = report;
  const signCertificate = await withCardInReader(virtual, ctx.port, async (card) => {
    timeline.step(label, `card of ${persona.id} inserted into "${card.reader}"`);
    const loginChallenge = await ekyc.post('/w4/login/start', {}, challengeSchema);
    await card.jpki.verifyAuthPin(persona.pins.auth);
    const { answer: login, certificate: authCertificate } = await answerChallenge(
      { card, ekyc, customerId },
      'auth',
      loginChallenge,
      '/w4/login',
      loginSchema,
    );
    timeline.step(label, 'login: auth signature, chain and OCSP verified', `serial ${login.authSerial}`);
    timeline.expect('w4.login', label, 'account bound to the auth certificate', true, login.newlyBound);

    const identityChallenge = await ekyc.post(
      '/w4/identity/start',
      { transaction: `open an account for ${customerId}` },
      challengeSchema,
    );
    await card.jpki.verifySignPassword(persona.pins.sign!);
    const { answer: identity, certificate: signCertificate } = await answerChallenge(
      { card, ekyc, customerId },
      'sign',
      identityChallenge,
      '/w4/identity',
      identitySchema,
    );
    timeline.step(
      label,
      'identity: signature over the transaction verified',
      `evidence ${identity.evidenceId}`,
    );
    timeline.expect(
      'w4.identity',
      label,
      'identity verified, evidence kept',
      true,
      identity.evidenceId.length > 0,
    );
    report.login = {
      authSerial: login.authSerial,
      newlyBound: login.newlyBound,
      certificateNotAfter: login.certificateNotAfter,
    };
    report.identity = {
      evidenceId: identity.evidenceId,
      signSerial: identity.signSerial,
      retainUntil: identity.retainUntil,
    };
    report.certificates = [
      { label: 'user-authentication certificate (login)', summary: summarizeCertificate(authCertificate) },
      {
        label: 'signing certificate (identity verification)',
        summary: summarizeCertificate(signCertificate),
      },
    ];
    return signCertificate;
  });

  const stored = await env.server.database.evidence.latestFor(customerId);
  for (const evidence of stored?.evidence.revocation.evidence ?? []) {
    const view = await ocspView('OCSP answer kept with the identity evidence', evidence, {
      status: stored?.evidence.revocation.status ?? 'unknown',
    });
    if (view) report.ocsp.push(view);
  }

  const recheck = () => ekyc.post('/w4/recheck', { customerId }, recheckSchema, { retry: false });
  const before = await recheck();
  report.rechecks.push(recheckView('before the move', before));
  timeline.expect('w4.recheck-before', label, 'status re-check', 'valid', before.status);

  await env.jlis.changeBasicFour(persona.id, { address: '静岡県浜松市中区元城町１０３－２' });
  timeline.step(label, `${persona.id} moved: J-LIS revoked the signing certificate (affiliationChanged)`);
  const after = await recheck();
  report.rechecks.push(recheckView('after the move', after));
  timeline.step(label, 're-check after the move', `${after.status}, ${after.meaning}`);
  timeline.expect('w4.recheck-after', label, 'status re-check after the move', 'revoked', after.status);
  timeline.expect('w4.meaning', label, 'what the revocation means', 'basic-four-changed', after.meaning);

  // The same answer straight from J-LIS's OCSP responder, as an auditor would fetch it.
  const checker = new RevocationChecker({ ocsp: { url: env.jlisServer.ocspUrl } });
  const direct = await checker.check(signCertificate, env.jlis.cas.sign.der);
  for (const evidence of direct.evidence) {
    const view = await ocspView('OCSP answer after the move', evidence, {
      status: direct.status,
      ...(direct.reason !== undefined && { reason: direct.reason }),
      ...(direct.revokedAt !== undefined && { revokedAt: direct.revokedAt.toISOString() }),
    });
    if (view) report.ocsp.push(view);
  }
  timeline.expect('w4.ocsp', label, 'OCSP status of the kept signing certificate', 'revoked', direct.status);
}

/** Signs the provider's challenge with one of the card's keys and posts the signature with that key's certificate. */
async function answerChallenge<T>(
  session: { readonly card: MyNumberCard; readonly ekyc: ServerClient; readonly customerId: string },
  key: 'auth' | 'sign',
  challenge: z.infer<typeof challengeSchema>,
  path: string,
  schema: z.ZodType<T>,
): Promise<{ answer: T; certificate: Uint8Array }> {
  const { card, ekyc, customerId } = session;
  const signature = await card.jpki.sign(key, unb64(challenge.toBeSigned), 'SHA-256');
  const certificate = await card.jpki.readCertificate(key);
  const answer = await ekyc.post(
    path,
    {
      challengeId: challenge.challengeId,
      certificate: b64(certificate),
      signature: b64(signature),
      customerId,
    },
    schema,
    { retry: false },
  );
  return { answer, certificate };
}

function recheckView(label: string, answer: z.infer<typeof recheckSchema>): ReportRecheck {
  return {
    label,
    status: answer.status,
    meaning: answer.meaning,
    checkedAt: answer.checkedAt,
    ...(answer.reason !== undefined && { reason: answer.reason }),
    ...(answer.revokedAt !== undefined && { revokedAt: answer.revokedAt }),
  };
}

async function ocspView(
  label: string,
  evidence: unknown,
  outcome: { status: string; reason?: string; revokedAt?: string },
): Promise<ReportOcspEvidence | undefined> {
  const e = evidence as Record<string, unknown>;
  if (e.source !== 'ocsp' || !(e.rawResponse instanceof Uint8Array)) return undefined;
  const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));
  const responder = e.responder as { type: string; name?: string; keyHash?: string };
  return {
    label,
    ...outcome,
    url: String(e.url),
    producedAt: iso(e.producedAt),
    thisUpdate: iso(e.thisUpdate),
    nextUpdate: e.nextUpdate === null ? null : iso(e.nextUpdate),
    responder: responder.type === 'byName' ? `by name: ${responder.name}` : `by key: ${responder.keyHash}`,
    signer: String(e.signer),
    certIdHash: String(e.certIdHash),
    nonceChecked: e.nonceChecked === true,
    rawResponseSha256: await sha256Hex(e.rawResponse),
    rawResponseBytes: e.rawResponse.length,
  };
}
