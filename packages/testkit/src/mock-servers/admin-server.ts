import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import {
  idempotencyKeyOf,
  idempotencyKeySchema,
  listenMock,
  MockHttpError,
  type MockServer,
  readJsonBody,
  sendJson,
} from './http.js';

/*
 * A mock 行政サーバ (administrative server, W2.3): it registers a face photo with its capture date-time under a
 * pseudonymous person key, once per idempotency key. Photos stay in memory; tests read them back.
 */

const registerRequestSchema = z.strictObject({
  personKey: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/),
  photo: z
    .base64()
    .min(4)
    .max(8 * 1024 * 1024),
  mediaType: z.enum(['image/jpeg', 'image/png']),
  capturedAt: z.iso.datetime({ offset: true }),
  idempotencyKey: idempotencyKeySchema.optional(),
});

const failNextSchema = z.strictObject({
  count: z.number().int().min(0).max(1000),
  status: z.number().int().min(400).max(599).default(503),
  after: z.boolean().default(false),
});

export interface MockAdminRegistration {
  readonly registrationId: string;
  readonly personKey: string;
  readonly mediaType: 'image/jpeg' | 'image/png';
  readonly capturedAt: string;
  readonly idempotencyKey: string;
  /** Hex SHA-256 of the photo bytes (the list never carries the photo itself). */
  readonly photoSha256: string;
  readonly photoBytes: number;
  readonly registeredAt: string;
}

export interface MockAdminServer extends MockServer {
  /** `POST` `{ personKey, photo (base64), mediaType, capturedAt, idempotencyKey? }` with an `Idempotency-Key` header. */
  readonly registerUrl: string;
  /** Distinct registrations, oldest first (a replayed key is not a new one). */
  registrations(): MockAdminRegistration[];
  /** The photos registered for a person key, oldest first. */
  photosOf(personKey: string): { readonly registrationId: string; readonly photo: Uint8Array }[];
  /** Every request the register endpoint received, failed and replayed ones included. */
  readonly requests: number;
  /**
   * Fails the next `count` register requests with `status` (default 503). With `after`, the photo is registered
   * first and only the answer fails, as when a response is lost: the retry must not register it twice.
   */
  failNext(count: number, options?: { status?: number; after?: boolean }): void;
}

export interface MockAdminServerOptions {
  port?: number;
  clock?: () => Date;
}

/**
 * Starts the mock administrative server on 127.0.0.1: `POST /photos` registers (201, or 200 with the first answer for
 * a replayed key; 409 for a key re-used with another photo), `GET /control/registrations` lists them,
 * `POST /control/fail-next` `{ count, status?, after? }` injects failures.
 */
export async function startMockAdminServer(options: MockAdminServerOptions = {}): Promise<MockAdminServer> {
  const now = () => options.clock?.() ?? new Date();
  const byKey = new Map<string, MockAdminRegistration>();
  const photos = new Map<string, { registrationId: string; photo: Uint8Array }[]>();
  let failures = { remaining: 0, status: 503, after: false };
  let requests = 0;

  const failNext = (count: number, o: { status?: number; after?: boolean } = {}) => {
    const parsed = failNextSchema.parse({ count, ...o });
    failures = { remaining: parsed.count, status: parsed.status, after: parsed.after };
  };

  const register = async (req: IncomingMessage) => {
    requests += 1;
    const injected = failures.remaining > 0 ? { ...failures } : null;
    if (injected) failures.remaining -= 1;
    if (injected && !injected.after) throw new MockHttpError(injected.status, 'injected failure');
    const body = await readJsonBody(req, registerRequestSchema, 12 * 1024 * 1024);
    const key = idempotencyKeyOf(req, body.idempotencyKey);
    const photo = new Uint8Array(Buffer.from(body.photo, 'base64'));
    const photoSha256 = createHash('sha256').update(photo).digest('hex');
    const earlier = byKey.get(key);
    if (earlier) {
      if (earlier.photoSha256 !== photoSha256 || earlier.personKey !== body.personKey)
        throw new MockHttpError(409, 'the idempotency key was used for another registration');
    } else {
      const registration: MockAdminRegistration = {
        registrationId: `reg-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`,
        personKey: body.personKey,
        mediaType: body.mediaType,
        capturedAt: body.capturedAt,
        idempotencyKey: key,
        photoSha256,
        photoBytes: photo.length,
        registeredAt: now().toISOString(),
      };
      byKey.set(key, registration);
      const list = photos.get(body.personKey) ?? [];
      list.push({ registrationId: registration.registrationId, photo });
      photos.set(body.personKey, list);
    }
    if (injected) throw new MockHttpError(injected.status, 'injected failure after registering');
    const registration = byKey.get(key) as MockAdminRegistration;
    return { status: earlier ? 200 : 201, registrationId: registration.registrationId };
  };

  const base = await listenMock(async (req, res, path) => {
    if (path === '/photos' && req.method === 'POST') {
      const { status, registrationId } = await register(req);
      return sendJson(res, status, { registrationId });
    }
    if (path === '/control/registrations' && req.method === 'GET')
      return sendJson(res, 200, { registrations: [...byKey.values()] });
    if (path === '/control/fail-next' && req.method === 'POST') {
      const body = await readJsonBody(req, failNextSchema, 1024);
      failNext(body.count, body);
      return sendJson(res, 200, { ok: true });
    }
    throw new MockHttpError(404, 'not found');
  }, options.port);

  return {
    url: base.url,
    registerUrl: `${base.url}photos`,
    close: base.close,
    registrations: () => [...byKey.values()],
    photosOf: (personKey) => [...(photos.get(personKey) ?? [])],
    get requests() {
      return requests;
    },
    failNext,
  };
}
