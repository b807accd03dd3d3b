import { describe, expect, it } from 'vitest';
import { MyNumberCard } from '../src/apps/my-number-card.js';
import { CardError } from '../src/errors.js';
import { derObject, FakeCard, type FakeCardOptions } from './support/fake-card.js';

const JPKI = 'D392F000260100000001';

function jpkiCard(overrides: Partial<FakeCardOptions> = {}): FakeCard {
  return new FakeCard({
    applications: {
      [JPKI]: {
        1: { content: derObject(1579), protectedBy: 0x001b },
        2: { content: derObject(1000, 2048, 0x22) },
        6: { content: new TextEncoder().encode('JPKIAPICCTOKEN2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0') },
        10: { content: derObject(1400, 2048, 0x33) },
        23: { content: new Uint8Array(0), protectedBy: 0x0018 },
        24: { content: new Uint8Array(0), pin: '1234', tries: 3 },
        27: { content: new Uint8Array(0), pin: 'ABC123', tries: 5 },
      },
    },
    ...overrides,
  });
}

describe('JPKI application', () => {
  it('reads a certificate with one extended READ BINARY and strips the EF padding', async () => {
    const fake = jpkiCard();
    const card = await MyNumberCard.connect(fake.connection());
    const before = fake.log.length;
    const cert = await card.jpki.readCertificate('auth');
    expect(cert.length).toBe(1404);
    expect(cert[4]).toBe(0x33);
    expect(fake.log.slice(before)).toEqual(['00A4020C02000A', '00B00000000000']);
  });

  it('falls back to 256-byte reads when extended length is refused', async () => {
    const fake = jpkiCard({ extendedLength: false });
    const card = await MyNumberCard.connect(fake.connection(), { extendedLength: 'auto' });
    const cert = await card.jpki.readCertificate('signCa');
    expect(cert.length).toBe(1004);
    expect(card.extendedLengthSupported).toBe(false);
    // After the refusal the channel never tries extended again on this card.
    const reads = fake.log.filter((apdu) => apdu.startsWith('00B0'));
    expect(reads.filter((apdu) => apdu.length > 10)).toHaveLength(1);
    expect(reads.length).toBe(1 + Math.ceil(1004 / 256));
  });

  it('refuses the signing certificate before the password, then reads it', async () => {
    const card = await MyNumberCard.connect(jpkiCard().connection());
    await expect(card.jpki.readCertificate('sign')).rejects.toMatchObject({
      code: 'SECURITY_STATUS_NOT_SATISFIED',
    });
    await card.jpki.verifySignPassword('abc123');
    expect((await card.jpki.readCertificate('sign')).length).toBe(1583);
  });

  it('reports the token kind with its padding removed', async () => {
    const card = await MyNumberCard.connect(jpkiCard().connection());
    expect(await card.jpki.readToken()).toEqual({ token: 'JPKIAPICCTOKEN2', kind: 'my-number-card' });
  });

  it('rejects something that is not a DigestInfo before it reaches the card', async () => {
    const fake = jpkiCard();
    const card = await MyNumberCard.connect(fake.connection());
    await card.jpki.verifyAuthPin('1234');
    const sent = fake.log.length;
    await expect(card.jpki.signDigestInfo('auth', new Uint8Array(32))).rejects.toBeInstanceOf(CardError);
    expect(fake.log.length).toBe(sent);
    const signature = await card.jpki.sign('auth', new TextEncoder().encode('challenge'), 'SHA-256');
    expect(signature.length).toBe(256);
  });

  it('says NOT_A_MY_NUMBER_CARD for a card without the JPKI application', async () => {
    const fake = new FakeCard({ applications: {} });
    await expect(MyNumberCard.connect(fake.connection())).rejects.toMatchObject({
      code: 'NOT_A_MY_NUMBER_CARD',
    });
  });
});

describe('lock guard', () => {
  it('reports tries left on a wrong PIN and refuses before the last try without consent', async () => {
    const fake = jpkiCard();
    const card = await MyNumberCard.connect(fake.connection());
    await expect(card.jpki.verifyAuthPin('0000')).rejects.toMatchObject({
      code: 'WRONG_PIN',
      details: { triesLeft: 2 },
    });
    await expect(card.jpki.verifyAuthPin('0000')).rejects.toMatchObject({
      code: 'WRONG_PIN',
      details: { triesLeft: 1 },
    });
    const sent = fake.log.length;
    await expect(card.jpki.verifyAuthPin('1234')).rejects.toMatchObject({
      code: 'LOCK_GUARD',
      details: { triesLeft: 1 },
    });
    // Only the tries query went out: no VERIFY with data.
    expect(fake.log.slice(sent)).toEqual(['00200080']);
    await card.jpki.verifyAuthPin('1234', { acceptLockRisk: true });
    expect((await card.jpki.pinStatus('authPin')).triesLeft).toBe(3);
  });

  it('a raised floor refuses earlier; a blocked PIN is PIN_BLOCKED and nothing is sent', async () => {
    const fake = jpkiCard();
    const card = await MyNumberCard.connect(fake.connection());
    await expect(card.jpki.verifyAuthPin('1234', { floor: 3 })).rejects.toMatchObject({ code: 'LOCK_GUARD' });
    for (const _ of [1, 2, 3])
      await card.jpki.verifyAuthPin('9999', { acceptLockRisk: true }).catch(() => undefined);
    expect(await card.jpki.pinStatus('authPin')).toEqual({ pin: 'authPin', triesLeft: 0, blocked: true });
    const sent = fake.log.length;
    await expect(card.jpki.verifyAuthPin('1234')).rejects.toMatchObject({ code: 'PIN_BLOCKED' });
    expect(fake.log.slice(sent).some((apdu) => apdu.length > 8 && apdu.startsWith('0020'))).toBe(false);
  });

  it('never puts the PIN in the error', async () => {
    const card = await MyNumberCard.connect(jpkiCard().connection());
    const error = await card.jpki.verifyAuthPin('4821').catch((e: unknown) => e);
    expect(JSON.stringify(error)).not.toContain('4821');
    expect(String(error)).not.toContain('4821');
    const invalid = await card.jpki.verifyAuthPin('48x1').catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'INVALID_INPUT' });
    expect(JSON.stringify(invalid)).not.toContain('48x1');
  });
});
