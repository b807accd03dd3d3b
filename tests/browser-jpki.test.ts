import { fileURLToPath } from 'node:url';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import { createCmsSignedData } from '@mynakit/jpki';
import { createJpkiTestCas, createVirtualCard, getPersona } from '@mynakit/testkit';
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, launchChromium, servePage } from './support/browser.js';

describe('@mynakit/jpki in headless Chromium', () => {
  it('validates the chain, a card signature and a card CMS with the browser WebCrypto', async () => {
    const persona = getPersona('taro');
    const cas = await createJpkiTestCas();
    const transport = new MemoryTransport(['r']);
    transport.insert('r', await createVirtualCard({ persona: persona.id }));
    const card = await MyNumberCard.open(transport, 'r');
    await card.jpki.verifySignPassword(persona.pins.sign!);
    const data = new TextEncoder().encode('browser check');
    const signature = await card.jpki.sign('sign', data, 'SHA-256');
    const cms = await createCmsSignedData({ data, signer: card.jpki.signer('sign'), hash: 'SHA-256' });
    const input = {
      signCa: [...cas.sign.der],
      sign: [...(await card.jpki.readCertificate('sign'))],
      data: [...data],
      signature: [...signature],
      cms: [...cms],
    };
    await card.close();

    const bundle = await bundleForBrowser(fileURLToPath(new URL('./browser/jpki-entry.ts', import.meta.url)));
    expect(bundle).not.toMatch(/from ["']node:/);
    const page = await servePage('<!doctype html><script type="module" src="/jpki.js"></script>', {
      '/jpki.js': bundle,
    });
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(page.url);
      await tab.waitForFunction(() => typeof (globalThis as { runJpki?: unknown }).runJpki === 'function');
      const result = await tab.evaluate(
        (arg) => (globalThis as unknown as { runJpki: (i: unknown) => Promise<unknown> }).runJpki(arg),
        input,
      );
      expect(result).toMatchObject({
        name: persona.name,
        pkcs1: true,
        cmsDigest: true,
        wrongType: expect.any(String),
      });
      expect((result as { wrongType: string }).wrongType).not.toBe('');
    } finally {
      await browser.close();
      page.server.close();
    }
  });
});
