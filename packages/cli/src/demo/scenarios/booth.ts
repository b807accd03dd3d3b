import type { MyNumberCard } from '@mynakit/card';
import { collationNumberB, getPersona, type VirtualMyNumberCard } from '@mynakit/testkit';
import { BoothClient, type BoothResult, FileCamera, ServerClient } from '@mynakit/workflows/device';
import { type CertificateSummary, summarizeCertificate } from '../../certificate-summary.js';
import { withCardInReader } from '../card-session.js';
import type { DemoContext } from '../context.js';
import type { DemoFace } from '../photos.js';
import type { ReportBoothCase } from '../report-model.js';

export interface BoothRun {
  readonly result: BoothResult;
  readonly authBefore: CertificateSummary;
  readonly authAfter: CertificateSummary;
}

/**
 * One booth session on pcscd: insert the card, read it, take the (file) photo, submit, follow the case to its end
 * (relaying J-LIS's update script for a renewal). `onHeld` runs when the case is held, while the booth keeps waiting.
 */
export async function boothSession(
  ctx: DemoContext,
  options: {
    readonly workflow: 'W1' | 'W2';
    readonly label: string;
    readonly personaId: string;
    readonly virtual: VirtualMyNumberCard;
    readonly live: Uint8Array;
    readonly onHeld?: (caseId: string) => Promise<void>;
  },
): Promise<BoothRun> {
  const persona = getPersona(options.personaId);
  const { timeline } = ctx;
  return withCardInReader(options.virtual, ctx.port, async (card: MyNumberCard) => {
    timeline.step(options.label, `card of ${persona.id} inserted into "${card.reader}"`);
    const authBefore = summarizeCertificate(await card.jpki.readCertificate('auth'));
    const booth = new BoothClient({
      card,
      camera: new FileCamera([options.live]),
      server: new ServerClient({ baseUrl: ctx.env.url, apiKey: ctx.env.apiKeys.booth }),
      maxWaitMs: 90_000,
    });
    // A failing reviewer stops the booth's wait instead of leaving it to time out.
    const abort = new AbortController();
    let reviewer: Promise<void> | undefined;
    let reviewerError: unknown;
    booth.on('progress', (progress) => {
      timeline.step(options.label, `booth: ${progress.step}`, progress.status);
      if (progress.step === 'held-for-review' && progress.caseId !== undefined && options.onHeld) {
        reviewer ??= options.onHeld(progress.caseId).catch((error: unknown) => {
          reviewerError = error;
          abort.abort();
        });
      }
    });
    const input = {
      inputSupportPin: persona.pins.textAp,
      collationNumberB: collationNumberB(persona),
      ...(persona.pins.sign !== null && { signPassword: persona.pins.sign }),
      signal: abort.signal,
    };
    let result: BoothResult;
    try {
      result = options.workflow === 'W1' ? await booth.renew(input) : await booth.register(input);
    } finally {
      await reviewer;
    }
    if (reviewerError !== undefined) throw reviewerError;
    const authAfter = summarizeCertificate(await card.jpki.readCertificate('auth'));
    return { result, authBefore, authAfter };
  });
}

/** The outcome, with the server's reason codes when it is not a success. */
function describe(result: BoothResult): string {
  if (result.outcome === 'rejected' || result.outcome === 'failed') {
    return [result.outcome, result.reason, result.reasonDetail].filter((x) => x !== null).join(' / ');
  }
  return result.outcome;
}

/** The card's auth certificate before and after, for the report. */
export function certificatesOf(run: BoothRun, renewal: boolean): ReportBoothCase['certificates'] {
  return renewal
    ? [
        { label: 'user-authentication certificate before the renewal', summary: run.authBefore },
        { label: 'user-authentication certificate after the renewal', summary: run.authAfter },
      ]
    : [{ label: 'user-authentication certificate', summary: run.authBefore }];
}

/**
 * A new card straight through one booth case: issued with the face's card photo, the booth session, `completed`
 * and a face match expected, the case reported. The run and record for the scenario's own checks.
 */
async function straightThrough(
  ctx: DemoContext,
  face: DemoFace,
  scenario: {
    readonly workflow: 'W1' | 'W2';
    readonly label: string;
    /** Prefix of the expectation keys (`<key>.outcome`, `<key>.face`). */
    readonly key: string;
    readonly personaId: string;
    /** What the outcome is of, for the timeline. */
    readonly what: string;
  } & Pick<ReportBoothCase, 'title' | 'story'>,
): Promise<{ run: BoothRun; record: ReportBoothCase }> {
  const { label, personaId, workflow } = scenario;
  const { timeline } = ctx;
  const virtual = await ctx.env.issueCard(personaId, { facePhoto: face.card });
  timeline.step(label, `J-LIS issued a card to ${personaId} (photo: sample face ${face.sample})`);
  const run = await boothSession(ctx, { workflow, label, personaId, virtual, live: face.live });
  timeline.expect(`${scenario.key}.outcome`, label, scenario.what, 'completed', describe(run.result));
  const record = await ctx.review.reportCase(run.result.caseId, {
    title: scenario.title,
    workflow,
    persona: personaId,
    story: scenario.story,
    certificates: certificatesOf(run, workflow === 'W1'),
  });
  ctx.report.boothCases.push(record);
  timeline.expect(`${scenario.key}.face`, label, 'face check', 'match', record.faceCheck?.outcome);
  return { run, record };
}

/** W1 straight through: certificate valid, face matches, J-LIS renews, the booth writes the card. */
export async function renewalStraightThrough(ctx: DemoContext, face: DemoFace): Promise<void> {
  const label = 'W1';
  const { run, record } = await straightThrough(ctx, face, {
    workflow: 'W1',
    label,
    key: 'w1',
    personaId: 'taro',
    what: 'renewal of taro',
    title: 'W1 renewal straight through',
    story:
      'taro renews at a booth. J-LIS says the certificates are valid, the live photo matches the card photo and ' +
      'there are no earlier booth photos yet, so the server mediates the renewal and the booth writes it into the card.',
  });
  const { timeline } = ctx;
  timeline.expect(
    'w1.certificate',
    label,
    'certificate check (OCSP)',
    'valid',
    record.certificateCheck?.valid ? 'valid' : 'invalid',
  );
  timeline.expect(
    'w1.renewed',
    label,
    'new auth certificate on the card',
    true,
    run.authAfter.serialNumber !== run.authBefore.serialNumber,
  );
}

/**
 * W1 held by the similarity-delta rule, then approved at the municipality. For a hold the card holder needs history
 * photos that look less like them than the card does. The legitimate way here: kiyoshi renews once (match; the
 * live photo joins his history), then his card is reissued with a new photo (in the demo another sample face
 * stands in for his changed appearance). At the next renewal the live photo matches the new card photo well but
 * the earlier booth photo poorly: sim(live, card) − sim(live, history) ≥ δ, so the server holds the case.
 */
export async function renewalHeldThenApproved(
  ctx: DemoContext,
  earlier: DemoFace,
  now: DemoFace,
): Promise<void> {
  const label = 'W1-hold';
  const { timeline } = ctx;
  const first = await ctx.env.issueCard('kiyoshi', { facePhoto: earlier.card });
  timeline.step(label, `J-LIS issued a card to kiyoshi (photo: sample face ${earlier.sample})`);
  const firstRun = await boothSession(ctx, {
    workflow: 'W1',
    label,
    personaId: 'kiyoshi',
    virtual: first,
    live: earlier.live,
  });
  timeline.expect('w1hold.first', label, 'first renewal of kiyoshi', 'completed', describe(firstRun.result));
  const firstRecord = await ctx.review.record(firstRun.result.caseId);
  timeline.expect(
    'w1hold.history',
    label,
    'its live photo joined kiyoshi’s booth history',
    true,
    firstRecord.historyJoined,
  );

  // 再交付: J-LIS revokes the old card's certificates and issues a new card (new certificates, new photo) to the
  // same holder: same name and birth date, so the server finds the same history photos.
  const holder = ctx.env.jlis.holder('kiyoshi');
  ctx.env.jlis.revoke('auth', holder.authSerial, 'superseded');
  if (holder.signSerial !== null) ctx.env.jlis.revoke('sign', holder.signSerial, 'superseded');
  // Issued now: new certificates (new serials), unlike the revoked ones of the first card.
  const reissued = await ctx.env.jlis.issueCard('kiyoshi', { facePhoto: now.card, now: new Date() });
  timeline.step(
    label,
    `kiyoshi’s card was reissued with a new photo (sample face ${now.sample}); old certificates revoked`,
  );

  let held: { caseId: string; rule?: string; decided?: string } | undefined;
  const run = await boothSession(ctx, {
    workflow: 'W1',
    label,
    personaId: 'kiyoshi',
    virtual: reissued,
    live: now.live,
    onHeld: async (caseId) => {
      const listed = (await ctx.review.held()).find((c) => c.caseId === caseId);
      const record = await ctx.review.record(caseId);
      const decision = record.faceCheck?.decision;
      held = { caseId, ...(decision && { rule: decision.rule }) };
      timeline.step(
        label,
        'municipality: case listed as held',
        listed?.scores
          ? `card ${listed.scores.card.toFixed(3)}, history ${listed.scores.history?.toFixed(3)}, delta ${listed.scores.delta?.toFixed(3)} ≥ δ ${decision?.thresholds.delta}`
          : undefined,
      );
      const answer = await ctx.review.decide(
        caseId,
        'approve',
        'The card was reissued with a new photo at the city office; the live photo matches it. The earlier booth ' +
          'photo predates the reissue. Identity confirmed against the reissue record.',
      );
      held.decided = answer.status;
      timeline.step(label, 'municipality: approved', `case now ${answer.status}`);
    },
  });
  timeline.expect('w1hold.held', label, 'case held for review', true, held !== undefined);
  timeline.expect('w1hold.rule', label, 'rule that fired', 'similarity-delta', held?.rule);
  timeline.expect('w1hold.outcome', label, 'renewal after the approval', 'completed', describe(run.result));
  const record = await ctx.review.reportCase(run.result.caseId, {
    title: 'W1 renewal held by the similarity-delta rule, approved by the municipality',
    workflow: 'W1',
    persona: 'kiyoshi',
    story:
      `kiyoshi renewed once before (live photo = sample face ${earlier.sample}, matching his card then; it joined his ` +
      `booth history). His card was then reissued with a new photo (sample face ${now.sample}, standing in for his ` +
      'changed appearance). Now the live photo matches the new card photo far better than his earlier booth photo, so ' +
      'the delta rule holds the case; a municipality reviewer approves it through the review API and the renewal ' +
      'proceeds.',
    certificates: certificatesOf(run, true),
  });
  ctx.report.boothCases.push(record);
  timeline.expect('w1hold.review', label, 'reviewer decision recorded', 'approve', record.review?.decision);
}

/** W2: certificate valid and face match, the photo with its capture time goes to the administrative server. */
export async function registration(ctx: DemoContext, face: DemoFace): Promise<void> {
  const label = 'W2';
  const { record } = await straightThrough(ctx, face, {
    workflow: 'W2',
    label,
    key: 'w2',
    personaId: 'hanako',
    what: 'photo registration of hanako',
    title: 'W2 photo registration',
    story:
      'hanako registers a verified photo for government services. The server checks her certificate and compares the ' +
      'photo with the card photo, then sends the photo and its capture time to the administrative server.',
  });
  ctx.timeline.expect(
    'w2.registered',
    label,
    'registered at the administrative server',
    true,
    typeof record.registrationId === 'string' && record.registrationId.length > 0,
  );
}
