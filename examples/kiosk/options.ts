import { parseArgs } from 'node:util';

export const usage = `Usage: pnpm --filter @mynakit/example-kiosk start -- [options] [RECEPTION-NUMBER]

  RECEPTION-NUMBER    the number from the applicant's phone (default: read a line from stdin)
  --server URL        the reference server
  --api-key KEY       this kiosk's API key (role kiosk); or the environment variable KIOSK_API_KEY
  --out DIR           where the "printer" writes documents (default ./printouts)
  --mock              start a mock environment and a phone with a virtual card that applies and confirms
  --help`;

export interface KioskOptions {
  readonly mock: boolean;
  readonly server: string | undefined;
  readonly apiKey: string | undefined;
  readonly out: string;
  readonly receptionNumber: string | undefined;
  readonly help: boolean;
}

export function parseKioskOptions(argv: readonly string[]): KioskOptions {
  // `pnpm start -- --mock` passes the `--` along: drop it.
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      mock: { type: 'boolean', default: false },
      server: { type: 'string' },
      'api-key': { type: 'string' },
      out: { type: 'string', default: 'printouts' },
      help: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1) throw new Error('give one reception number');
  if (!values.mock && !values.help && values.server === undefined)
    throw new Error('give --server URL, or --mock');
  return {
    mock: values.mock,
    server: values.server,
    apiKey: values['api-key'] ?? process.env.KIOSK_API_KEY,
    out: values.out,
    receptionNumber: positionals[0],
    help: values.help,
  };
}
