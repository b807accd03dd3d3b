import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import { parseJpkiCertificate } from '@mynakit/jpki';
import { type JlisServer, MockJlis, startJlisServer, updateScriptFromJson } from '@mynakit/testkit';
import { type CardCertificates, HttpJlisRenewal } from '@mynakit/workflows';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** HttpJlisRenewal against the mock J-LIS over HTTP, with a virtual card relaying the script (W1.4, W1.8). */
describe('HttpJlisRenewal (mock J-LIS over HTTP)', () => {
  let jlis: MockJlis;
  let server: JlisServer;
  let card: MyNumberCard;
  let current: CardCertificates;
  let renewal: HttpJlisRenewal;

  beforeEach(async () => {
    jlis = await MockJlis.create();
    server = await startJlisServer(jlis);
    const transport = new MemoryTransport(['booth']);
    const virtual = await jlis.issueCard('hanako');
    transport.insert('booth', virtual);
    card = await MyNumberCard.open(transport, 'booth');
    // What a booth reads (the signing certificate needs its password on a real card: the virtual one knows it).
    current = virtual.certificates;
    renewal = new HttpJlisRenewal({ url: server.url });
  });

  afterEach(async () => {
    await card.close();
    await server.close();
  });

  it('renews once per idempotency key: a retry gets the same script', async () => {
    const first = await renewal.requestRenewal({ certificates: current, idempotencyKey: 'case-1:renewal' });
    const retry = await renewal.requestRenewal({ certificates: current, idempotencyKey: 'case-1:renewal' });
    expect(retry).toEqual(first);
    expect(first.targets).toEqual(['auth', 'sign']);
    expect(jlis.renewalRequests).toBe(1);
    const stats = await (await fetch(`${server.url}control/stats`)).json();
    expect(stats).toEqual({ renewalRequests: 1, renewalConfirmations: 0 });

    const other = await renewal.requestRenewal({ certificates: current, idempotencyKey: 'case-2:renewal' });
    expect(other.scriptId).not.toBe(first.scriptId);
    expect(other.counter).toBe(first.counter + 1);
    expect(jlis.renewalRequests).toBe(2);
  });

  it('activates with the card answers; J-LIS revokes the old certificates once, a repeated confirm answers the same', async () => {
    const old = { auth: jlis.holder('hanako').authSerial, sign: jlis.holder('hanako').signSerial };
    const script = await renewal.requestRenewal({ certificates: current, idempotencyKey: 'case-3:renewal' });
    const relayed = await card.relayUpdateScript(updateScriptFromJson(script));
    const answers = relayed.map((a) => ({ sw: a.sw, data: b64(a.data) }));

    const confirm = { scriptId: script.scriptId, answers, idempotencyKey: 'case-3:confirm' };
    const confirmed = await renewal.confirmRenewal(confirm);
    expect(confirmed).toEqual({ activated: true, revoked: [old.auth, old.sign] });
    expect(await renewal.confirmRenewal(confirm)).toEqual(confirmed);
    expect(jlis.renewalConfirmations).toBe(1);

    expect(jlis.registries.for(jlis.cas.auth).lookup(old.auth)?.reason).toBe('superseded');
    expect(jlis.registries.for(jlis.cas.sign).lookup(old.sign ?? '')?.reason).toBe('superseded');
    const onCard = parseJpkiCertificate(await card.jpki.readCertificate('auth'));
    expect(onCard.serialNumber.toLowerCase()).toBe(jlis.holder('hanako').authSerial);
    expect(jlis.holder('hanako').authSerial).not.toBe(old.auth);
  });

  it('reports an inauthentic activation as not activated, revoking nothing', async () => {
    const script = await renewal.requestRenewal({ certificates: current, idempotencyKey: 'case-4:renewal' });
    const fake = script.commands.map(() => ({ sw: 0x9000, data: '' }));
    const answer = await renewal.confirmRenewal({
      scriptId: script.scriptId,
      answers: fake,
      idempotencyKey: 'case-4:confirm',
    });
    expect(answer).toEqual({ activated: false, reason: 'receipt-invalid' });
    expect(jlis.registries.for(jlis.cas.auth).isRevoked(jlis.holder('hanako').authSerial)).toBe(false);
  });

  it('throws typed errors: unknown card or re-used key rejected, J-LIS down unavailable', async () => {
    const stranger = await (await MockJlis.create()).issueCard('taro');
    await expect(
      renewal.requestRenewal({ certificates: stranger.certificates, idempotencyKey: 'case-5:renewal' }),
    ).rejects.toMatchObject({ name: 'AdapterError', code: 'REMOTE_REJECTED', details: { status: 404 } });
    await renewal.requestRenewal({ certificates: current, idempotencyKey: 'case-5:renewal' });
    const sakura = await jlis.issueCard('sakura');
    await expect(
      renewal.requestRenewal({ certificates: sakura.certificates, idempotencyKey: 'case-5:renewal' }),
    ).rejects.toMatchObject({ code: 'REMOTE_REJECTED', details: { status: 409 } });

    await server.close();
    await expect(
      renewal.requestRenewal({ certificates: current, idempotencyKey: 'case-6:renewal' }),
    ).rejects.toMatchObject({ code: 'REMOTE_UNAVAILABLE' });
    server = await startJlisServer(jlis);
  });

  it('throws on an answer of the wrong shape and on a remote that does not answer in time', async () => {
    const hung: Server[] = [];
    const listen = async (handler: Parameters<typeof createServer>[1]) => {
      const s = createServer(handler);
      hung.push(s);
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
    };
    try {
      const wrongShape = await listen((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ format: 'something-else' }));
      });
      await expect(
        new HttpJlisRenewal({ url: wrongShape }).requestRenewal({
          certificates: current,
          idempotencyKey: 'k',
        }),
      ).rejects.toMatchObject({ code: 'REMOTE_INVALID_RESPONSE' });

      const silent = await listen(() => undefined);
      await expect(
        new HttpJlisRenewal({ url: silent, timeoutMs: 100 }).requestRenewal({
          certificates: current,
          idempotencyKey: 'k',
        }),
      ).rejects.toMatchObject({ code: 'REMOTE_TIMEOUT' });
    } finally {
      for (const s of hung) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    }
  });
});
