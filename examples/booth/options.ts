import { parseArgs } from 'node:util';

export const usage = `Usage: pnpm --filter @mynakit/example-booth start -- [options]

  --mock               start a mock environment (J-LIS, servers) and use a virtual card: no hardware needed
  --persona ID         with --mock: whose card (default taro)
  --sample N           with --mock: which face-api sample photo the card and the camera show (1-6, default 1)
  --server URL         the reference server (without --mock)
  --api-key KEY        this booth's API key (role booth); or the environment variable BOOTH_API_KEY
  --reader NAME        the PC/SC reader (default: the first one with a card)
  --virtual            the in-process virtual card (needs --mock: only the mock J-LIS knows its certificates)
  --photos PATH        a JPEG/PNG file or a directory of them, played back as the camera
  --flow FLOW          renew, register or both (default both)
  --help`;

export type Flow = 'renew' | 'register';

const FLOWS: Record<string, readonly Flow[] | undefined> = {
  both: ['renew', 'register'],
  renew: ['renew'],
  register: ['register'],
};

export interface BoothOptions {
  readonly mock: boolean;
  readonly persona: string;
  readonly sample: 1 | 2 | 3 | 4 | 5 | 6;
  readonly server: string | undefined;
  readonly apiKey: string | undefined;
  readonly reader: string | undefined;
  readonly photos: string | undefined;
  readonly flows: readonly Flow[];
  readonly help: boolean;
}

/** Command-line flags; throws a readable error for a bad combination. */
export function parseBoothOptions(argv: readonly string[]): BoothOptions {
  // `pnpm start -- --mock` passes the `--` along: drop it.
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const { values } = parseArgs({
    args,
    options: {
      mock: { type: 'boolean', default: false },
      persona: { type: 'string', default: 'taro' },
      sample: { type: 'string', default: '1' },
      server: { type: 'string' },
      'api-key': { type: 'string' },
      reader: { type: 'string' },
      virtual: { type: 'boolean', default: false },
      photos: { type: 'string' },
      flow: { type: 'string', default: 'both' },
      help: { type: 'boolean', default: false },
    },
  });
  const sample = Number(values.sample);
  if (![1, 2, 3, 4, 5, 6].includes(sample)) throw new Error('--sample must be 1 to 6');
  const flows = FLOWS[values.flow];
  if (flows === undefined) throw new Error('--flow must be renew, register or both');
  if (values.virtual && !values.mock)
    throw new Error('--virtual needs --mock (the card is issued by the mock J-LIS)');
  if (!values.mock && !values.help && values.server === undefined)
    throw new Error('give --server URL, or --mock');
  if (!values.mock && !values.help && values.photos === undefined)
    throw new Error('give --photos PATH (the camera)');
  return {
    mock: values.mock,
    persona: values.persona,
    sample: sample as BoothOptions['sample'],
    server: values.server,
    apiKey: values['api-key'] ?? process.env.BOOTH_API_KEY,
    reader: values.reader,
    photos: values.photos,
    flows,
    help: values.help,
  };
}
