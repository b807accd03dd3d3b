import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

// Shared plumbing of the mock partner servers: listen on 127.0.0.1, bounded JSON bodies, idempotency keys.

export interface MockServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  close(): Promise<void>;
}

export const idempotencyKeySchema = z.string().min(1).max(200);

/** A request failure with its HTTP status; the message goes to the client. */
export class MockHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'MockHttpError';
  }
}

export type MockHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

export async function listenMock(handler: MockHandler, port = 0): Promise<{ server: Server } & MockServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    handler(req, res, path).catch((error: unknown) => {
      if (error instanceof MockHttpError) sendJson(res, error.status, { error: error.message });
      else sendJson(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${bound}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Reads and validates a JSON body; 413 beyond `maxBytes`, 400 for bad JSON or a schema failure. */
export async function readJsonBody<T extends z.ZodType>(
  req: IncomingMessage,
  schema: T,
  maxBytes: number,
): Promise<z.output<T>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new MockHttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new MockHttpError(400, 'body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new MockHttpError(400, z.prettifyError(parsed.error));
  return parsed.data;
}

/** The `Idempotency-Key` header, else the body's `idempotencyKey`; 400 when neither is there. */
export function idempotencyKeyOf(req: IncomingMessage, bodyKey: string | undefined): string {
  const header = idempotencyKeySchema.safeParse(req.headers['idempotency-key']);
  const key = header.success ? header.data : bodyKey;
  if (key === undefined) throw new MockHttpError(400, 'an Idempotency-Key header is required');
  return key;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
