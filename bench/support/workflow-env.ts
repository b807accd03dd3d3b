import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  getPersona,
  type JlisServer,
  listPersonas,
  type MockIssuanceServer,
  MockJlis,
  type Persona,
  startJlisServer,
  startMockIssuanceServer,
  type VirtualMyNumberCard,
} from '@mynakit/testkit';
import { generateKeyBase64 } from '@mynakit/workflows';
import { PostgresWorkflowStore } from '@mynakit/workflows/postgres';
import { generateApiKey, type ServerConfigInput } from '@mynakit/workflows/server';

// What the workflow benchmarks share: the mock J-LIS and issuance server (in the load-generating parent), cards
// whose private keys the parent holds, and reference servers started as child processes.

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SERVER_SCRIPT = fileURLToPath(new URL('./server-process.ts', import.meta.url));

export const PG_URL = process.env.MYNAKIT_PG_URL ?? 'postgres://postgres@127.0.0.1:54329/mynakit_test';

export interface BenchCard {
  readonly persona: Persona;
  readonly card: VirtualMyNumberCard;
  /** The user-authentication key, for signing W3.1 challenges with node:crypto (what the card would do). */
  readonly authKey: KeyObject;
  readonly authCertificate: Uint8Array;
}

export interface WorkflowEnv {
  readonly dir: string;
  readonly jlis: MockJlis;
  readonly jlisServer: JlisServer;
  readonly issuance: MockIssuanceServer;
  readonly cards: readonly BenchCard[];
  readonly boothKey: string;
  /** A configuration for `db` (PostgreSQL gets a schema of its own); extra fields are merged in. */
  config(db: 'sqlite' | 'postgres', extra?: Partial<ServerConfigInput>): Promise<ServerConfigInput>;
  close(): Promise<void>;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export async function createWorkflowEnv(
  options: { personas?: readonly string[] } = {},
): Promise<WorkflowEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'mynakit-bench-wf-'));
  const jlis = await MockJlis.create();
  const jlisServer = await startJlisServer(jlis);
  const issuance = await startMockIssuanceServer();
  const personas = options.personas?.map((id) => getPersona(id)) ?? listPersonas();
  const cards: BenchCard[] = [];
  for (const persona of personas) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs8 = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }));
    const card = await jlis.issueCard(persona, { keys: { auth: pkcs8 } });
    cards.push({ persona, card, authKey: privateKey, authCertificate: card.certificates.auth });
  }
  const booth = generateApiKey({ id: 'booth-1', role: 'booth' });
  const schemas: string[] = [];
  let n = 0;
  return {
    dir,
    jlis,
    jlisServer,
    issuance,
    cards,
    boothKey: booth.key,
    async config(db, extra = {}) {
      const runDir = join(dir, `run-${++n}`);
      await mkdir(runDir);
      const schema = `mynakit_bench_${randomBytes(5).toString('hex')}`;
      if (db === 'postgres') schemas.push(schema);
      return {
        db: db === 'sqlite' ? `sqlite:${join(runDir, 'mynakit.sqlite')}` : PG_URL,
        ...(db === 'postgres' && { postgresSchema: schema }),
        port: 0,
        dataDir: runDir,
        keyring: { current: 'k1', keys: [{ id: 'k1', key: generateKeyBase64() }] },
        pepper: randomBytes(32).toString('base64'),
        apiKeys: [booth.entry],
        jlis: {
          url: jlisServer.url,
          trustAnchors: {
            sign: [`base64:${b64(jlis.cas.sign.der)}`],
            auth: [`base64:${b64(jlis.cas.auth.der)}`],
          },
          allowTestHierarchy: true,
        },
        w3: {
          issuanceServerUrl: issuance.url,
          expiryMs: 24 * 60 * 60_000,
          confirmTimeoutMs: 3 * 60_000,
          kioskRateLimit: { capacity: 10, refillPerSecond: 0.2 },
        },
        log: { level: 'warn' },
        ...extra,
      };
    },
    async close() {
      if (schemas.length > 0) {
        const store = await PostgresWorkflowStore.connect(PG_URL);
        for (const schema of schemas) await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await store.close();
      }
      await issuance.close();
      await jlisServer.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ServerProcesses {
  readonly urls: readonly string[];
  /** CPU seconds (user + system, all threads) the server processes have used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/**
 * Starts `count` reference server processes on one configuration (one database), one after the other (the first
 * migrates). Their stderr goes to a log file in the run's data dir. `BENCH_CPU_PROF=DIR` profiles them.
 */
export async function startServerProcesses(
  config: ServerConfigInput,
  count: number,
  options: { fakeRenewal?: boolean } = {},
): Promise<ServerProcesses> {
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  const profile = process.env.BENCH_CPU_PROF;
  try {
    for (let i = 0; i < count; i++) {
      const spec = join(config.dataDir, `server-${i}.json`);
      await writeFile(spec, JSON.stringify({ config, workerId: `bench-${i}`, ...options }));
      const child = spawn(
        process.execPath,
        [
          '--conditions=@mynakit/source',
          '--import',
          'tsx',
          ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
          SERVER_SCRIPT,
          spec,
        ],
        { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      child.stderr!.pipe(createWriteStream(join(config.dataDir, `server-${i}.log`)));
      urls.push(await firstLine(child));
    }
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    throw error;
  }
  return {
    urls,
    cpuSeconds: () => children.reduce((sum, child) => sum + cpuSecondsOf(child.pid!), 0),
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/** utime + stime of a process from /proc (Linux), in seconds. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/** Busy and total CPU ticks of the whole machine (all cores) from /proc/stat: busy excludes idle and iowait. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - ticks[3]! - ticks[4]!, total };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      resolve((JSON.parse(buffered.slice(0, newline)) as { url: string }).url);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`server process exited (${code}) before listening`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Percentile (nearest rank) of unsorted samples, in ms with one decimal. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[at]! * 10) / 10;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/**
 * JSON POST/GET over a keep-alive `node:http` agent (cheaper than fetch, which matters when the load generator
 * shares the machine's cores with the servers). Binary bodies are passed as a ready string.
 */
export function call(
  url: string,
  init: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: unknown }> {
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === 'string'
        ? init.body
        : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent,
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          ...(body !== undefined && {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          }),
          ...init.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            /* keep the text */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
