import { Command, Option } from 'commander';
import { cardInfoCommand } from './commands/card-info.js';
import { CERTIFICATE_CHOICES, certReadCommand } from './commands/cert-read.js';
import { DEMO_DEFAULT_PORT, DEMO_DEFAULT_REPORT, demoCommand } from './commands/demo.js';
import { pinStatusCommand } from './commands/pin-status.js';
import { readersCommand } from './commands/readers.js';
import { HASH_CHOICES, signCommand } from './commands/sign.js';
import { jlisCommand } from './commands/testkit-jlis.js';
import { personasCommand } from './commands/testkit-personas.js';
import { vcardCommand } from './commands/testkit-vcard.js';
import { verifyCertCommand } from './commands/verify-cert.js';

const readerOption = () =>
  new Option('--reader <name>', 'PC/SC reader name (default: the first reader with a card)');
const pinEnvOption = () =>
  new Option(
    '--pin-env <VAR>',
    'read the PIN or password from this environment variable instead of a hidden prompt',
  );
const noExtendedOption = () => new Option('--no-extended', 'never send extended-length APDUs');

/** The `mynakit` command. PINs never come from the command line: a hidden prompt or --pin-env only. */
export function buildProgram(): Command {
  const program = new Command('mynakit')
    .description('My Number Card and JPKI toolkit')
    .version('0.1.0')
    .showHelpAfterError();

  program.command('readers').description('list PC/SC readers').option('--json').action(readersCommand);

  const card = program.command('card').description('the card in a reader');
  card
    .command('info')
    .description('applications, PIN tries left and certificates readable without a PIN')
    .addOption(readerOption())
    .addOption(noExtendedOption())
    .option('--json')
    .action(cardInfoCommand);

  const cert = program.command('cert').description('certificates on the card');
  cert
    .command('read')
    .description('read a certificate (sign needs the signing password)')
    .addArgument(
      new Command().createArgument('<which>', 'auth | sign | auth-ca | sign-ca').choices(CERTIFICATE_CHOICES),
    )
    .option('--out <file>', 'write the certificate to a file')
    .option('--pem', 'PEM instead of DER')
    .addOption(readerOption())
    .addOption(pinEnvOption())
    .addOption(noExtendedOption())
    .action(certReadCommand);

  const pin = program.command('pin').description('PINs');
  pin
    .command('status')
    .description('tries left for every PIN (consumes no try)')
    .addOption(readerOption())
    .option('--json')
    .action(pinStatusCommand);

  program
    .command('sign')
    .description('sign a file with the card')
    .addOption(new Option('--key <key>', 'which key').choices(['auth', 'sign']).makeOptionMandatory())
    .addOption(new Option('--hash <alg>', 'hash algorithm').choices(HASH_CHOICES).default('sha256'))
    .requiredOption('--in <file>', 'data to sign')
    .requiredOption('--out <file>', 'where to write the 256-byte signature')
    .addOption(readerOption())
    .addOption(pinEnvOption())
    .addOption(noExtendedOption())
    .action(signCommand);

  const verify = program.command('verify').description('validate certificates');
  verify
    .command('cert')
    .description('chain to a trusted J-LIS root and check revocation (fail closed); exit 3 when revoked')
    .argument('<file>', 'certificate, DER or PEM')
    .requiredOption(
      '--trust <dir>',
      'folder of root certificates (PEM/DER); sign and auth roots are told apart by DN',
    )
    .option('--ocsp <url>', 'OCSP responder')
    .option('--crl <url>', 'CRL URL (fallback after OCSP, or alone)')
    .option('--at <iso-date>', 'validate at this time instead of now')
    .option('--allow-test', 'accept the JPKI-TEST hierarchy')
    .option('--json')
    .action(verifyCertCommand);

  const testkit = program.command('testkit').description('virtual cards and personas for testing');
  testkit
    .command('personas')
    .description('the test personas and their PINs')
    .option('--json')
    .action(personasCommand);
  testkit
    .command('vcard')
    .description('run a virtual My Number Card on pcscd through vpcd')
    .requiredOption('--persona <id>', 'which persona (see `mynakit testkit personas`)')
    .option('--vpcd <host:port>', 'vpcd address', '127.0.0.1:35963')
    .option(
      '--state <file>',
      'load the card state from this file if it exists, save it on every change and on exit',
    )
    .option('--trace <file>', 'write the redacted APDU transcript of everything the card receives')
    .option('--no-extended', 'refuse extended-length APDUs like a reader without them')
    .action(vcardCommand);

  testkit
    .command('jlis')
    .description('run the mock J-LIS: OCSP, CRLs, latest basic four and a control API (prints the URLs)')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0 = any free port)', '0')
    .option(
      '--state <dir>',
      'keep holders and revocations in this folder; the roots are written to <dir>/roots',
    )
    .action(jlisCommand);

  // Face commands load sharp and the face engine only when run, so the card commands stay light.
  const face = program.command('face').description('face photos: compare, calibrate thresholds (CPU)');
  face
    .command('compare')
    .description('cosine similarity between the largest faces of two photos (JPEG, PNG, WebP, JPEG 2000)')
    .argument('<a>', 'first photo')
    .argument('<b>', 'second photo')
    .option(
      '--threshold <t>',
      'similarity at or above which the faces match (default 0.55; calibrate your own)',
    )
    .option('--json')
    .action(async (a: string, b: string, options: { json?: boolean; threshold?: string }) =>
      (await import('./commands/face-compare.js')).faceCompareCommand(a, b, options),
    );
  face
    .command('calibrate')
    .description('genuine/impostor scores, EER and FRR at FAR 1 % / 0.1 % for a labelled photo set')
    .requiredOption(
      '--labels <file>',
      'JSON array of { "file", "identity" }; paths relative to it; identity null = not a single-person photo',
    )
    .option(
      '--card-sim',
      'also compare a card-like copy of each photo (240×320 grey JPEG 2000) with the others',
    )
    .option('--svg <out>', 'write the two score histograms with the thresholds as SVG')
    .option('--roc', 'include every ROC point in the JSON')
    .option('--json')
    .action(
      async (options: { labels: string; cardSim?: boolean; json?: boolean; svg?: string; roc?: boolean }) =>
        (await import('./commands/face-calibrate.js')).faceCalibrateCommand(options),
    );

  const server = program
    .command('server')
    .description('run the reference server (W1-W4 behind API keys, review page); prints its URL')
    .option('--db <url>', 'sqlite:FILE or postgres://… (overrides the config file)')
    .option(
      '--config <file>',
      'JSON config file (serverConfigSchema): keyring, pepper, apiKeys, jlis, face, w2, w3, w4, tls, …',
    )
    .option('--port <n>', 'TCP port (0 = any free port)')
    .option('--host <h>', 'address to listen on (default 127.0.0.1)')
    .option('--data-dir <dir>', 'where encrypted photos are kept (overrides the config file)')
    .action(
      async (options: { db?: string; config?: string; port?: string; host?: string; dataDir?: string }) =>
        (await import('./commands/server.js')).serverCommand(options),
    );
  server
    .command('keygen')
    .description('a new API key and its config entry (SHA-256 only), or --secrets for a keyring and pepper')
    .addOption(
      new Option('--role <role>', 'booth | kiosk | municipality | ekyc').choices([
        'booth',
        'kiosk',
        'municipality',
        'ekyc',
      ]),
    )
    .option('--id <id>', 'the actor id (booth id, kiosk id, reviewer id)')
    .option('--secrets', 'print a fresh sealing keyring and pepper instead')
    .action(async (options: { role?: string; id?: string; secrets?: boolean }) =>
      (await import('./commands/server.js')).serverKeygenCommand(options),
    );

  program
    .command('demo')
    .description(
      'W1-W4 end to end: mock J-LIS, reference server on SQLite, virtual cards on pcscd; writes an HTML report',
    )
    .option(
      '--port <n>',
      'vpcd port of the reader to use (35964 = "Virtual PCD 00 01")',
      String(DEMO_DEFAULT_PORT),
    )
    .option('--report <file>', 'where to write the HTML report', DEMO_DEFAULT_REPORT)
    .option('--json', 'print one JSON document (timeline and outcomes) instead of the timeline')
    .action(demoCommand);

  return program;
}
