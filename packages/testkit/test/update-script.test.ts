import { constants, createPrivateKey, publicDecrypt, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasErrorCode, MemoryTransport, MyNumberCard } from '@mynakit/card';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJpkiTestCas, type JpkiTestCaPair } from '../src/ca/jpki-ca.js';
import {
  confirmActivation,
  type Renewal,
  RenewalLedger,
  renewCertificates,
  updateScriptFromJson,
  updateScriptToJson,
} from '../src/jlis/renewal.js';
import { RevocationRegistries } from '../src/jlis/revocation-registry.js';
import { UPDATE_SW } from '../src/jlis/update-protocol.js';
import { getPersona } from '../src/personas/personas.js';
import { createVirtualCard } from '../src/virtual-card/create-virtual-card.js';
import { VirtualMyNumberCard } from '../src/virtual-card/virtual-my-number-card.js';
import { AID, apdu, Driver, fromHex, type Response } from './apdu-helpers.js';

const RENEWED_AT = new Date('2026-11-01T02:00:00Z');
const DIGEST_INFO_PREFIX = fromHex('3031300d060960864801650304020105000420');

function digestInfo(seed: number): Uint8Array {
  const out = new Uint8Array(DIGEST_INFO_PREFIX.length + 32);
  out.set(DIGEST_INFO_PREFIX);
  out.fill(seed, DIGEST_INFO_PREFIX.length);
  return out;
}

/** The signature the card makes with its auth key, checked against a certificate's public key. */
async function authSignatureVerifies(d: Driver, pin: string, certificate: Uint8Array): Promise<boolean> {
  expect((await d.selectAp(AID.jpki)).sw).toBe(0x9000);
  expect((await d.send(apdu(0x00, 0xa4, 0x02, 0x0c, fromHex('0018')))).sw).toBe(0x9000);
  expect((await d.send(apdu(0x00, 0x20, 0x00, 0x80, new TextEncoder().encode(pin)))).sw).toBe(0x9000);
  expect((await d.send(apdu(0x00, 0xa4, 0x02, 0x0c, fromHex('0017')))).sw).toBe(0x9000);
  const input = digestInfo(0x5a);
  const r = await d.send(apdu(0x80, 0x2a, 0x00, 0x80, input, 256));
  expect(r.sw).toBe(0x9000);
  // RSASSA-PKCS1-v1_5/SHA-256 over a message whose hash we do not know: verify the raw DigestInfo instead.
  const key = new X509Certificate(Buffer.from(certificate)).publicKey;
  try {
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, r.data);
    return Buffer.from(recovered).equals(Buffer.from(input));
  } catch {
    return false;
  }
}

async function readAuthCertificate(d: Driver): Promise<Uint8Array> {
  expect((await d.selectAp(AID.jpki)).sw).toBe(0x9000);
  expect((await d.send(apdu(0x00, 0xa4, 0x02, 0x0c, fromHex('000A')))).sw).toBe(0x9000);
  const r = await d.send(apdu(0x00, 0xb0, 0x00, 0x00, undefined, 65536, true));
  const length = ((r.data[2]! << 8) | r.data[3]!) + 4; // 30 82 LL LL
  return r.data.subarray(0, length);
}

async function sendAll(d: Driver, commands: readonly Uint8Array[]): Promise<Response[]> {
  const answers: Response[] = [];
  for (const c of commands) answers.push(await d.send(c));
  return answers;
}

describe('update script against the virtual card (raw APDUs)', () => {
  const persona = getPersona('taro');
  let cas: JpkiTestCaPair;
  let tmp: string;

  beforeAll(async () => {
    cas = await createJpkiTestCas();
    tmp = mkdtempSync(join(tmpdir(), 'mynakit-update-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  async function fresh(counter = 1): Promise<{
    card: VirtualMyNumberCard;
    d: Driver;
    renewal: Renewal;
    registries: RevocationRegistries;
  }> {
    const card = await createVirtualCard({ persona: persona.id, ca: cas });
    const registries = new RevocationRegistries();
    const renewal = await renewCertificates({
      cas,
      registries,
      persona,
      current: card.certificates,
      cardId: card.cardManagement.cardId,
      scriptCounter: counter,
      now: RENEWED_AT,
    });
    const d = new Driver(card);
    expect((await d.selectAp(AID.jpki)).sw).toBe(0x9000);
    return { card, d, renewal, registries };
  }

  it('applies a whole script: new certificate readable, new key signs, receipt confirms, old ones superseded', async () => {
    const { card, d, renewal, registries } = await fresh();
    const old = card.certificates;
    const ledger = new RenewalLedger();
    ledger.record(renewal.link);
    const answers = await sendAll(d, renewal.script.commands);
    expect(answers.map((a) => a.sw)).toEqual(renewal.script.commands.map(() => 0x9000));
    expect(card.cardManagement.scriptCounter).toBe(1);

    const now = await readAuthCertificate(d);
    expect(Buffer.from(now).equals(Buffer.from(renewal.certificates.auth.der))).toBe(true);
    expect(Buffer.from(now).equals(Buffer.from(old.auth))).toBe(false);
    expect(await authSignatureVerifies(d, persona.pins.auth, now)).toBe(true);
    expect(await authSignatureVerifies(d, persona.pins.auth, old.auth)).toBe(false);
    // The signing side moved too.
    expect(Buffer.from(card.certificates.sign!).equals(Buffer.from(renewal.certificates.sign!.der))).toBe(
      true,
    );

    const oldAuthSerial = new X509Certificate(Buffer.from(old.auth)).serialNumber;
    expect(registries.for(cas.auth).isRevoked(oldAuthSerial)).toBe(false); // nothing revoked before confirmation
    const result = confirmActivation({ renewal, answers, registries, ledger });
    expect(result.activated).toBe(true);
    expect(registries.for(cas.auth).lookup(oldAuthSerial)?.reason).toBe('superseded');
    const oldSignSerial = new X509Certificate(Buffer.from(old.sign!)).serialNumber;
    expect(registries.for(cas.sign).lookup(oldSignSerial)?.reason).toBe('superseded');
    expect(ledger.successorOf(oldAuthSerial)).toBe(renewal.link.auth.newSerial);
    expect(registries.for(cas.auth).isRevoked(renewal.link.auth.newSerial)).toBe(false);
  });

  it('confirmActivation revokes nothing without the card’s receipt', async () => {
    const { d, renewal, registries } = await fresh();
    const answers = await sendAll(d, renewal.script.commands);
    const last = answers[answers.length - 1]!;
    const forged = [...answers.slice(0, -1), { sw: 0x9000, data: last.data.map((b) => b ^ 1) }];
    expect(confirmActivation({ renewal, answers: forged, registries })).toMatchObject({
      activated: false,
      reason: 'receipt-invalid',
    });
    expect(confirmActivation({ renewal, answers: answers.slice(0, -1), registries })).toMatchObject({
      activated: false,
    });
    expect(registries.for(cas.auth).size + registries.for(cas.sign).size).toBe(0);
  });

  it('never carries the new private key in the clear', async () => {
    const { renewal } = await fresh();
    const transcript = Buffer.concat(renewal.script.commands.map((c) => Buffer.from(c)));
    for (const pkcs8 of [renewal.keys.auth, renewal.keys.sign!]) {
      const jwk = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({
        format: 'jwk',
      });
      // The private exponent and the primes (the modulus is public: it is in the certificate anyway).
      for (const secret of [jwk.d, jwk.p, jwk.q]) {
        const bytes = Buffer.from(secret ?? '', 'base64url');
        expect(bytes.length).toBeGreaterThan(100);
        for (let at = 0; at + 24 <= bytes.length; at += 24) {
          expect(transcript.includes(bytes.subarray(at, at + 24))).toBe(false);
        }
      }
    }
  });

  it('refuses a forged MAC with 69 88 and keeps the old certificates', async () => {
    const { card, d, renewal } = await fresh();
    const old = card.certificates;
    const commands = renewal.script.commands.map((c) => c.slice());
    const victim = commands[2]!;
    victim[victim.length - 1]! ^= 0x01; // last MAC byte
    const answers = await sendAll(d, commands.slice(0, 3));
    expect(answers.map((a) => a.sw)).toEqual([0x9000, 0x9000, UPDATE_SW.MAC_INVALID]);
    // The refusal discarded the open script: the rest of it, ACTIVATE included, is refused.
    const rest = await sendAll(d, commands.slice(3));
    expect(rest.every((a) => a.sw === UPDATE_SW.OUT_OF_SEQUENCE)).toBe(true);
    expect(Buffer.from(await readAuthCertificate(d)).equals(Buffer.from(old.auth))).toBe(true);
    expect(card.cardManagement.scriptCounter).toBe(0);
  });

  it('refuses a payload altered under a genuine MAC (the MAC covers header, counter, sequence and data)', async () => {
    const { d, renewal } = await fresh();
    const begin = renewal.script.commands[0]!.slice();
    begin[8]! ^= 0x01; // a byte of the sequence number
    expect((await d.send(begin)).sw).toBe(UPDATE_SW.MAC_INVALID);
    const otherCla = renewal.script.commands[0]!.slice();
    otherCla[2] = 0x01; // P1
    expect((await d.send(otherCla)).sw).toBe(UPDATE_SW.MAC_INVALID);
  });

  it('refuses a script addressed to another card', async () => {
    const { renewal } = await fresh();
    const other = await createVirtualCard({ persona: 'hanako', ca: cas });
    const d = new Driver(other);
    await d.selectAp(AID.jpki);
    expect((await d.send(renewal.script.commands[0]!)).sw).toBe(UPDATE_SW.MAC_INVALID);
  });

  it('refuses a replayed script (69 85) and an older one', async () => {
    const { card, d, renewal, registries } = await fresh(5);
    await sendAll(d, renewal.script.commands);
    expect(card.cardManagement.scriptCounter).toBe(5);
    expect((await d.send(renewal.script.commands[0]!)).sw).toBe(UPDATE_SW.REPLAYED);
    const older = await renewCertificates({
      cas,
      registries,
      persona,
      current: card.certificates,
      cardId: card.cardManagement.cardId,
      scriptCounter: 4,
      now: new Date(RENEWED_AT.getTime() + 60_000),
    });
    expect((await d.send(older.script.commands[0]!)).sw).toBe(UPDATE_SW.REPLAYED);
    expect(Buffer.from(await readAuthCertificate(d)).equals(Buffer.from(renewal.certificates.auth.der))).toBe(
      true,
    );
  });

  it('partial script then reset: staged data is gone, the old keys and certificates still work', async () => {
    const { card, d, renewal } = await fresh();
    const old = card.certificates;
    const cut = renewal.script.commands.length - 1; // everything but ACTIVATE
    const answers = await sendAll(d, renewal.script.commands.slice(0, cut));
    expect(answers.every((a) => a.sw === 0x9000)).toBe(true);
    card.reset();
    const activateAfterReset = await (async () => {
      await d.selectAp(AID.jpki);
      return d.send(renewal.script.commands[cut]!);
    })();
    expect(activateAfterReset.sw).toBe(UPDATE_SW.OUT_OF_SEQUENCE);
    expect(Buffer.from(await readAuthCertificate(d)).equals(Buffer.from(old.auth))).toBe(true);
    expect(await authSignatureVerifies(d, persona.pins.auth, old.auth)).toBe(true);
    expect(card.cardManagement.scriptCounter).toBe(0);
    // The same script relayed again from the start still applies (its counter was never consumed).
    await d.selectAp(AID.jpki);
    const again = await sendAll(d, renewal.script.commands);
    expect(again.every((a) => a.sw === 0x9000)).toBe(true);
    expect(await authSignatureVerifies(d, persona.pins.auth, renewal.certificates.auth.der)).toBe(true);
  });

  it('a new BEGIN overwrites an unfinished script', async () => {
    const { card, d, renewal, registries } = await fresh(1);
    const second = await renewCertificates({
      cas,
      registries,
      persona,
      current: card.certificates,
      cardId: card.cardManagement.cardId,
      scriptCounter: 2,
      now: new Date(RENEWED_AT.getTime() + 60_000),
    });
    await sendAll(d, renewal.script.commands.slice(0, 4));
    const answers = await sendAll(d, second.script.commands);
    expect(answers.every((a) => a.sw === 0x9000)).toBe(true);
    expect(card.cardManagement.scriptCounter).toBe(2);
    expect(Buffer.from(await readAuthCertificate(d)).equals(Buffer.from(second.certificates.auth.der))).toBe(
      true,
    );
  });

  it('refuses update commands outside the JPKI application, out of order, or with an unknown INS', async () => {
    const { d, renewal } = await fresh();
    await d.selectAp(AID.text);
    expect((await d.send(renewal.script.commands[0]!)).sw).toBe(UPDATE_SW.NOT_IN_JPKI);
    await d.selectAp(AID.jpki);
    expect((await d.send(renewal.script.commands[1]!)).sw).toBe(UPDATE_SW.OUT_OF_SEQUENCE);
    expect((await d.send(renewal.script.commands[0]!)).sw).toBe(0x9000);
    expect((await d.send(renewal.script.commands[2]!)).sw).toBe(UPDATE_SW.OUT_OF_SEQUENCE);
    expect((await d.send('84CA000000')).sw).toBe(UPDATE_SW.INS_NOT_SUPPORTED);
  });

  it('persists the counter and the new certificates across saveState/loadState; staging is not persisted', async () => {
    const { card, d, renewal } = await fresh(7);
    await sendAll(d, renewal.script.commands);
    const file = join(tmp, 'renewed.json');
    card.saveState(file);
    const reloaded = VirtualMyNumberCard.loadState(file);
    expect(reloaded.cardManagement).toEqual(card.cardManagement);
    expect(reloaded.cardManagement.scriptCounter).toBe(7);
    const rd = new Driver(reloaded);
    await rd.selectAp(AID.jpki);
    expect((await rd.send(renewal.script.commands[0]!)).sw).toBe(UPDATE_SW.REPLAYED);
    expect(await authSignatureVerifies(rd, persona.pins.auth, renewal.certificates.auth.der)).toBe(true);

    // A state saved mid-script holds nothing staged: the reloaded card cannot finish it.
    const { card: other, d: od, renewal: r2 } = await fresh(1);
    await sendAll(od, r2.script.commands.slice(0, -1));
    other.saveState(join(tmp, 'mid.json'));
    const mid = VirtualMyNumberCard.loadState(join(tmp, 'mid.json'));
    const md = new Driver(mid);
    await md.selectAp(AID.jpki);
    expect((await md.send(r2.script.commands[r2.script.commands.length - 1]!)).sw).toBe(
      UPDATE_SW.OUT_OF_SEQUENCE,
    );
    expect(JSON.stringify(mid.toState())).not.toContain(Buffer.from(r2.keys.auth).toString('base64'));
  });
});

describe('update script: relay through @mynakit/card and the JSON hop', () => {
  it('relays a script received as JSON, and reports the first refused command with its SW', async () => {
    const cas = await createJpkiTestCas();
    const persona = getPersona('taro');
    const virtualCard = await createVirtualCard({ persona: persona.id, ca: cas });
    const registries = new RevocationRegistries();
    const renewal = await renewCertificates({
      cas,
      registries,
      persona,
      current: virtualCard.certificates,
      cardId: virtualCard.cardManagement.cardId,
      scriptCounter: 3,
      now: RENEWED_AT,
    });
    const json = JSON.parse(JSON.stringify(updateScriptToJson(renewal.script)));
    const received = updateScriptFromJson(json);
    expect(received.commands).toEqual(renewal.script.commands);
    expect(() => updateScriptFromJson({ ...json, commands: ['84F0'] })).toThrow();

    const reader = 'Memory Reader 0';
    const transport = new MemoryTransport([reader]);
    transport.insert(reader, virtualCard);
    const card = await MyNumberCard.open(transport, reader);
    try {
      const forged = received.commands.map((c) => c.slice());
      forged[1]![forged[1]!.length - 2]! ^= 0x80;
      const error = await card.relayUpdateScript({ commands: forged }).catch((e: unknown) => e);
      expect(hasErrorCode(error, 'UPDATE_SCRIPT_REJECTED')).toBe(true);
      expect(error).toMatchObject({ sw: UPDATE_SW.MAC_INVALID, details: { index: 1 } });
      await expect(card.relayUpdateScript({ commands: [Uint8Array.of(0x84, 0xf0)] })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });

      const answers = await card.relayUpdateScript(received);
      expect(confirmActivation({ renewal, answers, registries })).toMatchObject({ activated: true });
      expect(await card.jpki.readCertificate('auth')).toEqual(renewal.certificates.auth.der);
    } finally {
      await card.close();
      await transport.close();
    }
  });

  it('renews only the auth side of a card without a signing certificate', async () => {
    const cas = await createJpkiTestCas();
    const persona = getPersona('sakura');
    const card = await createVirtualCard({ persona: persona.id, ca: cas });
    expect(card.certificates.sign).toBeNull();
    const registries = new RevocationRegistries();
    const renewal = await renewCertificates({
      cas,
      registries,
      persona,
      current: card.certificates,
      cardId: card.cardManagement.cardId,
      scriptCounter: 1,
      now: RENEWED_AT,
    });
    expect(renewal.script.targets).toEqual(['auth']);
    expect(renewal.certificates.sign).toBeNull();
    const d = new Driver(card);
    await d.selectAp(AID.jpki);
    const answers = await sendAll(d, renewal.script.commands);
    expect(answers.every((a) => a.sw === 0x9000)).toBe(true);
    expect(card.certificates.sign).toBeNull();
    expect(confirmActivation({ renewal, answers, registries })).toEqual({
      activated: true,
      revoked: [renewal.link.auth.oldSerial],
    });
    expect(await authSignatureVerifies(d, persona.pins.auth, renewal.certificates.auth.der)).toBe(true);
  });
});
