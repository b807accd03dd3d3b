import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerChildSpec } from './server-child.js';

// The reference server as real child processes (tests/support/server-child.ts): start, SIGKILL, restart on the same
// database, data directory and port, so device clients that retry find it again.

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const childScript = fileURLToPath(new URL('./server-child.ts', import.meta.url));

/** A free TCP port on 127.0.0.1 (a restarted child listens on the same one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls `check` until it holds (a bounded wait, not a timed assertion: the caller asserts what follows). */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Writes the child's spec (config with secrets: keep it in the test's temp dir) and returns its path. */
export async function writeServerSpec(
  dir: string,
  spec: ServerChildSpec,
  name = 'server.json',
): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(spec), { mode: 0o600 });
  return file;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  /** `http://127.0.0.1:port/` */
  readonly url: string;
  readonly pid: number;
  /** Resolves when the process ended, however. */
  readonly exited: Promise<ChildExit>;
  /** What it wrote on stderr so far (redacted JSON log lines, failures). */
  stderr(): string;
  /** SIGKILL and wait for the end. */
  kill(): Promise<ChildExit>;
  /** SIGTERM (the server closes its database), SIGKILL if it does not end within `graceMs`. */
  stop(graceMs?: number): Promise<ChildExit>;
}

/** Starts the server child with `spec.json`; resolves once it listens, rejects if it ends first. */
export async function startServerProcess(
  specFile: string,
  options: { env?: Record<string, string>; startTimeoutMs?: number } = {},
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@mynakit/source', '--import', 'tsx', childScript, specFile],
    { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let stdout = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const kill = async (): Promise<ChildExit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the server child did not start in time: ${stderr}`)),
        options.startTimeoutMs ?? 30_000,
      );
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const match = /listening (\S+)/.exec(stdout);
        if (match !== null) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`the server child ended (${exit.code ?? exit.signal}) before listening: ${stderr}`));
      });
    });
    return {
      url,
      pid: child.pid as number,
      exited,
      stderr: () => stderr,
      kill,
      async stop(graceMs = 5000) {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const exit = await exited;
        clearTimeout(timer);
        return exit;
      },
    };
  } catch (error) {
    await kill();
    throw error;
  }
}

/**
 * A process manager for one server: starts the child (with the crash injection in `crashEnv`), and whenever it dies
 * of SIGKILL starts it again on the same spec without the injection, as systemd or Kubernetes would. Device clients
 * keep the same base URL (the spec's fixed port) and find the new process after their retries.
 */
export class SupervisedServer {
  /** Kills observed (each followed by a restart). */
  crashes = 0;
  private current: ServerProcess | undefined;
  private starting: Promise<ServerProcess>;
  private stopped = false;
  private readonly stderrLog: string[] = [];

  private constructor(
    private readonly specFile: string,
    crashEnv: Record<string, string>,
  ) {
    this.starting = this.launch(crashEnv);
  }

  static async start(specFile: string, crashEnv: Record<string, string> = {}): Promise<SupervisedServer> {
    const supervised = new SupervisedServer(specFile, crashEnv);
    try {
      await supervised.starting;
    } catch (error) {
      await supervised.stop();
      throw error;
    }
    return supervised;
  }

  /** The process serving now (waits while a restart is under way). */
  ready(): Promise<ServerProcess> {
    return this.starting;
  }

  get url(): string {
    if (this.current === undefined) throw new Error('not started');
    return this.current.url;
  }

  /**
   * A fetch for device clients that, when the server cannot be reached, waits until the supervisor has it running
   * again before reporting the failure: the client's own retry (same Idempotency-Key) then finds it at once instead
   * of backing off for longer than the restart takes.
   */
  readonly fetch: typeof fetch = async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (error) {
      // The exit of the killed process is noticed a moment after its connections drop.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await this.ready().catch(() => undefined);
      throw error;
    }
  };

  /** stderr of every process so far. */
  stderr(): string {
    return [...this.stderrLog, this.current?.stderr() ?? ''].join('\n--- restart ---\n');
  }

  /** Ends the current process (SIGTERM, then SIGKILL) and restarts nothing more. */
  async stop(): Promise<void> {
    this.stopped = true;
    const running = await this.starting.catch(() => undefined);
    await running?.stop();
  }

  private launch(env: Record<string, string>): Promise<ServerProcess> {
    return startServerProcess(this.specFile, { env }).then((started) => {
      this.current = started;
      started.exited.then((exit) => {
        this.stderrLog.push(started.stderr());
        if (this.stopped || exit.signal !== 'SIGKILL') return;
        this.crashes++;
        this.current = undefined;
        this.starting = this.launch({});
        // A failed restart surfaces through ready(); keep it from being an unhandled rejection meanwhile.
        this.starting.catch(() => undefined);
      });
      return started;
    });
  }
}
