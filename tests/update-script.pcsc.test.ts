import { verify, X509Certificate } from 'node:crypto';
import { hasErrorCode, MyNumberCard } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import { derToPem, TrustStore, validateChain } from '@mynakit/jpki';
import {
  confirmActivation,
  createJpkiTestCas,
  createOcspRequest,
  createVirtualCard,
  getPersona,
  type JpkiTestCaPair,
  MockOcspResponder,
  type Renewal,
  RenewalLedger,
  RevocationRegistries,
  renewCertificates,
  startOcspServer,
  UPDATE_CLA,
  UPDATE_SW,
  VirtualCardSlot,
  type VirtualMyNumberCard,
} from '@mynakit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { runWithFiles } from './support/openssl.js';
import { nthApdu, PullableCard } from './support/pullable-card.js';

// Only vpcd port 35963 (reader "Virtual PCD 00 00"): the other port belongs to another suite.
const PORT = 35963;
const isUpdateCommand = (apdu: Uint8Array) => apdu[0] === UPDATE_CLA;
const RENEWED_AT = new Date('2026-11-01T02:00:00Z');
const VALIDATION_AT = new Date('2026-11-02T00:00:00Z');
const persona = getPersona('taro');
const signPassword = persona.pins.sign ?? '';

interface Booth {
  card: MyNumberCard;
  virtualCard: VirtualMyNumberCard;
  emulator: PullableCard;
  slot: VirtualCardSlot;
}

/** A card in the booth's reader, reached through pcscd; the slot is always removed, even when the test fails. */
async function withBooth(cas: JpkiTestCaPair, run: (booth: Booth) => Promise<void>): Promise<void> {
  const virtualCard = await createVirtualCard({ persona: persona.id, ca: cas });
  const emulator = new PullableCard(virtualCard);
  const slot = new VirtualCardSlot(emulator, { port: PORT });
  emulator.onPull = () => void slot.pullOut();
  const transport = new PcscTransport();
  try {
    await slot.insert();
    const card = await MyNumberCard.open(transport, slot.reader);
    try {
      await run({ card, virtualCard, emulator, slot });
    } finally {
      await card.close().catch(() => undefined);
    }
  } finally {
    await transport.close().catch(() => undefined);
    await slot.remove();
  }
}

/** The renewal application: what the booth reads from the card, then J-LIS issues the renewal. */
async function applyForRenewal(
  booth: Booth,
  cas: JpkiTestCaPair,
  registries: RevocationRegistries,
  scriptCounter = 1,
  ledger?: RenewalLedger,
): Promise<{ renewal: Renewal; old: { auth: Uint8Array; sign: Uint8Array } }> {
  const auth = await booth.card.jpki.readCertificate('auth');
  await booth.card.jpki.verifySignPassword(signPassword);
  const sign = await booth.card.jpki.readCertificate('sign');
  const renewal = await renewCertificates({
    cas,
    registries,
    persona,
    current: { auth, sign },
    cardId: booth.virtualCard.cardManagement.cardId,
    scriptCounter,
    now: RENEWED_AT,
    ...(ledger !== undefined && { ledger }),
  });
  return { renewal, old: { auth, sign } };
}

/** Signs with the card's auth key and checks the signature against a certificate's public key. */
async function authKeyMatches(card: MyNumberCard, certificate: Uint8Array): Promise<boolean> {
  const data = new TextEncoder().encode('login challenge 7f3a');
  await card.jpki.verifyAuthPin(persona.pins.auth);
  const signature = await card.jpki.sign('auth', data);
  return verify('sha256', data, new X509Certificate(Buffer.from(certificate)).publicKey, signature);
}

async function signKeyMatches(card: MyNumberCard, certificate: Uint8Array): Promise<boolean> {
  const data = new TextEncoder().encode('transaction 42');
  await card.jpki.verifySignPassword(signPassword);
  const signature = await card.jpki.sign('sign', data);
  return verify('sha256', data, new X509Certificate(Buffer.from(certificate)).publicKey, signature);
}

const serialOf = (der: Uint8Array) => new X509Certificate(Buffer.from(der)).serialNumber;

describe('certificate renewal update script through pcscd + vpcd', () => {
  let cas: JpkiTestCaPair;
  let trustStore: TrustStore;

  beforeAll(async () => {
    cas = await createJpkiTestCas();
    trustStore = new TrustStore();
    await trustStore.addRoot('auth', cas.auth.der);
    await trustStore.addRoot('sign', cas.sign.der);
  });

  it('the relayed script renews the card; the new certificates validate; the old ones are superseded', async () => {
    await withBooth(cas, async (booth) => {
      const registries = new RevocationRegistries();
      const ledger = new RenewalLedger();
      const { renewal, old } = await applyForRenewal(booth, cas, registries, 1, ledger);
      const responder = new MockOcspResponder({
        cas: [cas.auth, cas.sign],
        registries,
        clock: () => VALIDATION_AT,
      });

      const answers = await booth.card.relayUpdateScript(renewal.script);
      expect(answers).toHaveLength(renewal.script.commands.length);
      expect(answers.every((a) => a.sw === 0x9000)).toBe(true);
      expect(confirmActivation({ renewal, answers, registries, ledger })).toMatchObject({ activated: true });

      const auth = await booth.card.jpki.readCertificate('auth');
      expect(Buffer.from(auth).equals(Buffer.from(old.auth))).toBe(false);
      expect(serialOf(auth)).toBe(serialOf(renewal.certificates.auth.der));
      await booth.card.jpki.verifySignPassword(signPassword);
      const sign = await booth.card.jpki.readCertificate('sign');
      expect(serialOf(sign)).toBe(serialOf(renewal.certificates.sign!.der));

      await expect(
        validateChain(auth, { trustStore, type: 'auth', at: VALIDATION_AT }),
      ).resolves.toMatchObject({
        ok: true,
      });
      await expect(
        validateChain(sign, { trustStore, type: 'sign', at: VALIDATION_AT }),
      ).resolves.toMatchObject({
        ok: true,
      });
      expect(await authKeyMatches(booth.card, auth)).toBe(true);
      expect(await authKeyMatches(booth.card, old.auth)).toBe(false);
      expect(await signKeyMatches(booth.card, sign)).toBe(true);

      expect(registries.for(cas.auth).lookup(serialOf(old.auth))?.reason).toBe('superseded');
      expect(registries.for(cas.sign).lookup(serialOf(old.sign))?.reason).toBe('superseded');
      expect(registries.for(cas.auth).isRevoked(serialOf(auth))).toBe(false);
      expect(ledger.successorOf(serialOf(old.sign))).toBe(renewal.link.sign?.newSerial);

      // What a verifier asking the mock J-LIS OCSP responder learns.
      await responder.respond((await createOcspRequest(old.auth, cas.auth.der)).der);
      expect(responder.lastAnswers[0]).toMatchObject({ status: 'revoked', reason: 'superseded' });
      await responder.respond((await createOcspRequest(auth, cas.auth.der)).der);
      expect(responder.lastAnswers[0]).toMatchObject({ status: 'good' });

      // And what `openssl ocsp` hears from the mock J-LIS over HTTP (system clock: openssl checks freshness).
      const server = await startOcspServer({
        responder: new MockOcspResponder({ cas: [cas.auth], registries }),
      });
      try {
        const stdout = await runWithFiles(
          { 'ca.pem': derToPem(cas.auth.der), 'old.pem': derToPem(old.auth), 'new.pem': derToPem(auth) },
          'openssl',
          [
            'ocsp',
            '-issuer',
            'ca.pem',
            '-cert',
            'old.pem',
            '-cert',
            'new.pem',
            '-url',
            server.ocspUrl,
            '-CAfile',
            'ca.pem',
          ],
        );
        expect(stdout).toMatch(/old\.pem: revoked/);
        expect(stdout).toMatch(/Reason: superseded/);
        expect(stdout).toMatch(/new\.pem: good/);
      } finally {
        await server.close();
      }

      // The same script again is a replay: refused at BEGIN, nothing changes.
      const replay = await booth.card.relayUpdateScript(renewal.script).catch((e: unknown) => e);
      expect(hasErrorCode(replay, 'UPDATE_SCRIPT_REJECTED')).toBe(true);
      expect(replay).toMatchObject({ sw: UPDATE_SW.REPLAYED, details: { index: 0 } });
      expect(serialOf(await booth.card.jpki.readCertificate('auth'))).toBe(serialOf(auth));
    });
  });

  it('pulled out mid-script: after reinsertion the old certificates and keys still work, and a retry succeeds', async () => {
    await withBooth(cas, async (booth) => {
      const registries = new RevocationRegistries();
      const { renewal, old } = await applyForRenewal(booth, cas, registries);
      booth.emulator.pullWhen(nthApdu(4, isUpdateCommand));
      const error = await booth.card.relayUpdateScript(renewal.script).catch((e: unknown) => e);
      expect(hasErrorCode(error, 'CARD_REMOVED'), String(error)).toBe(true);
      await booth.slot.insert();

      const auth = await booth.card.jpki.readCertificate('auth');
      expect(Buffer.from(auth).equals(Buffer.from(old.auth))).toBe(true);
      expect(await authKeyMatches(booth.card, old.auth)).toBe(true);
      expect(await signKeyMatches(booth.card, old.sign)).toBe(true);
      await expect(
        validateChain(auth, { trustStore, type: 'auth', at: VALIDATION_AT }),
      ).resolves.toMatchObject({
        ok: true,
      });
      expect(booth.virtualCard.cardManagement.scriptCounter).toBe(0);
      // Nothing was confirmed, so nothing was revoked.
      expect(registries.for(cas.auth).isRevoked(serialOf(old.auth))).toBe(false);

      // Pulled out just before ACTIVATE: still the old certificate.
      booth.emulator.pullWhen(nthApdu(renewal.script.commands.length, isUpdateCommand));
      const late = await booth.card.relayUpdateScript(renewal.script).catch((e: unknown) => e);
      expect(hasErrorCode(late, 'CARD_REMOVED'), String(late)).toBe(true);
      await booth.slot.insert();
      expect(serialOf(await booth.card.jpki.readCertificate('auth'))).toBe(serialOf(old.auth));

      // The booth relays the whole script again: the card was never left unusable, and now it is renewed.
      const answers = await booth.card.relayUpdateScript(renewal.script);
      expect(confirmActivation({ renewal, answers, registries })).toMatchObject({ activated: true });
      expect(serialOf(await booth.card.jpki.readCertificate('auth'))).toBe(
        serialOf(renewal.certificates.auth.der),
      );
    });
  });

  it('refuses a forged script and leaves the card as it was', async () => {
    await withBooth(cas, async (booth) => {
      const registries = new RevocationRegistries();
      const { renewal, old } = await applyForRenewal(booth, cas, registries);
      const commands = renewal.script.commands.map((c) => c.slice());
      const forgedIndex = 3;
      const target = commands[forgedIndex]!;
      target[12]! ^= 0xff; // a payload byte under the MAC
      const error = await booth.card.relayUpdateScript({ commands }).catch((e: unknown) => e);
      expect(hasErrorCode(error, 'UPDATE_SCRIPT_REJECTED')).toBe(true);
      expect(error).toMatchObject({ sw: UPDATE_SW.MAC_INVALID, details: { index: forgedIndex } });
      expect(serialOf(await booth.card.jpki.readCertificate('auth'))).toBe(serialOf(old.auth));
      expect(await authKeyMatches(booth.card, old.auth)).toBe(true);
      // Without the card's answers there is nothing to confirm.
      expect(confirmActivation({ renewal, answers: [], registries })).toMatchObject({ activated: false });
      expect(registries.for(cas.auth).size).toBe(0);
    });
  });
});
