import { parseArgs } from 'node:util';
import type { CertificateApplicationInput } from '@mynakit/workflows';

export const usage = `Usage: pnpm --filter @mynakit/example-phone-w3 start -- [options]

  --mock               start a mock environment, a virtual card and a kiosk: the whole of W3 in one process
  --server URL         the reference server (without --mock)
  --reader NAME        the PC/SC reader standing in for the phone's NFC (default: the first one with a card)
  --certificate KIND   resident-record, seal-registration or resident-record-items (default resident-record)
  --copies N           1-10 (default 1)
  --device-id ID       this phone's id (default: kept in .phone-device-id next to this example)
  --yes                confirm the print without asking
  --help

The authentication PIN comes from the environment variable PHONE_AUTH_PIN or a hidden prompt.`;

const KINDS = ['resident-record', 'seal-registration', 'resident-record-items'] as const;
export type CertificateKind = (typeof KINDS)[number];

export interface PhoneOptions {
  readonly mock: boolean;
  readonly server: string | undefined;
  readonly reader: string | undefined;
  readonly certificate: CertificateKind;
  readonly copies: number;
  readonly deviceId: string | undefined;
  readonly yes: boolean;
  readonly help: boolean;
}

export function parsePhoneOptions(argv: readonly string[]): PhoneOptions {
  // `pnpm start -- --mock` passes the `--` along: drop it.
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const { values } = parseArgs({
    args,
    options: {
      mock: { type: 'boolean', default: false },
      server: { type: 'string' },
      reader: { type: 'string' },
      certificate: { type: 'string', default: 'resident-record' },
      copies: { type: 'string', default: '1' },
      'device-id': { type: 'string' },
      yes: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const certificate = KINDS.find((kind) => kind === values.certificate);
  if (certificate === undefined) throw new Error(`--certificate must be one of ${KINDS.join(', ')}`);
  const copies = Number(values.copies);
  if (!Number.isInteger(copies) || copies < 1 || copies > 10) throw new Error('--copies must be 1 to 10');
  if (!values.mock && !values.help && values.server === undefined)
    throw new Error('give --server URL, or --mock');
  return {
    mock: values.mock,
    server: values.server,
    reader: values.reader,
    certificate,
    copies,
    deviceId: values['device-id'],
    yes: values.yes,
    help: values.help,
  };
}

/** The application the phone sends: which certificate and how many copies (nothing about the person). */
export function application(options: PhoneOptions): CertificateApplicationInput {
  return { certificateKind: options.certificate, copies: options.copies };
}

/** The applicant takes this number to any kiosk. */
export function showNumber(receptionNumber: string, expiresAt: string): void {
  console.log(`[phone] reception number ${receptionNumber} (valid until ${expiresAt}): enter it at a kiosk`);
}
