import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { RenewalPort } from '@mynakit/workflows';
import { createReferenceServer, type ServerConfigInput } from '@mynakit/workflows/server';

/**
 * One reference server process for the workflow benchmarks (`bench/workflows.ts` starts one or two of these as
 * child processes, so two processes really use two cores). argv[2] is a JSON file `{ config, workerId,
 * fakeRenewal }`; the server's URL goes to stdout as one JSON line, and SIGTERM closes it cleanly.
 *
 * `fakeRenewal` answers J-LIS renewal at once with a well-formed script that no card will run: W1 cases then go to
 * `awaiting-card` right after the face decision, and the mock J-LIS's key generation is not part of the timing.
 */
const spec = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as {
  config: ServerConfigInput;
  workerId: string;
  fakeRenewal?: boolean;
};

const fakeRenewal: RenewalPort = {
  requestRenewal: async () => ({
    format: 'mynakit-update-script/1',
    scriptId: randomBytes(16).toString('hex'),
    cardId: '00000000000000AA',
    counter: 1,
    targets: ['auth', 'sign'],
    commands: ['00A40400', '00A40400', '00A40400'],
  }),
  confirmRenewal: async () => ({ activated: false, reason: 'benchmark: no card' }),
};

const server = await createReferenceServer(spec.config, {
  workerId: spec.workerId,
  ...(spec.fakeRenewal === true && { renewal: fakeRenewal }),
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

const stop = () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
