import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FacePool } from '@mynakit/face';
import { EkycVerifier, HttpLatestBasicFourPort } from '@mynakit/jpki';
import { HttpAdminServer } from '../adapters/admin-server-http.js';
import { FacePoolFaceCheck } from '../adapters/face-pool-check.js';
import { HttpJlisRenewal } from '../adapters/jlis-renewal-http.js';
import { JpkiCertificateCheck } from '../adapters/jpki-certificate-check.js';
import type { CertificateCheckPort, FaceCheckPort } from '../checks/ports.js';
import type { EffectHandler, EffectHandlers } from '../engine/runtime.js';
import { type AnyWorkflowDefinition, WorkflowRuntime } from '../engine/runtime.js';
import type { WorkflowStore } from '../engine/store.js';
import { HttpFailure } from '../http/json-http.js';
import { FilePhotoStore } from '../privacy/file-photo-store.js';
import type { PhotoStore } from '../privacy/photo-store.js';
import { createRedactingLogger, jsonLinesSink, type RedactingLogger } from '../privacy/redacting-logger.js';
import { Keyring } from '../privacy/sealed-box.js';
import type { RenewalPort } from '../w1/ports.js';
import type { AdminServerPort } from '../w2/ports.js';
import { w3EffectHandlers } from '../w3/effect-handlers.js';
import { createW3HttpHandler } from '../w3/http-handlers.js';
import { HttpIssuanceServer } from '../w3/http-issuance-server.js';
import { IssuanceService } from '../w3/issuance-service.js';
import { JpkiApplicantAuthenticator } from '../w3/jpki-authenticator.js';
import type { CertificateDocumentPort } from '../w3/ports.js';
import { certificateIssuanceWorkflow } from '../w3/w3-workflow.js';
import { EkycService } from '../w4/ekyc-service.js';
import { createW4HttpHandler } from '../w4/http-handlers.js';
import { ApiKeyAuthenticator } from './auth.js';
import { boothWorkflows, createBoothModule } from './booth.js';
import { MailboxChallengeStore } from './challenge-store.js';
import { describeConfig, parseServerConfig, type ServerConfig, type ServerConfigInput } from './config.js';
import { openServerDatabase, type ServerDatabase } from './database.js';
import { authenticate, type NodeHandler, pathOf, sendJson, sendJsonError } from './http.js';
import { jlisClients } from './jlis.js';
import { purgeExpired, type RetentionReport } from './retention.js';
import { sendReviewPage } from './review-route.js';
import { WorkerLoop } from './worker-loop.js';

/** Wraps every effect handler (tests inject faults or crashes here; production passes nothing). */
export type EffectHandlerWrapper = (type: string, handler: EffectHandler<unknown>) => EffectHandler<unknown>;

export interface ReferenceServerOptions {
  readonly clock?: () => Date;
  /** Default: JSON lines on stderr at the configured level, redacted. */
  readonly logger?: RedactingLogger;
  readonly wrapEffectHandler?: EffectHandlerWrapper;
  /** Replace the face check (default: `FacePoolFaceCheck` on a `FacePool` from `config.face`). */
  readonly faceCheck?: FaceCheckPort;
  /** Replace the certificate check (default: `JpkiCertificateCheck` against `config.jlis`). */
  readonly certificateCheck?: CertificateCheckPort;
  /** Replace J-LIS renewal (default: `HttpJlisRenewal` at `config.jlis.url`). */
  readonly renewal?: RenewalPort;
  /** Replace the administrative server (default: `HttpAdminServer` at `config.w2.adminServerUrl`). */
  readonly adminServer?: AdminServerPort;
  /** Replace the certificate issuance server of W3 (default: `HttpIssuanceServer` at `config.w3.issuanceServerUrl`). */
  readonly documents?: CertificateDocumentPort;
  /** Outbox/timer lease owner (default random). */
  readonly workerId?: string;
}

export interface ReferenceServer {
  /** `http://host:port/` */
  readonly url: string;
  readonly config: ServerConfig;
  readonly runtime: WorkflowRuntime;
  readonly store: WorkflowStore;
  readonly photos: PhotoStore;
  readonly database: ServerDatabase;
  /** Which workflows this process serves (those whose ports are configured). */
  readonly enabled: {
    readonly w1: boolean;
    readonly w2: boolean;
    readonly w3: boolean;
    readonly w4: boolean;
  };
  /** Runs the retention purge now (it also runs every `retention.intervalMs`). */
  purge(now?: Date): Promise<RetentionReport>;
  /** Stops accepting requests, finishes the worker round in progress, closes the database. */
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The reference server: every workflow, its HTTP routes and API-key auth in one `node:http` server, a worker loop
 * for the outbox and timers, and the retention purge. All state is in the database and the photo directory, so
 * several processes on one PostgreSQL (with a shared `dataDir`) serve the same cases.
 */
export async function createReferenceServer(
  configInput: ServerConfigInput | ServerConfig,
  options: ReferenceServerOptions = {},
): Promise<ReferenceServer> {
  const config = parseServerConfig(configInput);
  const clock = options.clock ?? (() => new Date());
  const logger =
    options.logger ??
    createRedactingLogger(
      jsonLinesSink((line) => process.stderr.write(line)),
      { level: config.log.level, clock },
    );
  const keyring = await Keyring.fromConfig(config.keyring);
  const pepper = new Uint8Array(Buffer.from(config.pepper, 'base64'));
  const auth = new ApiKeyAuthenticator(config.apiKeys, config.tls?.clientCertificates ?? []);
  const cleanup: (() => Promise<void>)[] = [];
  const onError = (error: unknown) => logger.error('request failed', { err: error });

  try {
    const database = await openServerDatabase(config.db, { keyring, postgresSchema: config.postgresSchema });
    cleanup.unshift(() => database.close());
    const photos = new FilePhotoStore({ dir: join(config.dataDir, 'photos'), keyring, clock });

    const jlis = config.jlis === undefined ? undefined : await jlisClients(config.jlis, clock);
    const certificateCheck =
      options.certificateCheck ??
      (jlis === undefined
        ? undefined
        : new JpkiCertificateCheck({
            trustStore: jlis.trustStore,
            revocation: jlis.revocation,
            allowTestHierarchy: jlis.allowTestHierarchy,
            clock,
          }));
    let faceCheck = options.faceCheck;
    if (faceCheck === undefined && config.face !== undefined) {
      const pool = await FacePool.create({ size: config.face.poolSize });
      cleanup.unshift(() => pool.close());
      faceCheck = new FacePoolFaceCheck({ analyzer: pool, policy: config.face.policy, clock });
    }
    const renewal =
      options.renewal ?? (jlis === undefined ? undefined : new HttpJlisRenewal({ url: jlis.renewalUrl }));
    const adminServer =
      options.adminServer ??
      (config.w2.adminServerUrl === undefined
        ? undefined
        : new HttpAdminServer({ url: config.w2.adminServerUrl }));

    const documents =
      options.documents ??
      (config.w3.issuanceServerUrl === undefined
        ? undefined
        : new HttpIssuanceServer({ url: config.w3.issuanceServerUrl }));
    // A workflow is served when its ports are there; the runtime must know every served workflow up front.
    const boothPorts =
      certificateCheck !== undefined && faceCheck !== undefined ? { certificateCheck, faceCheck } : undefined;
    const w3Enabled = jlis !== undefined && documents !== undefined;
    const workflows: AnyWorkflowDefinition[] = [
      ...(boothPorts === undefined ? [] : boothWorkflows),
      ...(w3Enabled ? [certificateIssuanceWorkflow as unknown as AnyWorkflowDefinition] : []),
    ];
    const runtime = new WorkflowRuntime({
      store: database.store,
      workflows,
      clock,
      leaseMs: config.worker.leaseMs,
      ...(options.workerId !== undefined && { workerId: options.workerId }),
    });
    const handlers: Record<string, EffectHandler<unknown>> = {};
    const addHandlers = (more: Readonly<Record<string, unknown>>) => {
      for (const [type, handler] of Object.entries(more)) {
        if (handler === undefined) continue;
        const typed = handler as EffectHandler<unknown>;
        handlers[type] = options.wrapEffectHandler?.(type, typed) ?? typed;
      }
    };

    // W1/W2 at the booth and the municipality review.
    const booth =
      boothPorts === undefined
        ? undefined
        : createBoothModule({
            runtime,
            photos,
            keyring,
            pepper,
            history: database.history,
            ...boothPorts,
            renewal,
            adminServer,
            w2Mode: config.w2.mode,
            maxHistoryPhotos: config.face?.historyLimit ?? 5,
            reviewTimeoutMs: config.review.deadlineMs,
            boothTimeoutMs: config.w1.boothDeadlineMs,
            clock,
            onError,
          });
    if (booth !== undefined) addHandlers(booth.effectHandlers);

    // W3 (phones without keys, kiosks with keys).
    let w3: NodeHandler | undefined;
    if (w3Enabled) {
      const verifier = new EkycVerifier({
        trustStore: jlis.trustStore,
        revocation: jlis.applicantRevocation,
        allowTestHierarchy: jlis.allowTestHierarchy,
        challenges: new MailboxChallengeStore(database.challenges, 'w3', clock),
        clock,
      });
      const service = new IssuanceService({
        runtime,
        authenticator: new JpkiApplicantAuthenticator(verifier, clock),
        mailbox: database.mailbox,
        keyring,
        clock,
        expiryMs: config.w3.expiryMs,
        confirmTimeoutMs: config.w3.confirmTimeoutMs,
        rateLimiter: await database.rateLimiter(config.w3.kioskRateLimit, () => clock().getTime()),
        pepper,
      });
      addHandlers(w3EffectHandlers({ documents, mailbox: database.mailbox, keyring, clock }));
      const handler = createW3HttpHandler(service, { onError });
      w3 = (req, res) => {
        // Kiosks authenticate with a key; phones carry none (W3.1 card authentication authorizes them).
        if (pathOf(req).startsWith('/w3/kiosk/')) {
          const actor = authenticate(auth, req, res, ['kiosk']);
          if (actor !== null) handler(req, res, actor);
        } else handler(req, res);
      };
    }

    // W4 eKYC (role ekyc).
    let w4: NodeHandler | undefined;
    if (jlis !== undefined && config.w4 !== undefined) {
      const service = new EkycService({
        verifier: new EkycVerifier({
          trustStore: jlis.trustStore,
          revocation: jlis.revocation,
          allowTestHierarchy: jlis.allowTestHierarchy,
          challenges: new MailboxChallengeStore(database.challenges, 'w4', clock),
          clock,
        }),
        accounts: database.accounts,
        evidence: database.evidence,
        latestBasicFour: new HttpLatestBasicFourPort(jlis.latestBasicFourUrl),
        verifierId: config.w4.verifierId,
        // W4.5 selfie against the card photo, with the booth's face check; W4.6 only when explicitly enabled.
        ...(faceCheck !== undefined && { faceCheck }),
        ...(config.w4.collectMyNumber && { myNumberVault: database.myNumbers }),
        clock,
      });
      const handler = createW4HttpHandler(service, { onError });
      w4 = (req, res) => {
        if (authenticate(auth, req, res, ['ekyc']) !== null) handler(req, res);
      };
    }

    const worker = new WorkerLoop({
      runtime,
      handlers: handlers as EffectHandlers,
      intervalMs: config.worker.intervalMs,
      concurrency: config.worker.concurrency,
      onError: (message, fields) => logger.warn(message, fields),
    });

    const route = (req: IncomingMessage, res: ServerResponse): void => {
      const path = pathOf(req);
      if (path === '/healthz') {
        sendJson(res, 200, { status: 'ok' });
        return;
      }
      if (path === '/favicon.ico') {
        // Browsers ask for it on the review page; no icon, and no 404 in the reviewer's console.
        res.statusCode = 204;
        res.end('');
        return;
      }
      if (path === '/review' || path === '/review/') {
        if (req.method !== 'GET') {
          sendJsonError(res, 405, 'METHOD_NOT_ALLOWED', 'use GET', {}, { allow: 'GET' });
          return;
        }
        if (path === '/review') {
          res.statusCode = 308;
          res.setHeader('location', '/review/');
          res.end('');
          return;
        }
        sendReviewPage(res);
        return;
      }
      if (path.startsWith('/review/api/')) {
        const actor = authenticate(auth, req, res, ['municipality']);
        if (actor === null) return;
        if (booth === undefined) {
          sendJsonError(res, 404, 'NOT_FOUND', 'review is not enabled on this server');
          return;
        }
        booth.review(req, res, actor);
        return;
      }
      if (path.startsWith('/w1/') || path.startsWith('/w2/')) {
        const actor = authenticate(auth, req, res, ['booth']);
        if (actor === null) return;
        if (booth === undefined) {
          sendJsonError(res, 404, 'NOT_FOUND', 'booth workflows are not enabled on this server');
          return;
        }
        booth.handle(req, res, actor);
        return;
      }
      if (path.startsWith('/w3/') && w3 !== undefined) {
        w3(req, res);
        return;
      }
      if (path.startsWith('/w4/') && w4 !== undefined) {
        w4(req, res);
        return;
      }
      sendJsonError(res, 404, 'NOT_FOUND', 'no such route');
    };

    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      const started = performance.now();
      res.setHeader('x-content-type-options', 'nosniff');
      res.on('finish', () => {
        // A write may have queued effects: run them now instead of at the next poll.
        if (req.method !== 'GET' && res.statusCode < 400) worker.poke();
        logger.info('request', {
          method: req.method,
          path: pathOf(req),
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        });
      });
      try {
        route(req, res);
      } catch (error) {
        if (error instanceof HttpFailure) sendJsonError(res, error.status, error.code, error.message);
        else {
          onError(error);
          if (!res.headersSent) sendJsonError(res, 500, 'INTERNAL', 'internal error');
        }
      }
    };
    const server: Server =
      config.tls === undefined
        ? createServer(handle)
        : createHttpsServer(
            {
              cert: await readFile(config.tls.cert),
              key: await readFile(config.tls.key),
              ...(config.tls.clientCa !== undefined && {
                ca: await Promise.all(config.tls.clientCa.map((file) => readFile(file))),
                // Ask for a certificate but let key-only clients in: the route decides (401 without either).
                requestCert: true,
                rejectUnauthorized: false,
              }),
            },
            handle,
          );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `${config.tls === undefined ? 'http' : 'https'}://${host}:${address.port}/`;

    worker.start();
    const purge = (now = clock()) =>
      purgeExpired(
        {
          runtime,
          photos,
          history: database.history,
          mailbox: database.mailbox,
          evidence: database.evidence,
        },
        new Date(now.getTime() - config.retention.days * DAY_MS),
        now,
      );
    let purging: Promise<unknown> = Promise.resolve();
    const retentionTimer = setInterval(() => {
      purging = purge()
        .then((report) => logger.info('retention purge', { ...report }))
        .catch((error: unknown) => logger.error('retention purge failed', { err: error }));
    }, config.retention.intervalMs);
    retentionTimer.unref();

    const enabled = {
      w1: booth !== undefined,
      w2: booth !== undefined,
      w3: w3 !== undefined,
      w4: w4 !== undefined,
    };
    logger.info('reference server listening', { url, enabled, config: describeConfig(config) });

    let closing: Promise<void> | undefined;
    return {
      url,
      config,
      runtime,
      store: database.store,
      photos,
      database,
      enabled,
      purge,
      close: () => {
        closing ??= (async () => {
          clearInterval(retentionTimer);
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeIdleConnections();
          // Long-polls end early: their callers retry against another process or after the restart.
          const force = setTimeout(() => server.closeAllConnections(), 2000);
          await closed;
          clearTimeout(force);
          await worker.stop();
          await purging;
          for (const step of cleanup) await step();
        })();
        return closing;
      },
    };
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw error;
  }
}
