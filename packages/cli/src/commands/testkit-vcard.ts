import { createWriteStream, existsSync } from 'node:fs';
import { TranscriptRecorder } from '@mynakit/card';
import { createVirtualCard, loadState, VirtualCardSlot, type VirtualMyNumberCard } from '@mynakit/testkit';

export interface VcardOptions {
  persona: string;
  vpcd: string;
  state?: string;
  trace?: string;
  extended: boolean;
}

/**
 * Run a virtual card in pcscd's vpcd reader until interrupted. With --state the card (PIN counters, keys,
 * certificates) is reloaded from and saved to a file, so a blocked PIN stays blocked across runs.
 */
export async function vcardCommand(options: VcardOptions): Promise<void> {
  const { host, port } = parseHostPort(options.vpcd);
  const card: VirtualMyNumberCard =
    options.state && existsSync(options.state)
      ? loadState(options.state, { extendedLength: options.extended })
      : await createVirtualCard({ persona: options.persona, extendedLength: options.extended });
  if (options.state) card.persistTo(options.state);

  const trace = options.trace ? createWriteStream(options.trace, { flags: 'a', mode: 0o600 }) : undefined;
  const recorder = trace
    ? new TranscriptRecorder({ reader: `vpcd ${host}:${port}`, atr: card.atr }, (line) =>
        trace.write(`${line}\n`),
      )
    : undefined;

  const slot = new VirtualCardSlot(card, {
    host,
    port,
    ...(recorder && {
      onApdu: ({ command, response }) => {
        recorder.command(command);
        recorder.response(response);
      },
    }),
  });
  await slot.insert();
  process.stdout.write(
    `virtual My Number Card (persona ${options.persona}) is in reader "${slot.reader}"; Ctrl-C pulls it out\n`,
  );

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await slot.remove().catch(() => undefined);
  if (options.state) card.saveState(options.state);
  await new Promise<void>((resolve) => (trace ? trace.end(resolve) : resolve()));
}

function parseHostPort(value: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(value);
  if (!match) throw new Error(`--vpcd must be host:port, got "${value}"`);
  return { host: match[1]!, port: Number(match[2]) };
}
