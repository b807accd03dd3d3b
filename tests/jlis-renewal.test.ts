import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import { parseJpkiCertificate } from '@mynakit/jpki';
import { getPersona, MockJlis, startJlisServer, updateScriptFromJson } from '@mynakit/testkit';
import { describe, expect, it } from 'vitest';

const persona = getPersona('taro');

describe('MockJlis renewal (W1.4, W1.8)', () => {
  it('renews through the relayed script; only the confirmed activation revokes the old certificates as superseded', async () => {
    const jlis = await MockJlis.create();
    const transport = new MemoryTransport(['booth']);
    transport.insert('booth', await jlis.issueCard(persona.id));
    const card = await MyNumberCard.open(transport, 'booth');
    await card.jpki.verifySignPassword(persona.pins.sign!);
    const current = {
      auth: await card.jpki.readCertificate('auth'),
      sign: await card.jpki.readCertificate('sign'),
    };
    const oldSign = jlis.holder(persona.id).signSerial!;

    const renewal = await jlis.renew(persona.id, current);
    expect(jlis.registries.for(jlis.cas.sign).isRevoked(oldSign)).toBe(false);
    const answers = await card.relayUpdateScript(renewal.script);
    expect(jlis.confirmRenewal(renewal.script.scriptId, answers)).toMatchObject({ activated: true });

    expect(jlis.registries.for(jlis.cas.sign).lookup(oldSign)?.reason).toBe('superseded');
    const newAuth = parseJpkiCertificate(await card.jpki.readCertificate('auth'));
    expect(jlis.holder(persona.id).authSerial).toBe(newAuth.serialNumber.toLowerCase());
    expect(jlis.holder(persona.id).signHistory.at(-1)).toMatchObject({
      oldSerial: oldSign,
      reason: 'superseded',
    });
    // A second renewal gets a higher script counter, so the card accepts it.
    const again = await jlis.renew(persona.id, { auth: await card.jpki.readCertificate('auth'), sign: null });
    expect(again.script.counter).toBe(renewal.script.counter + 1);
    await card.close();
  });

  it('does not revoke anything on answers that are not an authentic activation', async () => {
    const jlis = await MockJlis.create();
    const virtual = await jlis.issueCard(persona.id);
    const transport = new MemoryTransport(['booth']);
    transport.insert('booth', virtual);
    const card = await MyNumberCard.open(transport, 'booth');
    const renewal = await jlis.renew(persona.id, {
      auth: await card.jpki.readCertificate('auth'),
      sign: null,
    });
    const fake = renewal.script.commands.map(() => ({ sw: 0x9000, data: new Uint8Array(0) }));
    expect(jlis.confirmRenewal(renewal.script.scriptId, fake)).toMatchObject({ activated: false });
    expect(jlis.registries.for(jlis.cas.auth).isRevoked(jlis.holder(persona.id).authSerial)).toBe(false);
    await card.close();
  });

  it('works over HTTP: POST /renewal gives the script, POST /renewal/confirm reports the answers', async () => {
    const jlis = await MockJlis.create();
    const server = await startJlisServer(jlis);
    const transport = new MemoryTransport(['booth']);
    transport.insert('booth', await jlis.issueCard('hanako'));
    const card = await MyNumberCard.open(transport, 'booth');
    try {
      const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
      const response = await fetch(`${server.url}renewal`, {
        method: 'POST',
        body: JSON.stringify({
          persona: 'hanako',
          current: { auth: b64(await card.jpki.readCertificate('auth')), sign: null },
        }),
      });
      expect(response.status).toBe(200);
      const script = updateScriptFromJson(await response.json());
      const answers = await card.relayUpdateScript(script);
      const confirm = await fetch(`${server.url}renewal/confirm`, {
        method: 'POST',
        body: JSON.stringify({
          scriptId: script.scriptId,
          answers: answers.map((a) => ({ sw: a.sw, data: b64(a.data) })),
        }),
      });
      expect(await confirm.json()).toMatchObject({ activated: true });
    } finally {
      await card.close();
      await server.close();
    }
  });
});
