/*
 * An eKYC provider's server on @mynakit/workflows: the W4 HTTP API behind its own bearer-token authentication, on
 * SQLite, with 現況確認 (status re-checks) on a schedule. `--demo` runs login, identity verification and a re-check
 * after a change of address against the mock J-LIS. See README.md.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startEkycApp } from './ekyc-app.js';

const usage = `Usage: pnpm --filter @mynakit/example-ekyc-server start -- [options]

  --demo                    run the self-contained demo against the mock J-LIS and exit
  --port N                  (default 8080)      --host HOST (default 127.0.0.1)
  --db FILE                 SQLite file (default ekyc.sqlite)
  --trust-sign FILE         J-LIS signing-certificate root (DER or PEM)
  --trust-auth FILE         J-LIS user-authentication root (DER or PEM)
  --ocsp URL                OCSP responder
  --crl-sign URL            CRL of signing certificates
  --crl-auth URL            CRL of user-authentication certificates
  --latest-basic-four URL   新4情報 service (optional)
  --verifier-id ID          your id at J-LIS (default example-ekyc)
  --recheck-minutes N       minutes between re-check rounds (default 1440)
  --help

Secrets come from the environment: EKYC_API_TOKEN (what your backend sends as a bearer token) and
EKYC_KEYRING_KEY (base64, 32 bytes: seals the kept evidence).`;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new Error(`give ${flag}`);
  return value;
}

/** A root certificate as DER: PEM files are unwrapped. */
async function loadCertificate(file: string): Promise<Uint8Array> {
  const bytes = await readFile(file);
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(bytes.toString('latin1'));
  return new Uint8Array(pem === null ? bytes : Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64'));
}

async function serve(values: Record<string, string | boolean | undefined>): Promise<void> {
  const str = (name: string) => values[name] as string | undefined;
  const app = await startEkycApp({
    databaseFile: str('db') ?? 'ekyc.sqlite',
    keyring: {
      current: 'k1',
      keys: [{ id: 'k1', key: required(process.env.EKYC_KEYRING_KEY, 'EKYC_KEYRING_KEY') }],
    },
    apiToken: required(process.env.EKYC_API_TOKEN, 'EKYC_API_TOKEN'),
    verifierId: str('verifier-id') ?? 'example-ekyc',
    jlis: {
      trustAnchors: {
        sign: [await loadCertificate(required(str('trust-sign'), '--trust-sign'))],
        auth: [await loadCertificate(required(str('trust-auth'), '--trust-auth'))],
      },
      ocspUrl: required(str('ocsp'), '--ocsp'),
      crlUrls: {
        sign: required(str('crl-sign'), '--crl-sign'),
        auth: required(str('crl-auth'), '--crl-auth'),
      },
      ...(str('latest-basic-four') !== undefined && { latestBasicFourUrl: str('latest-basic-four')! }),
    },
    host: str('host') ?? '127.0.0.1',
    port: Number(str('port') ?? 8080),
  });
  const minutes = Number(str('recheck-minutes') ?? 1440);
  if (!(minutes > 0)) throw new Error('--recheck-minutes must be positive');
  app.schedule.start(minutes * 60_000);
  console.log(`eKYC server listening on ${app.url}; re-checks every ${minutes} min`);
  const shutdown = () => {
    console.log('shutting down');
    void app.close();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  // `pnpm start -- --demo` passes the `--` along: drop it.
  const { values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: {
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      'trust-sign': { type: 'string' },
      'trust-auth': { type: 'string' },
      ocsp: { type: 'string' },
      'crl-sign': { type: 'string' },
      'crl-auth': { type: 'string' },
      'latest-basic-four': { type: 'string' },
      'verifier-id': { type: 'string' },
      'recheck-minutes': { type: 'string' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.demo) {
    // The demo (and the testkit it uses) is loaded only when asked for.
    const ok = await (await import('./demo.js')).runDemo();
    console.log(ok ? 'demo passed' : 'demo FAILED: an outcome was not the expected one');
    return ok ? 0 : 1;
  }
  await serve(values);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = (error as { code?: unknown }).code;
    console.error(
      `ekyc-server: ${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message ?? error}`,
    );
    process.exitCode = 1;
  },
);
