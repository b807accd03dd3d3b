import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import {
  EkycVerifier,
  HttpLatestBasicFourPort,
  identityEvidenceSchema,
  parseJpkiCertificate,
  RevocationChecker,
  TrustStore,
} from '@mynakit/jpki';
import { getPersona, type JlisServer, MockJlis, startJlisServer } from '@mynakit/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const persona = getPersona('taro');
let jlis: MockJlis;
let server: JlisServer;
let card: MyNumberCard;
let verifier: EkycVerifier;
let now: Date;

beforeEach(async () => {
  now = new Date('2026-11-25T03:00:00Z');
  jlis = await MockJlis.create({ clock: () => now });
  const reader = 'reader';
  const transport = new MemoryTransport([reader]);
  transport.insert(reader, await jlis.issueCard(persona.id));
  card = await MyNumberCard.open(transport, reader);
  server = await startJlisServer(jlis);
  const trustStore = new TrustStore();
  await trustStore.addRoot('sign', jlis.cas.sign.der);
  await trustStore.addRoot('auth', jlis.cas.auth.der);
  verifier = new EkycVerifier({
    trustStore,
    revocation: new RevocationChecker({
      ocsp: { url: server.ocspUrl },
      crl: { url: (issuer) => server.crlUrl(issuer.subject.includes('digital signature') ? 'sign' : 'auth') },
      clock: () => now,
    }),
    clock: () => now,
  });
});

afterEach(async () => {
  await card.close();
  await server.close();
});

async function signLogin() {
  const { challengeId, toBeSigned } = await verifier.startLogin();
  await card.jpki.verifyAuthPin(persona.pins.auth);
  const signature = await card.jpki.sign('auth', toBeSigned, 'SHA-256');
  return { challengeId, certificate: await card.jpki.readCertificate('auth'), signature };
}

describe('JPKI login (W4.2)', () => {
  it('binds a stable account key; the same card gives the same key on the next login', async () => {
    const first = await verifier.verifyLogin(await signLogin());
    const second = await verifier.verifyLogin(await signLogin());
    expect(first.accountKey).toBe(second.accountKey);
    expect(first.revocation.status).toBe('good');
    expect(first.serialNumber).toBe(
      parseJpkiCertificate(await card.jpki.readCertificate('auth')).serialNumber,
    );
  });

  it('refuses a replayed challenge, an expired one, and a signature over other bytes', async () => {
    const response = await signLogin();
    await verifier.verifyLogin(response);
    await expect(verifier.verifyLogin(response)).rejects.toMatchObject({ code: 'CHALLENGE_INVALID' });

    const late = await signLogin();
    now = new Date(now.getTime() + 10 * 60_000);
    await expect(verifier.verifyLogin(late)).rejects.toMatchObject({ code: 'CHALLENGE_INVALID' });

    const { challengeId } = await verifier.startLogin();
    const forged = await card.jpki.sign('auth', new TextEncoder().encode('something else'), 'SHA-256');
    await expect(
      verifier.verifyLogin({
        challengeId,
        certificate: await card.jpki.readCertificate('auth'),
        signature: forged,
      }),
    ).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('refuses a signing certificate for login, and a revoked auth certificate', async () => {
    const { challengeId, toBeSigned } = await verifier.startLogin();
    await card.jpki.verifySignPassword(persona.pins.sign!);
    const signature = await card.jpki.sign('sign', toBeSigned, 'SHA-256');
    const certificate = await card.jpki.readCertificate('sign');
    await expect(verifier.verifyLogin({ challengeId, certificate, signature })).rejects.toMatchObject({
      code: expect.stringMatching(/UNTRUSTED_ROOT|WRONG_CERTIFICATE_TYPE|POLICY_MISMATCH/),
    });

    jlis.revoke('auth', jlis.holder(persona.id).authSerial, 'keyCompromise');
    await expect(verifier.verifyLogin(await signLogin())).rejects.toMatchObject({
      code: 'CERTIFICATE_REVOKED',
      details: { reason: 'keyCompromise' },
    });
  });
});

describe('JPKI identity verification (W4.1), status re-check (W4.3) and latest basic four (W4.4)', () => {
  async function signIdentity(transaction: string) {
    const { challengeId, toBeSigned } = await verifier.startIdentityVerification(transaction);
    await card.jpki.verifySignPassword(persona.pins.sign!);
    const signature = await card.jpki.sign('sign', toBeSigned, 'SHA-256');
    return { challengeId, certificate: await card.jpki.readCertificate('sign'), signature };
  }

  it('returns the basic four and a 7-year evidence record that re-verifies on its own', async () => {
    const result = await verifier.verifyIdentity(await signIdentity('口座開設 申込番号 A-1001'));
    expect(result.basicFour).toMatchObject({ name: persona.name, address: persona.address });
    const evidence = identityEvidenceSchema.parse(JSON.parse(JSON.stringify(result.evidence)));
    expect(new Date(evidence.retainUntil).getUTCFullYear()).toBe(now.getUTCFullYear() + 7);
    expect(new TextDecoder().decode(Buffer.from(evidence.signedData, 'base64'))).toContain(
      '口座開設 申込番号 A-1001',
    );
    expect(evidence.revocation.evidence.length).toBeGreaterThan(0);
  });

  it('a change of address revokes the stored signing certificate; 現況確認 says the basic four changed', async () => {
    const result = await verifier.verifyIdentity(await signIdentity('open account'));
    const stored = Buffer.from(result.evidence.certificate, 'base64');
    expect((await verifier.recheck(stored, 'sign')).meaning).toBe('valid');
    await jlis.changeBasicFour(persona.id, { address: '福岡県福岡市博多区博多駅前１－１' });
    const recheck = await verifier.recheck(stored, 'sign');
    expect(recheck).toMatchObject({ status: 'revoked', meaning: 'basic-four-changed' });

    const port = new HttpLatestBasicFourPort(`${server.url}latest-basic-four`);
    expect(await port.latestBasicFour(result.serialNumber, 'bank-1')).toEqual({ status: 'no-consent' });
    jlis.recordConsent(result.serialNumber, 'bank-1');
    const latest = await port.latestBasicFour(result.serialNumber, 'bank-1');
    expect(latest).toMatchObject({
      status: 'updated',
      basicFour: { address: '福岡県福岡市博多区博多駅前１－１', name: persona.name },
    });
  });
});
