import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVirtualCard, getPersona, VirtualCardSlot } from '@mynakit/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitForOutput } from './support/cli.js';
import { opensslVerifies } from './support/openssl.js';

const persona = getPersona('taro');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mynakit-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mynakit card commands through pcscd', () => {
  let slot: VirtualCardSlot | undefined;
  const insert = async () => {
    slot = new VirtualCardSlot(await createVirtualCard({ persona: persona.id }));
    await slot.insert();
    return slot;
  };
  afterEach(async () => {
    await slot?.remove();
    slot = undefined;
  });

  it('readers, card info and pin status describe the virtual card', async () => {
    const { reader } = await insert();
    const readers = JSON.parse((await runCli(['readers', '--json'])).stdout) as {
      name: string;
      cardPresent: boolean;
    }[];
    expect(readers.find((r) => r.name === reader)?.cardPresent).toBe(true);

    const info = await runCli(['card', 'info', '--json', '--reader', reader]);
    expect(info.code, info.stderr).toBe(0);
    const parsed = JSON.parse(info.stdout);
    expect(parsed.token.kind).toBe('my-number-card');
    expect(parsed.applications).toEqual({ jpki: true, inputSupport: true, cardSurface: true });
    expect(parsed.certificates.auth.subject).toContain(persona.jpki.authSubjectId);

    const pins = JSON.parse((await runCli(['pin', 'status', '--json'])).stdout) as {
      pin: string;
      triesLeft: number;
    }[];
    expect(pins.find((p) => p.pin === 'signPassword')?.triesLeft).toBe(5);
  });

  it('reads the signing certificate with the password from --pin-env, also without extended APDUs', async () => {
    await insert();
    const out = join(dir, 'sign.pem');
    const result = await runCli(
      ['cert', 'read', 'sign', '--pem', '--out', out, '--pin-env', 'SIGN_PW', '--no-extended'],
      {
        SIGN_PW: persona.pins.sign!,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(new X509Certificate(readFileSync(out)).subject).toContain(persona.jpki.municipalityRomaji);
  });

  it('signs a file that OpenSSL verifies; a wrong PIN exits with WRONG_PIN and never echoes the PIN', async () => {
    await insert();
    const data = join(dir, 'data.txt');
    writeFileSync(data, 'sign me');
    const sig = join(dir, 'data.sig');
    const wrong = await runCli(['sign', '--key', 'auth', '--in', data, '--out', sig, '--pin-env', 'PIN'], {
      PIN: '9513',
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/WRONG_PIN.*2 tries left/);
    expect(wrong.stderr + wrong.stdout).not.toContain('9513');

    const missing = await runCli(['sign', '--key', 'auth', '--in', data, '--out', sig]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/INVALID_INPUT/);

    const ok = await runCli(
      ['sign', '--key', 'auth', '--hash', 'sha384', '--in', data, '--out', sig, '--pin-env', 'PIN'],
      {
        PIN: persona.pins.auth,
      },
    );
    expect(ok.code, ok.stderr).toBe(0);
    const cert = join(dir, 'auth.der');
    expect((await runCli(['cert', 'read', 'auth', '--out', cert])).code).toBe(0);
    expect(await opensslVerifies(readFileSync(cert), readFileSync(data), readFileSync(sig), 'sha384')).toBe(
      true,
    );
  });
});

describe('mynakit testkit vcard', () => {
  it('keeps PIN counters across restarts with --state, and its --trace never shows the PIN', async () => {
    const state = join(dir, 'card.json');
    const trace = join(dir, 'trace.txt');
    const start = async () => {
      const child = spawnCli(['testkit', 'vcard', '--persona', 'hanako', '--state', state, '--trace', trace]);
      await waitForOutput(child, /is in reader/);
      return child;
    };
    const stop = (child: ReturnType<typeof spawnCli>) =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });

    let vcard = await start();
    try {
      const data = join(dir, 'x');
      writeFileSync(data, 'x');
      const wrong = await runCli(
        ['sign', '--key', 'auth', '--in', data, '--out', join(dir, 'x.sig'), '--pin-env', 'PIN'],
        {
          PIN: '8642',
        },
      );
      expect(wrong.stderr).toMatch(/WRONG_PIN/);
    } finally {
      await stop(vcard);
    }

    vcard = await start();
    try {
      const pins = JSON.parse((await runCli(['pin', 'status', '--json'])).stdout) as {
        pin: string;
        triesLeft: number;
      }[];
      expect(pins.find((p) => p.pin === 'authPin')?.triesLeft).toBe(2);
    } finally {
      await stop(vcard);
    }
    const transcript = readFileSync(trace, 'utf8');
    expect(transcript).toContain('[redacted pin]');
    expect(transcript).not.toContain(Buffer.from('8642').toString('hex').toUpperCase());
  });
});
