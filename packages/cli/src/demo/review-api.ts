import { ServerClient } from '@mynakit/workflows/device';
import { z } from 'zod';
import type { ReportBoothCase, ReportPhoto } from './report-model.js';

// The municipality's review API as the demo's reviewer uses it: list held cases, read reception records, fetch
// their photos, decide. Only the fields the demo shows are parsed; the unsealed basic four is never kept.

const decisionSchema = z.object({
  outcome: z.string(),
  rule: z.string(),
  firedRules: z.array(z.string()),
  scores: z.object({ card: z.number(), history: z.number().nullable() }),
  delta: z.number().nullable(),
  thresholds: z.object({ card: z.number(), delta: z.number(), historyCombine: z.string() }),
  model: z.string(),
});

const recordSchema = z.object({
  caseId: z.string(),
  workflow: z.string(),
  status: z.string(),
  final: z.boolean(),
  photos: z.object({
    live: z.object({ photoId: z.string() }),
    card: z.object({ photoId: z.string() }),
    history: z.array(z.object({ photoId: z.string(), score: z.number().nullable() })),
  }),
  certificateCheck: z
    .object({
      valid: z.boolean(),
      checkedAt: z.string(),
      certificates: z.array(
        z.object({
          type: z.string(),
          serial: z.string(),
          notAfter: z.string(),
          status: z.string(),
          source: z.string(),
          producedAt: z.string().optional(),
        }),
      ),
    })
    .optional(),
  faceCheck: z
    .object({
      outcome: z.string(),
      qualityFailures: z.array(z.string()),
      decision: decisionSchema.optional(),
    })
    .optional(),
  review: z
    .object({ reviewerId: z.string(), decision: z.string(), reason: z.string(), at: z.string() })
    .optional(),
  historyJoined: z.boolean().optional(),
  registrationId: z.string().nullish(),
  audit: z.array(z.object({ at: z.string(), type: z.string() })),
});
export type ReceptionRecordView = z.infer<typeof recordSchema>;

const listSchema = z.object({
  cases: z.array(
    z.object({
      caseId: z.string(),
      workflow: z.string(),
      status: z.string(),
      outcome: z.string().optional(),
      scores: z
        .object({ card: z.number(), history: z.number().nullable(), delta: z.number().nullable() })
        .optional(),
    }),
  ),
});
export type HeldCase = z.infer<typeof listSchema>['cases'][number];

export class ReviewApi {
  private readonly client: ServerClient;

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {
    this.client = new ServerClient({ baseUrl, apiKey });
  }

  async held(): Promise<HeldCase[]> {
    return (await this.client.get('/review/api/cases?status=held', listSchema)).cases;
  }

  record(caseId: string): Promise<ReceptionRecordView> {
    return this.client.get(`/review/api/cases/${encodeURIComponent(caseId)}`, recordSchema);
  }

  decide(caseId: string, decision: 'approve' | 'reject', reason: string): Promise<{ status: string }> {
    return this.client.post(
      `/review/api/cases/${encodeURIComponent(caseId)}/decision`,
      { decision, reason },
      z.object({ status: z.string() }),
      { retry: false },
    );
  }

  /** A case photo as a data: URI (the server turns the card's JPEG 2000 into PNG). */
  async photo(caseId: string, photoId: string): Promise<string> {
    const url = new URL(
      `review/api/cases/${encodeURIComponent(caseId)}/photos/${encodeURIComponent(photoId)}`,
      this.baseUrl,
    );
    const response = await fetch(url, { headers: { authorization: `Bearer ${this.apiKey}` } });
    if (!response.ok) throw new Error(`GET ${url.pathname} answered ${response.status}`);
    const type = response.headers.get('content-type') ?? 'application/octet-stream';
    return `data:${type};base64,${Buffer.from(await response.arrayBuffer()).toString('base64')}`;
  }

  /** The reception record as the report shows it: photos side by side, scores, thresholds, evidence. */
  async reportCase(
    caseId: string,
    meta: Pick<ReportBoothCase, 'title' | 'workflow' | 'persona' | 'story' | 'certificates'>,
  ): Promise<ReportBoothCase> {
    const record = await this.record(caseId);
    const decision = record.faceCheck?.decision;
    const photos: ReportPhoto[] = [
      { label: 'live photo (booth camera)', dataUri: await this.photo(caseId, record.photos.live.photoId) },
      {
        label: 'card photo (chip, JPEG 2000 → PNG)',
        dataUri: await this.photo(caseId, record.photos.card.photoId),
        ...(decision !== undefined && { score: decision.scores.card }),
      },
    ];
    for (const [i, history] of record.photos.history.entries()) {
      photos.push({
        label: `history photo ${i + 1}`,
        dataUri: await this.photo(caseId, history.photoId),
        score: history.score,
      });
    }
    return {
      ...meta,
      caseId,
      status: record.status,
      photos,
      ...(record.faceCheck !== undefined && {
        faceCheck: {
          outcome: record.faceCheck.outcome,
          firedRules: decision?.firedRules ?? [],
          ...(decision !== undefined && {
            rule: decision.rule,
            scores: { card: decision.scores.card, history: decision.scores.history, delta: decision.delta },
            thresholds: decision.thresholds,
            model: decision.model,
          }),
        },
      }),
      ...(record.certificateCheck !== undefined && { certificateCheck: record.certificateCheck }),
      ...(record.review !== undefined && { review: record.review }),
      ...(record.historyJoined !== undefined && { historyJoined: record.historyJoined }),
      ...(record.registrationId !== undefined && { registrationId: record.registrationId }),
      audit: record.audit.map(({ at, type }) => ({ at, type })),
    };
  }
}
