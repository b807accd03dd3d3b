import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collationNumberB, getPersona, MockJlis, startJlisServer } from '@mynakit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * Every example under examples/ in its self-contained mode, as a child process started exactly like its `start`
 * script (tsx with the source export condition): it must exit 0, print the expected outcome lines and never print
 * a PIN, a collation number or a My Number.
 */

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const examplesDir = join(repoRoot, 'examples');
const EXAMPLES = ['booth', 'kiosk', 'phone-w3', 'ekyc-server'];

interface Run {
  code: number | null;
  output: string;
}

function packageJson(example: string): { name: string; scripts: { start: string }; dependencies: object } {
  return JSON.parse(readFileSync(join(examplesDir, example, 'package.json'), 'utf8'));
}

/** Runs the example's `start` script with `args` (async; killed after `timeoutMs`). */
function runExample(example: string, args: string[], timeoutMs = 120_000): Promise<Run> {
  const [command, ...scriptArgs] = packageJson(example).scripts.start.split(' ');
  expect(command).toBe('node');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...scriptArgs, ...args],
      { cwd: join(examplesDir, example), timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: process.env },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** The personas' secrets: none may appear in any example's output. */
function expectNoSecrets(output: string, personaIds: readonly string[]): void {
  for (const id of personaIds) {
    const persona = getPersona(id);
    expect(output).not.toContain(persona.myNumber);
    expect(output).not.toContain(collationNumberB(persona));
    if (persona.pins.sign !== null) expect(output).not.toContain(persona.pins.sign);
    // Four-digit PINs as a token of their own (not inside a port number or a longer id).
    for (const pin of [persona.pins.auth, persona.pins.textAp]) {
      expect(output).not.toMatch(new RegExp(`(?<![0-9A-Za-z])${pin}(?![0-9A-Za-z])`));
    }
  }
}

describe.concurrent('examples run in their mock mode', () => {
  let outDir: string;
  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'mynakit-examples-'));
  });
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('booth: W1 renewal and W2 registration with a virtual card and real face photos', async () => {
    const { code, output } = await runExample('booth', ['--', '--mock']);
    expect(output).toMatch(/^renewal completed \(case w1-/m);
    expect(output).toMatch(/^registration completed \(case w2-/m);
    // The renewal wrote J-LIS's update script to the card.
    expect(output).toContain('[renewal] writing the new certificates to the card');
    expect(code).toBe(0);
    expectNoSecrets(output, ['taro']);
  }, 180_000);

  it('kiosk: a phone applies, the kiosk presents the number and "prints" the document to a file', async () => {
    const out = join(outDir, 'kiosk');
    const { code, output } = await runExample('kiosk', ['--mock', '--out', out]);
    expect(output).toContain('[kiosk] please confirm the print on your phone');
    expect(output).toMatch(/^printed job \S+ to /m);
    expect(output).toContain('[phone] answered: printing');
    expect(code).toBe(0);
    const files = await readdir(out);
    expect(files).toHaveLength(1);
    expect((await readFile(join(out, files[0]!))).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expectNoSecrets(output, ['hanako']);
  }, 120_000);

  it('phone-w3: application, reception number, print request confirmed, kiosk printed', async () => {
    const { code, output } = await runExample('phone-w3', ['--', '--mock', '--copies', '2']);
    expect(output).toMatch(/^\[phone\] reception number \d+ /m);
    expect(output).toMatch(/^\[phone\] kiosk kiosk-1 asks to print resident-record: print$/m);
    expect(output).toMatch(/^\[phone\] printing$/m);
    expect(output).toMatch(/^\[kiosk\] printed 2 × resident-record \(\d+ bytes\)$/m);
    expect(code).toBe(0);
    expectNoSecrets(output, ['hanako']);
  }, 120_000);

  it('ekyc-server: login, identity verification, and a re-check that finds the signing certificate revoked', async () => {
    const { code, output } = await runExample('ekyc-server', ['--', '--demo']);
    expect(output).toMatch(/^logged in: customer \S+ \(card newly bound\)$/m);
    expect(output).toMatch(/^identity verified: customer \S+, evidence \S+ kept until /m);
    expect(output).toMatch(/: signing certificate valid$/m);
    expect(output).toMatch(/: signing certificate revoked \(basic-four-changed, affiliationChanged\)/m);
    expect(output).toMatch(/^demo passed$/m);
    expect(code).toBe(0);
    expectNoSecrets(output, ['taro']);
    // Nor the basic four: the demo verifies identity without printing it.
    const taro = getPersona('taro');
    expect(output).not.toContain(taro.name);
    expect(output).not.toContain(taro.address);
  }, 120_000);

  it('booth: a bad flag combination fails with a message and exit 1', async () => {
    const { code, output } = await runExample('booth', ['--virtual']);
    expect(output).toContain('--virtual needs --mock');
    expect(code).toBe(1);
  });
});

describe('ekyc-server in server mode', () => {
  it('starts on its flags, answers /healthz, and refuses W4 calls without its bearer token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mynakit-ekyc-serve-'));
    const jlis = await MockJlis.create();
    const jlisServer = await startJlisServer(jlis);
    try {
      await writeFile(join(dir, 'sign.der'), jlis.cas.sign.der);
      await writeFile(join(dir, 'auth.der'), jlis.cas.auth.der);
      const token = 'example-token-0123456789';
      const [, ...scriptArgs] = packageJson('ekyc-server').scripts.start.split(' ');
      const child = spawn(
        process.execPath,
        [
          ...scriptArgs,
          ...['--port', '0', '--db', join(dir, 'ekyc.sqlite')],
          ...['--trust-sign', join(dir, 'sign.der'), '--trust-auth', join(dir, 'auth.der')],
          ...['--ocsp', jlisServer.ocspUrl, '--crl-sign', jlisServer.crlUrl('sign')],
          ...['--crl-auth', jlisServer.crlUrl('auth'), '--recheck-minutes', '1'],
        ],
        {
          cwd: join(examplesDir, 'ekyc-server'),
          env: {
            ...process.env,
            EKYC_API_TOKEN: token,
            EKYC_KEYRING_KEY: randomBytes(32).toString('base64'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk;
          const match = /listening on (\S+);/.exec(output);
          if (match) resolve(match[1]!);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then((code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      expect((await fetch(new URL('healthz', url))).status).toBe(200);
      const anonymous = await fetch(new URL('w4/login/start', url), { method: 'POST', body: '{}' });
      expect(anonymous.status).toBe(401);
      const wrong = await fetch(new URL('w4/login/start', url), {
        method: 'POST',
        headers: { authorization: 'Bearer not-the-token-at-all' },
        body: '{}',
      });
      expect(wrong.status).toBe(401);
      const allowed = await fetch(new URL('w4/login/start', url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(allowed.status).toBe(200);
      expect(await allowed.json()).toMatchObject({
        challengeId: expect.any(String),
        toBeSigned: expect.any(String),
      });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).not.toContain(token);
    } finally {
      await jlisServer.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('examples import only public entry points (they must run from installed packages)', () => {
  const exportsOf = (pkg: string): string[] =>
    Object.keys(
      JSON.parse(
        readFileSync(join(repoRoot, 'packages', pkg.replace('@mynakit/', ''), 'package.json'), 'utf8'),
      ).exports,
    );

  it.each(EXAMPLES)('%s', (example) => {
    const dir = join(examplesDir, example);
    const dependencies = Object.keys(packageJson(example).dependencies);
    const sources = readdirSync(dir).filter((name) => name.endsWith('.ts'));
    expect(sources).toContain('main.ts');
    expect(readdirSync(dir)).toContain('README.md');
    for (const source of sources) {
      const text = readFileSync(join(dir, source), 'utf8');
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (specifier!.startsWith('node:')) continue;
        if (specifier!.startsWith('./')) {
          // Sibling modules of the same example only.
          expect(specifier, `${example}/${source}`).toMatch(/^\.\/[\w-]+\.js$/);
          continue;
        }
        const match = /^(@mynakit\/[\w-]+)(\/[\w-]+)?$/.exec(specifier!);
        expect(match, `${example}/${source}: ${specifier}`).not.toBeNull();
        const [, pkg, subpath] = match!;
        expect(dependencies, `${example} lists ${pkg}`).toContain(pkg);
        expect(exportsOf(pkg!), `${specifier} is exported`).toContain(`.${subpath ?? ''}`);
      }
    }
  });
});
