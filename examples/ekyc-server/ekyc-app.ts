import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EkycVerifier,
  HttpLatestBasicFourPort,
  type JpkiCertificate,
  RevocationChecker,
  type SignedResponse,
  TrustStore,
} from '@mynakit/jpki';
import {
  createW4HttpHandler,
  EkycService,
  type EkycServiceOptions,
  type IdentityOutcome,
  Keyring,
  type KeyringConfig,
} from '@mynakit/workflows';
import {
  SqliteAccountBindingStore,
  SqliteEvidenceStore,
  SqliteWorkflowStore,
} from '@mynakit/workflows/sqlite';
import { BearerTokenAuth } from './auth.js';
import { CustomerDirectory } from './customer-directory.js';
import { type RecheckLog, RecheckSchedule } from './recheck-schedule.js';

export interface JlisEndpoints {
  /** J-LIS root certificates (DER), per certificate type. */
  readonly trustAnchors: { readonly sign: readonly Uint8Array[]; readonly auth: readonly Uint8Array[] };
  readonly ocspUrl: string;
  /** CRLs, the fallback when OCSP does not answer. */
  readonly crlUrls: { readonly sign: string; readonly auth: string };
  /** The latest-basic-four service (新4情報) through your platform operator; optional. */
  readonly latestBasicFourUrl?: string;
  /** Accept the testkit's CA hierarchy (the mock J-LIS). Never in production. */
  readonly allowTestHierarchy?: boolean;
}

export interface EkycAppConfig {
  /** The SQLite file for account bindings, sealed evidence and the customer list. */
  readonly databaseFile: string;
  /** Keys that seal the evidence at rest (its certificate carries the basic four). */
  readonly keyring: KeyringConfig;
  /** The token your application backend sends as `Authorization: Bearer …`. */
  readonly apiToken: string;
  /** Your id at J-LIS (the holder's consent for 新4情報 names it). */
  readonly verifierId: string;
  readonly jlis: JlisEndpoints;
  readonly host?: string;
  readonly port?: number;
  readonly log?: RecheckLog;
  readonly clock?: () => Date;
}

export interface EkycApp {
  readonly url: string;
  readonly server: Server;
  readonly service: EkycService;
  readonly schedule: RecheckSchedule;
  close(): Promise<void>;
}

/** EkycService that also adds every verified customer to the directory the scheduled re-checks walk through. */
class DirectoryEkycService extends EkycService {
  constructor(
    options: EkycServiceOptions,
    private readonly customers: CustomerDirectory,
    private readonly clock: () => Date,
  ) {
    super(options);
  }

  override async verifyIdentity(
    response: SignedResponse,
    options: { customerId: string },
  ): Promise<IdentityOutcome> {
    const outcome = await super.verifyIdentity(response, options);
    this.customers.set(outcome.customerId, 'verified', this.clock());
    return outcome;
  }
}

function revocationChecker(
  jlis: JlisEndpoints,
  trustStore: TrustStore,
  clock: () => Date,
): RevocationChecker {
  // A card certificate's issuer is one of the roots; its type picks the CRL.
  const typeOf = (issuer: JpkiCertificate) =>
    trustStore.roots('sign').some((anchor) => anchor.certificate.subject === issuer.subject)
      ? 'sign'
      : 'auth';
  // Fail closed (the default): when neither OCSP nor the CRL answers, a check throws rather than passes.
  return new RevocationChecker({
    trustStore,
    ocsp: { url: jlis.ocspUrl },
    crl: { url: (issuer) => jlis.crlUrls[typeOf(issuer)] },
    clock,
  });
}

/**
 * An eKYC provider's server: mynakit's W4 HTTP handler (login, identity verification, 現況確認, 新4情報) behind this
 * server's own authentication, on durable SQLite stores, with the scheduled re-check ready to start.
 */
export async function startEkycApp(config: EkycAppConfig): Promise<EkycApp> {
  const clock = config.clock ?? (() => new Date());
  const log = config.log ?? { info: console.log, warn: console.warn };
  const auth = new BearerTokenAuth(config.apiToken);

  const trustStore = new TrustStore();
  for (const der of config.jlis.trustAnchors.sign) await trustStore.addRoot('sign', der);
  for (const der of config.jlis.trustAnchors.auth) await trustStore.addRoot('auth', der);

  // One SQLite file for everything: the W4 stores are built on the workflow store's database.
  const store = await SqliteWorkflowStore.open(config.databaseFile);
  const keyring = await Keyring.fromConfig(config.keyring);
  const accounts = new SqliteAccountBindingStore(store.database);
  await accounts.migrate();
  const evidence = new SqliteEvidenceStore(store.database, { keyring });
  await evidence.migrate();
  const customers = new CustomerDirectory(store.database);

  const service = new DirectoryEkycService(
    {
      // Challenges live in this process's memory: run one process, or give the verifier a shared ChallengeStore.
      verifier: new EkycVerifier({
        trustStore,
        revocation: revocationChecker(config.jlis, trustStore, clock),
        ...(config.jlis.allowTestHierarchy === true && { allowTestHierarchy: true }),
        clock,
      }),
      accounts,
      evidence,
      ...(config.jlis.latestBasicFourUrl !== undefined && {
        latestBasicFour: new HttpLatestBasicFourPort(config.jlis.latestBasicFourUrl),
      }),
      verifierId: config.verifierId,
      clock,
    },
    customers,
    clock,
  );
  const w4 = createW4HttpHandler(service, {
    onError: (error) => log.warn(`w4: unexpected ${(error as Error).name ?? 'error'}`),
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (!path.startsWith('/w4/'))
      return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
    if (!auth.allows(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      return json(res, 401, {
        error: { code: 'UNAUTHENTICATED', message: 'a valid bearer token is required' },
      });
    }
    w4(req, res);
  });
  await new Promise<void>((resolve) => server.listen(config.port ?? 0, config.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  const schedule = new RecheckSchedule(service, customers, log, clock);

  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/`,
    server,
    service,
    schedule,
    close: async () => {
      await schedule.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
