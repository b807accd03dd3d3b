import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startJlisServer } from '../src/jlis/jlis-server.js';
import { MockJlis } from '../src/jlis/mock-jlis.js';
import { getPersona } from '../src/personas/personas.js';

const execFileAsync = promisify(execFile);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mynakit-jlis-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function pem(der: Uint8Array): string {
  return new X509Certificate(der).toString();
}

describe('MockJlis', () => {
  it('records the serials of the cards it issues', async () => {
    const jlis = await MockJlis.create();
    await jlis.issueCard('taro');
    await jlis.issueCard('sakura');
    expect(jlis.holder('taro').authSerial).toMatch(/^[0-9a-f]+$/);
    expect(jlis.holder('taro').signSerial).toMatch(/^[0-9a-f]+$/);
    expect(jlis.holder('sakura').signSerial).toBeNull();
  });

  it('a reissue within the second of the last issuance gets a new signing serial, not the revoked one', async () => {
    const jlis = await MockJlis.create();
    const at = new Date('2026-11-01T02:00:00.250Z');
    await jlis.issueCard('taro', { now: at });
    const first = jlis.holder('taro').signSerial;
    jlis.revoke('sign', first!, 'superseded');
    // Same second, later millisecond: the CN's timestamp (seconds) would repeat the first serial.
    const reissued = await jlis.issueCard('taro', { now: new Date('2026-11-01T02:00:00.750Z') });
    const second = jlis.holder('taro').signSerial;
    expect(second).not.toBe(first);
    // The card carries the certificate J-LIS recorded.
    expect(new X509Certificate(reissued.certificates.sign!).serialNumber.toLowerCase()).toContain(second);
  });

  it('a change of the basic four revokes only the signing certificate and links old to new', async () => {
    const jlis = await MockJlis.create();
    await jlis.issueCard('taro');
    const before = jlis.holder('taro');
    const authSerial = before.authSerial;
    const oldSign = before.signSerial!;
    const { newSerial, certificate } = await jlis.changeBasicFour('taro', {
      address: '大阪府大阪市北区梅田１－１－１',
    });
    expect(newSerial).not.toBe(oldSign);
    expect(jlis.registries.for(jlis.cas.sign).lookup(oldSign)?.reason).toBe('affiliationChanged');
    expect(jlis.registries.for(jlis.cas.auth).isRevoked(authSerial)).toBe(false);
    expect(new X509Certificate(certificate).verify(new X509Certificate(jlis.cas.sign.der).publicKey)).toBe(
      true,
    );
    expect(jlis.holder('taro').signHistory).toEqual([
      expect.objectContaining({ oldSerial: oldSign, newSerial }),
    ]);
  });

  it('answers the latest basic four only with consent and only after a new certificate', async () => {
    const jlis = await MockJlis.create();
    await jlis.issueCard('hanako');
    const stored = jlis.holder('hanako').signSerial!;
    expect(jlis.latestBasicFour(stored, 'bank-1')).toEqual({ status: 'no-consent' });
    jlis.recordConsent(stored, 'bank-1');
    expect(jlis.latestBasicFour(stored, 'bank-1')).toEqual({ status: 'unchanged' });
    const { newSerial } = await jlis.changeBasicFour('hanako', {
      address: '北海道札幌市中央区北１条西２丁目',
    });
    expect(jlis.latestBasicFour(stored, 'bank-1')).toEqual({
      status: 'updated',
      basicFour: expect.objectContaining({
        address: '北海道札幌市中央区北１条西２丁目',
        name: getPersona('hanako').name,
      }),
      newSignSerial: newSerial,
    });
    expect(jlis.latestBasicFour(stored, 'another-verifier')).toEqual({ status: 'no-consent' });
  });

  it('death revokes both certificates; the state survives a restart', async () => {
    const jlis = await MockJlis.create({ stateDir: dir });
    await jlis.issueCard('taro');
    const { authSerial, signSerial } = jlis.holder('taro');
    jlis.death('taro');
    const reloaded = await MockJlis.create({ stateDir: dir });
    expect(reloaded.holder('taro').deceased).toBe(true);
    expect(reloaded.registries.for(reloaded.cas.auth).isRevoked(authSerial)).toBe(true);
    expect(reloaded.registries.for(reloaded.cas.sign).isRevoked(signSerial!)).toBe(true);
  });
});

describe('the J-LIS server', () => {
  it('changes the basic four over the control API and OpenSSL sees the old certificate revoked', async () => {
    const jlis = await MockJlis.create();
    const card = await jlis.issueCard('taro');
    const signDer = card.certificates.sign!;
    const server = await startJlisServer(jlis);
    try {
      const bad = await fetch(`${server.url}control/change-basic-four`, {
        method: 'POST',
        body: '{"nope":1}',
      });
      expect(bad.status).toBe(400);
      const response = await fetch(`${server.url}control/change-basic-four`, {
        method: 'POST',
        body: JSON.stringify({ persona: 'taro', address: '京都府京都市左京区吉田本町' }),
      });
      expect(response.status).toBe(200);
      await writeFile(join(dir, 'ca.pem'), pem(jlis.cas.sign.der));
      await writeFile(join(dir, 'leaf.pem'), pem(signDer));
      const { stdout } = await execFileAsync(
        'openssl',
        ['ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-url', server.ocspUrl, '-CAfile', 'ca.pem'],
        { cwd: dir },
      );
      expect(stdout).toMatch(/leaf\.pem: revoked/);
      expect(stdout).toMatch(/Reason: affiliationChanged/);
      const latest = await fetch(`${server.url}latest-basic-four`, {
        method: 'POST',
        body: JSON.stringify({ signSerial: jlis.holder('taro').signHistory[0]!.oldSerial, verifier: 'v' }),
      });
      expect(await latest.json()).toEqual({ status: 'no-consent' });
    } finally {
      await server.close();
    }
  });
});
