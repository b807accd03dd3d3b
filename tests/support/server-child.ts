// The reference server in a child process, for the crash and concurrency tests. Run with
//   node --conditions=@mynakit/source --import tsx tests/support/server-child.ts <spec.json>
// (or the path in MYNAKIT_TEST_SERVER_SPEC). Prints `listening <url>` on stdout once it serves.
//
// Fault injection, by environment (tests only; the server itself has no such hook):
// - MYNAKIT_TEST_CRASH_AT=<effectType>:<before|after>[:<n>] SIGKILLs this process right before the n-th call (default
//   the first) of that effect's handler, or right after it returned — the remote side did the work, but the outbox
//   item is not completed and the event it feeds back is not stored.
// - MYNAKIT_TEST_CRASH_AFTER_HTTP=<METHOD> <path>[:<n>] SIGKILLs it right after the n-th successful answer to that
//   route left the process (the caller has it; anything after it in the process is lost).
import { subscribe } from 'node:diagnostics_channel';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRedactingLogger, type EffectHandler, jsonLinesSink } from '@mynakit/workflows';
import { createReferenceServer, type ServerConfigInput } from '@mynakit/workflows/server';
import { FakeFaceCheck, type FakeFaceOutcome } from './server-fixture.js';

export interface ServerChildSpec {
  readonly config: ServerConfigInput;
  /** Replace the face check with a fake that always answers this (the real face path is tested elsewhere). */
  readonly fakeFace?: FakeFaceOutcome;
  readonly workerId?: string;
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL cannot be caught; this line is never reached.
  throw new Error('unreachable');
}

/** `<name>:<n>` → [name, n]; a missing count is 1. */
function withCount(value: string): [string, number] {
  const match = /^(.*):(\d+)$/.exec(value);
  return match === null ? [value, 1] : [match[1]!, Number(match[2])];
}

function crashWrapper(spec: string | undefined) {
  if (!spec) return undefined;
  const [point, count] = withCount(spec);
  const [type, phase] = point.split(':');
  if (type === undefined || (phase !== 'before' && phase !== 'after'))
    throw new Error(`MYNAKIT_TEST_CRASH_AT is <effectType>:<before|after>[:<n>], not ${spec}`);
  let calls = 0;
  return (effectType: string, handler: EffectHandler<unknown>): EffectHandler<unknown> =>
    effectType !== type
      ? handler
      : async (effect, context) => {
          const armed = ++calls === count;
          if (armed && phase === 'before') die();
          const outcome = await handler(effect, context);
          if (armed) die();
          return outcome;
        };
}

function crashAfterHttp(spec: string | undefined): void {
  if (!spec) return;
  const [route, count] = withCount(spec);
  const [method, path] = route.split(' ');
  let answers = 0;
  subscribe('http.server.response.finish', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const requestPath = (request.url ?? '').split('?')[0];
    if (request.method !== method || requestPath !== path || response.statusCode >= 400) return;
    // `finish`: the whole answer is in the socket. A moment for the kernel to send it, then nothing more.
    if (++answers === count) setTimeout(die, 5);
  });
}

async function main(): Promise<void> {
  const file = process.argv[2] ?? process.env.MYNAKIT_TEST_SERVER_SPEC;
  if (file === undefined) throw new Error('usage: server-child.ts <spec.json>');
  const spec = JSON.parse(await readFile(file, 'utf8')) as ServerChildSpec;
  crashAfterHttp(process.env.MYNAKIT_TEST_CRASH_AFTER_HTTP);
  const wrapEffectHandler = crashWrapper(process.env.MYNAKIT_TEST_CRASH_AT);
  const server = await createReferenceServer(spec.config, {
    logger: createRedactingLogger(
      jsonLinesSink((line) => process.stderr.write(line)),
      { level: 'warn' },
    ),
    ...(spec.fakeFace !== undefined && { faceCheck: new FakeFaceCheck(spec.fakeFace) }),
    ...(spec.workerId !== undefined && { workerId: spec.workerId }),
    ...(wrapEffectHandler !== undefined && { wrapEffectHandler }),
  });
  process.stdout.write(`listening ${server.url}\n`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`server child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
