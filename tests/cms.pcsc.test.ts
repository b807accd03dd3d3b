import { MyNumberCard } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import { createCmsSignedData, verifyCmsSignedData } from '@mynakit/jpki';
import { createVirtualCard, getPersona, VirtualCardSlot } from '@mynakit/testkit';
import { expect, it } from 'vitest';
import { opensslCmsVerify } from './support/openssl-cms.js';

/** vpcd's second port ("Virtual PCD 00 01"): the first one belongs to the card contract tests. */
const PORT = 35964;

it('a CMS signed by the card through pcscd + vpcd verifies with ours and with openssl cms -verify', async () => {
  const persona = getPersona('taro');
  const slot = new VirtualCardSlot(await createVirtualCard({ persona: persona.id }), { port: PORT });
  const transport = new PcscTransport();
  try {
    await slot.insert();
    const card = await MyNumberCard.open(transport, slot.reader);
    try {
      await card.jpki.verifySignPassword(persona.pins.sign as string);
      const signer = card.jpki.signer('sign');
      const data = new TextEncoder().encode('契約書 v3: 署名用電子証明書で署名 (PC/SC)\n');
      const attached = await createCmsSignedData({ data, signer, hash: 'SHA-256' });
      const detached = await createCmsSignedData({ data, signer, hash: 'SHA-512', detached: true });
      const certificate = await signer.certificate();

      // openssl runs asynchronously, while the card is still in pcscd's reader.
      expect(await opensslCmsVerify(attached)).toEqual(data);
      expect(await opensslCmsVerify(detached, data)).toEqual(data);
      expect(await opensslCmsVerify(detached, new TextEncoder().encode('another contract'))).toBeNull();

      const result = await verifyCmsSignedData(attached);
      expect(result).toMatchObject({ contentDigestOk: true, content: data, hash: 'SHA-256' });
      expect(result.signerCertificate).toEqual(certificate);
      expect((await verifyCmsSignedData(detached, { detachedContent: data })).contentDigestOk).toBe(true);
    } finally {
      await card.close().catch(() => undefined);
    }
  } finally {
    try {
      await transport.close();
    } finally {
      await slot.remove();
    }
  }
});
