import { X509Certificate } from 'node:crypto';
import { type HashAlgorithm, hasErrorCode } from '@mynakit/card';
import { collationNumberB } from '@mynakit/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CardHarness, HarnessFactory, HarnessOptions } from './card-harness.js';
import { opensslVerifies, runWithFiles } from './openssl.js';

/**
 * What @mynakit/card must do with a My Number Card, whatever the transport. Each transport's test file runs
 * this suite; expected values come from the persona the virtual card was built for, never from the SDK.
 */
export function describeCardContract(
  name: string,
  factory: HarnessFactory,
  options: HarnessOptions = {},
): void {
  describe(name, () => {
    let h: CardHarness;
    beforeEach(async () => {
      h = await factory(options);
    });
    afterEach(async () => {
      await h.close();
    });

    it('reads all four certificates, the signing certificate only after the password', async () => {
      const authCa = new X509Certificate(await h.card.jpki.readCertificate('authCa'));
      const signCa = new X509Certificate(await h.card.jpki.readCertificate('signCa'));
      const auth = new X509Certificate(await h.card.jpki.readCertificate('auth'));
      expect(authCa.subject).toContain('OU=JPKI for user authentication');
      expect(signCa.subject).toContain('OU=JPKI for digital signature');
      expect(auth.subject).toContain(`CN=${h.persona.jpki.authSubjectId}`);
      expect(auth.verify(authCa.publicKey)).toBe(true);

      await expect(h.card.jpki.readCertificate('sign')).rejects.toMatchObject({
        code: 'SECURITY_STATUS_NOT_SATISFIED',
      });
      await h.card.jpki.verifySignPassword(h.persona.pins.sign!.toLowerCase());
      const sign = new X509Certificate(await h.card.jpki.readCertificate('sign'));
      expect(sign.subject).toContain(`L=${h.persona.jpki.municipalityRomaji}`);
      expect(sign.verify(signCa.publicKey)).toBe(true);
    });

    it('reports tries left for every PIN without consuming any', async () => {
      const first = await h.card.pinStatuses();
      const second = await h.card.pinStatuses();
      expect(second).toEqual(first);
      const byName = Object.fromEntries(first.map((s) => [s.pin, s.triesLeft]));
      expect(byName).toMatchObject({ authPin: 3, signPassword: 5, inputSupportPin: 3 });
      expect(first.every((s) => !s.blocked)).toBe(true);
    });

    it('a wrong PIN decrements and reports the tries left; the lock guard refuses the last try; a blocked PIN is PIN_BLOCKED', async () => {
      const wrong = h.persona.pins.auth === '0000' ? '1111' : '0000';
      await expect(h.card.jpki.verifyAuthPin(wrong)).rejects.toMatchObject({
        code: 'WRONG_PIN',
        details: { triesLeft: 2 },
      });
      await expect(h.card.jpki.verifyAuthPin(wrong)).rejects.toMatchObject({
        code: 'WRONG_PIN',
        details: { triesLeft: 1 },
      });
      // Even the right PIN is held back at one try left: the guard does not know it is right.
      await expect(h.card.jpki.verifyAuthPin(h.persona.pins.auth)).rejects.toMatchObject({
        code: 'LOCK_GUARD',
      });
      expect((await h.card.jpki.pinStatus('authPin')).triesLeft).toBe(1);
      await expect(h.card.jpki.verifyAuthPin(wrong, { acceptLockRisk: true })).rejects.toMatchObject({
        code: 'PIN_BLOCKED',
      });
      await expect(
        h.card.jpki.verifyAuthPin(h.persona.pins.auth, { acceptLockRisk: true }),
      ).rejects.toMatchObject({
        code: 'PIN_BLOCKED',
      });
      expect(await h.card.jpki.pinStatus('authPin')).toMatchObject({ triesLeft: 0, blocked: true });
      await expect(h.card.jpki.sign('auth', new Uint8Array(8))).rejects.toMatchObject({
        code: 'SECURITY_STATUS_NOT_SATISFIED',
      });
    });

    it('a correct PIN resets the counter', async () => {
      await expect(
        h.card.jpki.verifyAuthPin('9876' === h.persona.pins.auth ? '9875' : '9876'),
      ).rejects.toMatchObject({
        code: 'WRONG_PIN',
      });
      await h.card.jpki.verifyAuthPin(h.persona.pins.auth);
      expect((await h.card.jpki.pinStatus('authPin')).triesLeft).toBe(3);
    });

    it('changes the auth PIN after verifying the current one; the old PIN then fails', async () => {
      const next = h.persona.pins.auth === '2468' ? '1357' : '2468';
      await h.card.jpki.changeAuthPin(h.persona.pins.auth, next);
      await expect(h.card.jpki.verifyAuthPin(h.persona.pins.auth)).rejects.toMatchObject({
        code: 'WRONG_PIN',
      });
      await h.card.jpki.verifyAuthPin(next);
      expect((await h.card.jpki.pinStatus('authPin')).triesLeft).toBe(3);
    });

    const hashes: [HashAlgorithm, string][] = [
      ['SHA-1', 'sha1'],
      ['SHA-256', 'sha256'],
      ['SHA-384', 'sha384'],
      ['SHA-512', 'sha512'],
    ];
    it('signs with the auth key for SHA-1/256/384/512; OpenSSL verifies each against the certificate', async () => {
      const cert = await h.card.jpki.readCertificate('auth');
      await h.card.jpki.verifyAuthPin(h.persona.pins.auth);
      const data = new TextEncoder().encode('login challenge 7f3a');
      for (const [algorithm, opensslName] of hashes) {
        const signature = await h.card.jpki.sign('auth', data, algorithm);
        expect(await opensslVerifies(cert, data, signature, opensslName), algorithm).toBe(true);
        expect(
          await opensslVerifies(cert, new TextEncoder().encode('other data'), signature, opensslName),
        ).toBe(false);
      }
    });

    it('signs with the signing key after the password; OpenSSL verifies it', async () => {
      await h.card.jpki.verifySignPassword(h.persona.pins.sign!);
      const cert = await h.card.jpki.readCertificate('sign');
      const data = new TextEncoder().encode('transaction #42: open an account');
      const signature = await h.card.jpki.sign('sign', data, 'SHA-256');
      expect(await opensslVerifies(cert, data, signature, 'sha256')).toBe(true);
    });

    it('reads My Number and the basic four with the input-support PIN', async () => {
      await h.card.inputSupport.verifyPin(h.persona.pins.textAp);
      const myNumber = await h.card.inputSupport.readMyNumber();
      expect(myNumber.reveal()).toBe(h.persona.myNumber);
      expect(String(myNumber)).not.toContain(h.persona.myNumber);
      expect(JSON.stringify({ myNumber })).not.toContain(h.persona.myNumber);
      const integrity = await h.card.inputSupport.readIntegrity();
      expect(integrity.signature.length).toBe(256);
      expect(integrity.raw.length).toBe(336);
      expect(await h.card.inputSupport.readBasicFour()).toEqual({
        name: h.persona.name,
        address: h.persona.address,
        birthDate: h.persona.birthDate,
        sex: h.persona.sex,
      });
    });

    it('照合番号B opens the basic four but not My Number; 照合番号A opens both', async () => {
      await h.card.inputSupport.verifyNumberB(collationNumberB(h.persona));
      expect((await h.card.inputSupport.readBasicFour()).name).toBe(h.persona.name);
      await expect(h.card.inputSupport.readMyNumber()).rejects.toMatchObject({
        code: 'SECURITY_STATUS_NOT_SATISFIED',
      });
      await h.card.inputSupport.verifyNumberA(h.persona.myNumber);
      expect((await h.card.inputSupport.readMyNumber()).reveal()).toBe(h.persona.myNumber);
    });

    it('reads the card surface with 照合番号B; the face photo decodes as a 240×320 JPEG 2000 with OpenJPEG', async () => {
      await expect(h.card.cardSurface.readFront()).rejects.toMatchObject({
        code: 'SECURITY_STATUS_NOT_SATISFIED',
      });
      await h.card.cardSurface.verifyNumberB(collationNumberB(h.persona));
      const front = await h.card.cardSurface.readFront();
      expect(front.sex).toBe(h.persona.sex);
      expect(Array.from(front.nameImage.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // PNG
      const pgm = await runWithFiles({ 'face.jp2': front.facePhoto }, 'bash', [
        '-c',
        'opj_decompress -quiet -i face.jp2 -o face.pgm >/dev/null && grep -av "^#" face.pgm | head -n 3 | tr "\\n" " "',
      ]);
      expect(pgm).toMatch(/^P5 240 320 255/);
      await expect(h.card.cardSurface.readBack()).rejects.toMatchObject({
        code: 'SECURITY_STATUS_NOT_SATISFIED',
      });
      await h.card.cardSurface.verifyNumberA(h.persona.myNumber);
      expect((await h.card.cardSurface.readBack()).myNumberImage.length).toBeGreaterThan(0);
    });

    it('a card pulled out mid-read gives CARD_REMOVED, and the next operation works after reinsertion', async () => {
      const expected = await h.card.jpki.readCertificate('authCa');
      h.pullOutDuringNextRead();
      const error = await h.card.jpki.readCertificate('authCa').catch((e: unknown) => e);
      expect(hasErrorCode(error, 'CARD_REMOVED'), String(error)).toBe(true);
      await h.reinsert();
      expect(await h.card.jpki.readCertificate('authCa')).toEqual(expected);
      // The card's RAM state is fresh: the PIN must be verified again before signing.
      await expect(h.card.jpki.sign('auth', new Uint8Array(4))).rejects.toMatchObject({
        code: 'SECURITY_STATUS_NOT_SATISFIED',
      });
    });
  });
}
