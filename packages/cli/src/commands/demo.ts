import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VPCD_BASE_PORT } from '@mynakit/testkit';
import { DemoError } from '../demo/errors.js';
import { jsonReplacer } from '../output.js';

/** The demo's own reader by default: "Virtual PCD 00 01", so a test run on "… 00 00" can go on beside it. */
export const DEMO_DEFAULT_PORT = VPCD_BASE_PORT + 1;
export const DEMO_DEFAULT_REPORT = join(tmpdir(), 'mynakit-demo-report.html');

/**
 * `mynakit demo`: W1–W4 end to end against the mock J-LIS, the reference server and virtual cards on pcscd. Prints
 * the timeline (or one JSON document), writes the HTML report, exits 0 only when every outcome is the expected one.
 */
export async function demoCommand(options: { port: string; report: string; json?: boolean }): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DemoError('INVALID_INPUT', '--port must be a TCP port number (vpcd: 35963, 35964, …)');
  }
  const json = options.json ?? false;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (!json)
    out('mynakit demo: W1–W4 against the mock J-LIS, the reference server and virtual cards on pcscd\n');
  // Loaded here: the face engine, the server and the testkit are heavy and only the demo needs them.
  const { runDemo } = await import('../demo/run-demo.js');
  const run = await runDemo({ port, reportPath: options.report, ...(!json && { print: out }) });

  // The demo is a one-shot: end the process once the output is out even if a native handle lingers (a pcsclite
  // context to pcscd was seen to stay open after every transport was closed, about once in ten runs). Unref'd, so a
  // clean run exits at once without waiting for it.
  setTimeout(() => process.exit(), 2000).unref();

  const failed = run.outcomes.filter((o) => !o.ok);
  if (json) {
    process.stdout.write(`${JSON.stringify(run, jsonReplacer, 2)}\n`);
  } else {
    out(
      `\n${run.outcomes.length - failed.length}/${run.outcomes.length} outcomes as expected in ${(run.elapsedMs / 1000).toFixed(1)} s`,
    );
    out(`report: ${run.report}`);
  }
  if (!run.ok) {
    const lines = failed.map(
      (o) => `  ✘ ${o.workflow} ${o.description}: ${o.actual} (expected ${o.expected})`,
    );
    process.stderr.write(
      `mynakit demo: ${failed.length} of ${run.outcomes.length} outcomes were not the expected ones:\n${lines.join('\n')}\n`,
    );
    process.exitCode = 1;
  }
}
