import { sha256Hex } from '@mynakit/jpki';
import { getPersona } from '@mynakit/testkit';
import { KioskClient, type KioskJob, PhoneClient, ServerClient } from '@mynakit/workflows/device';
import { withCardInReader } from '../card-session.js';
import type { DemoContext } from '../context.js';

/**
 * W3: the applicant applies on the phone (auth PIN checked by the card, challenge signed with the card's auth key),
 * takes the reception number to a kiosk; the kiosk prints only after the phone answers "print". The reception
 * number is never printed: it is the applicant's ticket.
 */
export async function issuanceWithReceptionNumber(ctx: DemoContext): Promise<void> {
  const label = 'W3';
  const { timeline, env } = ctx;
  const persona = getPersona('hikaru');
  const virtual = await env.issueCard(persona.id);
  timeline.step(label, `J-LIS issued a card to ${persona.id}`);
  const application = { certificateKind: 'resident-record', copies: 1 } as const;

  const { phone, receptionNumber } = await withCardInReader(virtual, ctx.port, async (card) => {
    timeline.step(label, `phone: card of ${persona.id} on NFC ("${card.reader}")`);
    const phone = new PhoneClient({
      card,
      server: new ServerClient({ baseUrl: env.url }),
      deviceId: 'demo-phone-1',
      pollWaitSeconds: 10,
    });
    const applied = await phone.apply({ authPin: persona.pins.auth, application });
    timeline.step(label, 'phone: auth PIN verified, challenge signed, application sent');
    return { phone, receptionNumber: applied.receptionNumber };
  });
  timeline.step(label, 'phone: reception number received', `${receptionNumber.length} digits, not shown`);

  let printed: KioskJob | undefined;
  const kiosk = new KioskClient({
    server: new ServerClient({ baseUrl: env.url, apiKey: env.apiKeys.kiosk }),
    printer: {
      print: async (job) => {
        printed = job;
      },
    },
    pollWaitSeconds: 10,
    timeoutMs: 60_000,
  });
  kiosk.on('progress', (progress) => timeline.step(label, `kiosk: ${progress.step}`));
  const phoneSide = (async () => {
    const request = await phone.waitForPrintRequest(receptionNumber, { timeoutMs: 60_000 });
    if (request === null) return { request, answer: null };
    timeline.step(
      label,
      'phone: print confirmation request',
      `${request.certificateKind} × ${request.copies} at ${request.kioskId}`,
    );
    const answer = await phone.answer(receptionNumber, 'print');
    timeline.step(label, 'phone: answered "print"', `case now ${answer}`);
    return { request, answer };
  })();
  const [kioskResult, phoneResult] = await Promise.all([kiosk.collect(receptionNumber), phoneSide]);

  timeline.expect(
    'w3.request',
    label,
    'print confirmation request reached the phone',
    true,
    phoneResult.request !== null,
  );
  timeline.expect('w3.answer', label, 'phone answer', 'printing', phoneResult.answer);
  timeline.expect('w3.kiosk', label, 'kiosk printout', 'printed', kioskResult.outcome);
  const isPdf =
    printed !== undefined && new TextDecoder().decode(printed.document.subarray(0, 5)) === '%PDF-';
  timeline.expect('w3.document', label, 'printed document is the issuance server’s PDF', true, isPdf);
  const again = await kiosk.collect(receptionNumber);
  timeline.expect('w3.single-use', label, 'the number presented again', 'not-available', again.outcome);

  ctx.report.w3 = {
    persona: persona.id,
    application: `${application.certificateKind} × ${application.copies}`,
    receptionNumberDigits: receptionNumber.length,
    phoneAnswer: phoneResult.answer ?? 'none',
    kioskOutcome: kioskResult.outcome,
    ...(printed !== undefined && {
      document: {
        mediaType: printed.mediaType ?? 'unknown',
        bytes: printed.document.length,
        sha256: await sha256Hex(printed.document),
        copies: printed.copies,
      },
    }),
  };
}
