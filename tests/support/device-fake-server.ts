import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a fake route sees it (the body already parsed as JSON when there was one). */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/**
 * What a fake route answers: a JSON reply, `destroy` (the connection drops after the request was read: the client
 * cannot know whether it was processed) or `hang` (no answer at all, for timeouts).
 */
export type FakeReply =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  | 'destroy'
  | 'hang';

export interface FakeServer {
  readonly url: string;
  readonly requests: FakeRequest[];
  close(): Promise<void>;
}

/** A node:http server for the device-client tests: one handler for every route, requests recorded in order. */
export async function startFakeServer(
  handler: (request: FakeRequest) => FakeReply | Promise<FakeReply>,
): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake');
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: text === '' ? undefined : JSON.parse(text),
      };
      requests.push(request);
      let reply: FakeReply;
      try {
        reply = await handler(request);
      } catch (error) {
        reply = { status: 500, body: { error: { code: 'FAKE_FAILED', message: String(error) } } };
      }
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      if (reply === 'hang') return;
      res.statusCode = reply.status;
      res.setHeader('content-type', 'application/json');
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const jsonError = (status: number, code: string, extra: Record<string, unknown> = {}): FakeReply => ({
  status,
  body: { error: { code, message: `fake ${code}`, ...extra } },
});
