import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVirtualCard } from '@mynakit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitForOutput } from './support/cli.js';

let dir: string;
let jlis: ReturnType<typeof spawnCli>;
let baseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mynakit-jlis-cli-'));
  jlis = spawnCli(['testkit', 'jlis', '--port', '0', '--state', join(dir, 'jlis')]);
  const banner = await waitForOutput(jlis, /roots\s+\S+/);
  baseUrl = /listening on (\S+)/.exec(banner)![1]!;
}, 60_000);

afterAll(async () => {
  jlis.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

/** The persona's signing certificate as its card holds it (the mock J-LIS issued the same one). */
async function signingCertificateOf(persona: string): Promise<string> {
  const { sign } = (await createVirtualCard({ persona })).certificates;
  const file = join(dir, `${persona}-sign.der`);
  await writeFile(file, sign!);
  return file;
}

describe('mynakit verify cert against mynakit testkit jlis', () => {
  it('says VALID for a good certificate, and exit 3 with the reason once J-LIS revokes it', async () => {
    const cert = await signingCertificateOf('hanako');
    const args = [
      'verify',
      'cert',
      cert,
      '--trust',
      join(dir, 'jlis', 'roots'),
      '--ocsp',
      `${baseUrl}ocsp`,
      '--json',
    ];
    const good = await runCli(args);
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({
      valid: true,
      type: 'sign',
      revocation: { status: 'good' },
    });

    const change = await fetch(`${baseUrl}control/change-basic-four`, {
      method: 'POST',
      body: JSON.stringify({ persona: 'hanako', address: '沖縄県那覇市泉崎１－２－２' }),
    });
    expect(change.status).toBe(200);
    const revoked = await runCli(args);
    expect(revoked.code).toBe(3);
    expect(JSON.parse(revoked.stdout)).toMatchObject({
      valid: false,
      revocation: { status: 'revoked', reason: 'affiliationChanged' },
    });
  });

  it('fails closed with a typed error when no revocation source answers', async () => {
    const cert = await signingCertificateOf('taro');
    const result = await runCli([
      'verify',
      'cert',
      cert,
      '--trust',
      join(dir, 'jlis', 'roots'),
      '--ocsp',
      'http://127.0.0.1:9/ocsp',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/REVOCATION_UNDETERMINED/);
  });

  it('refuses a certificate whose root is not trusted', async () => {
    const cert = await signingCertificateOf('taro');
    const empty = join(dir, 'no-roots');
    await import('node:fs/promises').then((fs) => fs.mkdir(empty, { recursive: true }));
    const result = await runCli(['verify', 'cert', cert, '--trust', empty]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/UNTRUSTED_ROOT/);
  });
});
