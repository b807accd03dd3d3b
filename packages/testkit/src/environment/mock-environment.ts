import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecisionPolicyInput } from '@mynakit/face';
import { type FaceCheckPort, generateKeyBase64 } from '@mynakit/workflows';
import {
  type ApiRole,
  createReferenceServer,
  generateApiKey,
  type ReferenceServer,
  type ReferenceServerOptions,
  type ServerConfigInput,
} from '@mynakit/workflows/server';
import { type JlisServer, MockJlis, startJlisServer } from '../jlis/index.js';
import { type MockAdminServer, startMockAdminServer } from '../mock-servers/admin-server.js';
import { type MockIssuanceServer, startMockIssuanceServer } from '../mock-servers/issuance-server.js';
import type { VirtualMyNumberCard } from '../virtual-card/virtual-my-number-card.js';

/**
 * Thresholds for the demo photos (face-api's samples: genuine pairs score 0.81–0.94, different people 0.34–0.51).
 * Not a recommendation for real booth captures: calibrate those with `mynakit face calibrate`.
 */
export const demoFacePolicy: DecisionPolicyInput = { cardThreshold: 0.6, delta: 0.2 };

export interface MockEnvironmentOptions {
  /** `sqlite` (a file in the data directory; the default) or a `postgres://` URL. */
  readonly db?: 'sqlite' | `postgres://${string}` | `postgresql://${string}`;
  /** PostgreSQL schema (default the server's); use a unique one per test run that shares a database. */
  readonly postgresSchema?: string;
  /** Photos, the SQLite file and J-LIS's state; default a new temporary directory, removed by `close()`. */
  readonly dataDir?: string;
  /** Replaces the real face check (a FacePool of `faceFacePoolSize` with `facePolicy`). */
  readonly faceCheck?: FaceCheckPort;
  readonly facePolicy?: DecisionPolicyInput;
  readonly facePoolSize?: number;
  /** W2: register photos at the mock administrative server (default) or keep them on the server only. */
  readonly w2Mode?: 'admin-server' | 'local';
  readonly clock?: () => Date;
  /** Anything else of the server's configuration (merged over the environment's). */
  readonly config?: Partial<ServerConfigInput>;
  readonly serverOptions?: ReferenceServerOptions;
}

export interface MockEnvironment {
  readonly server: ReferenceServer;
  /** The reference server's base URL, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  /** One API key per role (actor ids `booth-1`, `kiosk-1`, `municipality-1`, `ekyc-1`). */
  readonly apiKeys: Readonly<Record<ApiRole, string>>;
  readonly jlis: MockJlis;
  readonly jlisServer: JlisServer;
  readonly adminServer: MockAdminServer;
  readonly issuanceServer: MockIssuanceServer;
  /** The configuration the server runs with: start more processes on the same database with it. */
  readonly config: ServerConfigInput;
  readonly dataDir: string;
  /** A virtual card issued by this environment's J-LIS (its certificates chain to the trusted test CAs). */
  issueCard(persona: string, options?: { facePhoto?: Uint8Array }): Promise<VirtualMyNumberCard>;
  close(): Promise<void>;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * Everything a booth, kiosk, phone or eKYC integration talks to, on loopback: the mock J-LIS (OCSP, CRLs, renewal,
 * latest basic four), the mock administrative and certificate-issuance servers, and the reference server on SQLite
 * or PostgreSQL with API keys for every role. Cards come from `issueCard` (in-process, or on pcscd through a
 * `VirtualCardSlot`).
 */
export async function startMockEnvironment(options: MockEnvironmentOptions = {}): Promise<MockEnvironment> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'mynakit-env-')));
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const jlis = await MockJlis.create({
      stateDir: join(dataDir, 'jlis'),
      ...(options.clock && { clock: options.clock }),
    });
    const jlisServer = await startJlisServer(jlis);
    closers.push(() => jlisServer.close());
    const adminServer = await startMockAdminServer();
    closers.push(() => adminServer.close());
    const issuanceServer = await startMockIssuanceServer();
    closers.push(() => issuanceServer.close());

    const roles = ['booth', 'kiosk', 'municipality', 'ekyc'] as const;
    const keys = roles.map((role) => generateApiKey({ id: `${role}-1`, role }));
    const config: ServerConfigInput = {
      db:
        options.db === undefined || options.db === 'sqlite'
          ? `sqlite:${join(dataDir, 'mynakit.sqlite')}`
          : options.db,
      ...(options.postgresSchema && { postgresSchema: options.postgresSchema }),
      port: 0,
      dataDir,
      keyring: { current: 'k1', keys: [{ id: 'k1', key: generateKeyBase64() }] },
      pepper: randomBytes(32).toString('base64'),
      apiKeys: keys.map((k) => k.entry),
      jlis: {
        url: jlisServer.url,
        trustAnchors: {
          sign: [`base64:${base64(jlis.cas.sign.der)}`],
          auth: [`base64:${base64(jlis.cas.auth.der)}`],
        },
        allowTestHierarchy: true,
      },
      face: { poolSize: options.facePoolSize ?? 1, policy: options.facePolicy ?? demoFacePolicy },
      w2:
        (options.w2Mode ?? 'admin-server') === 'admin-server'
          ? { mode: 'admin-server', adminServerUrl: adminServer.registerUrl }
          : { mode: 'local' },
      w3: { issuanceServerUrl: issuanceServer.url },
      w4: { verifierId: 'mynakit-env' },
      worker: { intervalMs: 20, leaseMs: 30_000 },
      log: { level: 'warn' },
      ...options.config,
    };
    const server = await createReferenceServer(config, {
      ...(options.clock && { clock: options.clock }),
      ...(options.faceCheck && { faceCheck: options.faceCheck }),
      ...options.serverOptions,
    });
    closers.push(() => server.close());
    return {
      server,
      url: server.url,
      apiKeys: Object.fromEntries(roles.map((role, i) => [role, keys[i]!.key])) as Record<ApiRole, string>,
      jlis,
      jlisServer,
      adminServer,
      issuanceServer,
      config,
      dataDir,
      issueCard: (persona, cardOptions = {}) =>
        jlis.issueCard(persona, cardOptions.facePhoto ? { facePhoto: cardOptions.facePhoto } : {}),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
