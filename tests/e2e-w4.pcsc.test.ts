import type { MyNumberCard } from '@mynakit/card';
import { identityEvidenceSchema } from '@mynakit/jpki';
import { collationNumberB, type Persona, type VirtualMyNumberCard } from '@mynakit/testkit';
import type { SampleNumber } from '@mynakit/testkit/environment';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  closePhotoEngine,
  DATABASES,
  type E2e,
  expectNoPersonalDataInLogs,
  freshPersona,
  issueCard,
  type Json,
  personPhotos,
  serialOf,
  startE2e,
  storedText,
  withCard,
} from './support/e2e.js';

/*
 * W4 (eKYC and account binding) end to end: the customer's card in pcscd's reader (vpcd port 35963), the reference
 * server's W4 routes with the ekyc key on SQLite and PostgreSQL, the mock J-LIS (OCSP/CRL, change of the basic four,
 * consent and the latest basic four). The app side (challenge → PIN → card signature) is done by hand, as an app
 * would with @mynakit/card.
 * Rules proven elsewhere: crash/exactly-once (tests/crash-w1.test.ts, tests/crash-w3.test.ts), evidence and retention
 * (tests/e2e-w1.pcsc.test.ts), reception numbers (tests/e2e-w3.pcsc.test.ts).
 */

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
const YEAR_MS = 365.25 * 24 * 60 * 60 * 1000;

describe.each(DATABASES)('W4 eKYC with the card over pcscd (%s)', (kind) => {
  let e2e: E2e;
  const personas: Persona[] = [];
  let customers = 0;

  beforeAll(async () => {
    e2e = await startE2e(kind, 'w4');
  }, 120_000);

  afterAll(async () => {
    await e2e?.close();
    await closePhotoEngine();
  });

  async function newCard(face?: SampleNumber): Promise<{ persona: Persona; virtual: VirtualMyNumberCard }> {
    const persona = freshPersona('taro');
    personas.push(persona);
    const virtual =
      face === undefined ? await e2e.env.jlis.issueCard(persona) : await issueCard(e2e, persona, face);
    return { persona, virtual };
  }

  /** The app's login: a server challenge signed with the user-authentication key (after its PIN). */
  async function login(card: MyNumberCard, persona: Persona, customerId?: string) {
    const start = await api(e2e, 'ekyc', '/w4/login/start', {});
    expect(start.status).toBe(200);
    await card.jpki.verifyAuthPin(persona.pins.auth);
    const signature = await card.jpki.sign('auth', unb64(start.json.toBeSigned), 'SHA-256');
    return api(e2e, 'ekyc', '/w4/login', {
      challengeId: start.json.challengeId,
      certificate: b64(await card.jpki.readCertificate('auth')),
      signature: b64(signature),
      ...(customerId !== undefined && { customerId }),
    });
  }

  /** The app's identity verification: the business's transaction text signed with the signing key. */
  async function identify(card: MyNumberCard, persona: Persona, transaction: string, customerId: string) {
    const start = await api(e2e, 'ekyc', '/w4/identity/start', { transaction });
    expect(start.status).toBe(200);
    await card.jpki.verifySignPassword(persona.pins.sign!);
    const signature = await card.jpki.sign('sign', unb64(start.json.toBeSigned), 'SHA-256');
    return api(e2e, 'ekyc', '/w4/identity', {
      challengeId: start.json.challengeId,
      certificate: b64(await card.jpki.readCertificate('sign')),
      signature: b64(signature),
      customerId,
    });
  }

  const newCustomerId = () => `customer-${kind}-${++customers}`;

  it('W4.1 identity verification with the signing certificate returns the basic four and keeps 7-year evidence', async () => {
    const { persona, virtual } = await newCard();
    const customerId = newCustomerId();
    const transaction = '口座開設 申込番号 A-1001';
    const verified = await withCard(virtual, (card) => identify(card, persona, transaction, customerId));
    expect(verified.status, JSON.stringify(verified.json)).toBe(201);
    // The basic four come from the certificate (birth date with its era, as the certificate encodes it).
    expect(verified.json.basicFour).toMatchObject({
      name: persona.name,
      address: persona.address,
      birthDate: { date: persona.birthDate },
    });
    expect(verified.json.signSerial).toBe(serialOf(virtual.certificates.sign!));

    const record = await e2e.env.server.database.evidence.latestFor(customerId);
    expect(record?.id).toBe(verified.json.evidenceId);
    const kept = identityEvidenceSchema.parse(record!.evidence);
    expect(new TextDecoder().decode(unb64(kept.signedData))).toContain(transaction);
    expect(kept.certificate).toBe(b64(virtual.certificates.sign!));
    expect(kept.signature.length).toBeGreaterThan(0);
    const years = (Date.parse(kept.retainUntil) - Date.now()) / YEAR_MS;
    expect(years).toBeGreaterThan(6.9);
    expect(years).toBeLessThan(7.1);

    // A signature by the user-authentication key is not an identity verification.
    const wrongKey = await withCard(virtual, async (card) => {
      const start = await api(e2e, 'ekyc', '/w4/identity/start', { transaction });
      await card.jpki.verifyAuthPin(persona.pins.auth);
      return api(e2e, 'ekyc', '/w4/identity', {
        challengeId: start.json.challengeId,
        certificate: b64(await card.jpki.readCertificate('auth')),
        signature: b64(await card.jpki.sign('auth', unb64(start.json.toBeSigned), 'SHA-256')),
        customerId,
      });
    });
    expect(wrongKey).toMatchObject({ status: 401, json: { error: { code: 'WRONG_CERTIFICATE_TYPE' } } });
  }, 60_000);

  it('W4.2 login with the user-authentication certificate binds its serial to the account and checks revocation', async () => {
    const { persona, virtual } = await newCard();
    await withCard(virtual, async (card) => {
      const first = await login(card, persona);
      expect(first.status, JSON.stringify(first.json)).toBe(200);
      expect(first.json).toMatchObject({ newlyBound: true, authSerial: serialOf(virtual.certificates.auth) });
      const binding = await e2e.env.server.database.accounts.findByAccountKey(first.json.accountKey);
      expect(binding).toMatchObject({ customerId: first.json.customerId, authSerial: first.json.authSerial });

      const second = await login(card, persona);
      expect(second.json).toMatchObject({ customerId: first.json.customerId, newlyBound: false });
      // Bound: it cannot be claimed for another customer.
      expect((await login(card, persona, 'someone-else')).status).toBe(409);

      // J-LIS revokes the certificate (a lost card): the next login is refused.
      e2e.env.jlis.revoke('auth', serialOf(virtual.certificates.auth), 'keyCompromise');
      const revoked = await login(card, persona);
      expect(revoked).toMatchObject({
        status: 403,
        json: { error: { code: 'CERTIFICATE_REVOKED', reason: 'keyCompromise' } },
      });
    });
  }, 60_000);

  it('W4.3 a change of address revokes the signing certificate and the status re-check reports it', async () => {
    const { persona, virtual } = await newCard();
    const customerId = newCustomerId();
    const verified = await withCard(virtual, (card) => identify(card, persona, '住所確認', customerId));
    expect(verified.status).toBe(201);
    const valid = await api(e2e, 'ekyc', '/w4/recheck', { customerId });
    expect(valid).toMatchObject({ status: 200, json: { status: 'valid', meaning: 'valid' } });

    const moved = await fetch(new URL('control/change-basic-four', e2e.env.jlisServer.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ persona: persona.id, address: '大阪府大阪市北区梅田１－１－１' }),
    });
    expect(moved.status).toBe(200);
    const recheck = await api(e2e, 'ekyc', '/w4/recheck', { customerId });
    expect(recheck.status).toBe(200);
    expect(recheck.json).toMatchObject({
      status: 'revoked',
      meaning: 'basic-four-changed',
      reason: 'affiliationChanged',
      signSerial: verified.json.signSerial,
    });
    expect(Number.isNaN(Date.parse(recheck.json.revokedAt))).toBe(false);
  }, 60_000);

  it('W4.4 with the holder’s consent the server gets the latest basic four and the new certificate serial', async () => {
    const { persona, virtual } = await newCard();
    const customerId = newCustomerId();
    const verified = await withCard(virtual, (card) =>
      identify(card, persona, '新4情報の提供に同意', customerId),
    );
    expect(verified.status).toBe(201);
    const signSerial: string = verified.json.signSerial;

    expect((await api(e2e, 'ekyc', '/w4/latest', { customerId })).json.status).toBe('no-consent');
    e2e.env.jlis.recordConsent(signSerial, e2e.env.config.w4!.verifierId);
    expect((await api(e2e, 'ekyc', '/w4/latest', { customerId })).json.status).toBe('unchanged');

    const newAddress = '福岡県福岡市中央区天神１－１－１';
    const change = await e2e.env.jlis.changeBasicFour(persona.id, { address: newAddress });
    const latest = await api(e2e, 'ekyc', '/w4/latest', { customerId });
    expect(latest.status).toBe(200);
    expect(latest.json).toMatchObject({
      status: 'updated',
      signSerial,
      newSignSerial: change.newSerial,
      basicFour: { name: persona.name, address: newAddress, birthDate: persona.birthDate },
    });
  }, 60_000);

  it('W4.5 an optional selfie match against the card face photo read from the card', async () => {
    const { persona, virtual } = await newCard(3);
    const customerId = newCustomerId();
    const cardPhoto = await withCard(virtual, async (card) => {
      expect((await identify(card, persona, '本人確認 (selfie)', customerId)).status).toBe(201);
      await card.cardSurface.verifyNumberB(collationNumberB(persona));
      return (await card.cardSurface.readFront()).facePhoto;
    });
    const selfie = async (face: 3 | 4) =>
      api(e2e, 'ekyc', '/w4/selfie', {
        customerId,
        selfie: b64((await personPhotos(face)).live),
        cardPhoto: b64(cardPhoto),
      });
    const same: { status: number; json: Json } = await selfie(3);
    expect(same.status, JSON.stringify(same.json)).toBe(200);
    expect(same.json).toMatchObject({ outcome: 'match' });
    expect(same.json.score).toBeGreaterThanOrEqual(same.json.threshold);
    // Someone else holding the card (stolen-card fraud).
    const other = await selfie(4);
    expect(other.json).toMatchObject({ outcome: 'no-match' });
    expect(other.json.score).toBeLessThan(other.json.threshold);
  }, 60_000);

  it('W4.6 My Number collection is off unless the law allows it and it is enabled: refused, never logged', async () => {
    const { persona, virtual } = await newCard();
    const customerId = newCustomerId();
    const myNumber = await withCard(virtual, async (card) => {
      expect((await identify(card, persona, 'マイナンバー提供', customerId)).status).toBe(201);
      await card.inputSupport.verifyPin(persona.pins.textAp);
      return (await card.inputSupport.readMyNumber()).reveal();
    });
    expect(myNumber).toBe(persona.myNumber);
    const refused = await api(e2e, 'ekyc', '/w4/my-number', { customerId, myNumber });
    expect(refused).toMatchObject({
      status: 403,
      json: { error: { code: 'MY_NUMBER_COLLECTION_DISABLED' } },
    });
    expect(JSON.stringify(refused.json)).not.toContain(myNumber);
    expect(JSON.stringify(e2e.logs)).not.toContain(myNumber);
    expect(await e2e.env.server.database.myNumbers.has(customerId)).toBe(false);
  }, 60_000);

  describe('W4.6 where the law allows it and the server enables it (w4.collectMyNumber)', () => {
    let collecting: E2e;
    beforeAll(async () => {
      collecting = await startE2e(kind, 'w4mn', {
        config: { face: undefined, w4: { verifierId: 'mynakit-env', collectMyNumber: true } },
      });
    }, 120_000);
    afterAll(async () => {
      await collecting?.close();
    });

    it('W4.6 the My Number read from the card is kept sealed for a verified customer and never logged', async () => {
      const persona = freshPersona('hanako');
      personas.push(persona);
      const virtual = await collecting.env.jlis.issueCard(persona);
      const customerId = `customer-mn-${kind}`;
      // Only for a customer whose identity was verified first.
      expect(
        (await api(collecting, 'ekyc', '/w4/my-number', { customerId, myNumber: persona.myNumber })).json
          .error.code,
      ).toBe('UNKNOWN_CUSTOMER');
      const myNumber = await withCard(virtual, async (card) => {
        const start = await api(collecting, 'ekyc', '/w4/identity/start', { transaction: '支払調書のため' });
        await card.jpki.verifySignPassword(persona.pins.sign!);
        const signature = await card.jpki.sign('sign', unb64(start.json.toBeSigned), 'SHA-256');
        const verified = await api(collecting, 'ekyc', '/w4/identity', {
          challengeId: start.json.challengeId,
          certificate: b64(await card.jpki.readCertificate('sign')),
          signature: b64(signature),
          customerId,
        });
        expect(verified.status).toBe(201);
        await card.inputSupport.verifyPin(persona.pins.textAp);
        return (await card.inputSupport.readMyNumber()).reveal();
      });
      const stored = await api(collecting, 'ekyc', '/w4/my-number', { customerId, myNumber });
      expect(stored).toMatchObject({ status: 201, json: { customerId, stored: true } });
      expect(JSON.stringify(stored.json)).not.toContain(myNumber);
      // A number with a wrong check digit is refused without being echoed.
      const wrong = `${myNumber.slice(0, 11)}${(Number(myNumber[11]) + 1) % 10}`;
      const refused = await api(collecting, 'ekyc', '/w4/my-number', { customerId, myNumber: wrong });
      expect(refused).toMatchObject({ status: 400, json: { error: { code: 'MY_NUMBER_INVALID' } } });
      expect(JSON.stringify(refused.json)).not.toContain(wrong);

      const vault = collecting.env.server.database.myNumbers;
      expect(await vault.reveal(customerId)).toBe(myNumber);
      // Sealed at rest, absent from the log.
      expect((await storedText(collecting)).includes(myNumber)).toBe(false);
      expect(JSON.stringify(collecting.logs)).not.toContain(myNumber);
      expectNoPersonalDataInLogs(collecting.logs, persona);
    }, 60_000);
  });

  it('Rule: W4 routes need the ekyc key and no basic four, PIN or My Number reaches the server log', async () => {
    expect((await api(e2e, null, '/w4/recheck', { customerId: 'customer-x' })).status).toBe(401);
    expect((await api(e2e, 'booth', '/w4/recheck', { customerId: 'customer-x' })).status).toBe(403);
    for (const persona of personas) expectNoPersonalDataInLogs(e2e.logs, persona);
  });
});
