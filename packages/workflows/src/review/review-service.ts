import { z } from 'zod';
import { openHolder } from '../checks/booth-application.js';
import {
  actorIdSchema,
  type EvidenceEntry,
  type FaceCheckRecord,
  type ReviewRecord,
  reviewDecisionSchema,
  reviewReasonSchema,
} from '../checks/booth-case.js';
import { CaseServiceError } from '../checks/errors.js';
import type { CardHolder } from '../checks/person-key.js';
import type { CertificateCheckResult } from '../checks/ports.js';
import { type CaseSnapshot, startEventType, type WorkflowRuntime } from '../engine/runtime.js';
import type { CaseListQuery, CaseSummary } from '../engine/store.js';
import type { PhotoStore } from '../privacy/photo-store.js';
import type { Keyring } from '../privacy/sealed-box.js';
import { renewalWorkflow, W1_FINAL_STATUSES, w1StateSchema, w1StatusSchema } from '../w1/w1-workflow.js';
import { registrationWorkflow, W2_FINAL_STATUSES, w2StateSchema, w2StatusSchema } from '../w2/w2-workflow.js';

// The municipality's side (W1.5–W1.7, W2.5): the reception records of renewal and registration cases, their
// photos, and the decision on held cases. Callers are authenticated reviewers; their id is recorded with a decision.

const reviewedWorkflows = [renewalWorkflow.name, registrationWorkflow.name] as const;
export type ReviewedWorkflow = (typeof reviewedWorkflows)[number];

/** Turns a stored photo into something a browser shows (the card's JPEG 2000 becomes PNG). */
export type BrowserImageConverter = (
  bytes: Uint8Array,
) => Promise<{ bytes: Uint8Array; mediaType: 'image/png' | 'image/jpeg' }>;

/** The case listing the review needs (a `WorkflowRuntime` fits). */
export interface CaseLister {
  listCases(query: CaseListQuery): Promise<CaseSummary[]>;
}

export const reviewListQuerySchema = z.strictObject({
  /** `held`: waiting for a reviewer; `open`: not final; `all`: everything still stored. */
  status: z.enum(['held', 'open', 'all']).default('held'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type ReviewListQuery = z.input<typeof reviewListQuerySchema>;

export const reviewDecisionRequestSchema = z.strictObject({
  decision: reviewDecisionSchema,
  reason: reviewReasonSchema,
});
export type ReviewDecisionRequest = z.infer<typeof reviewDecisionRequestSchema>;

export interface ReviewListEntry {
  readonly caseId: string;
  readonly workflow: ReviewedWorkflow;
  readonly status: string;
  readonly updatedAt: string;
  /** The face check's outcome, once it ran. */
  readonly outcome?: FaceCheckRecord['result']['outcome'];
  readonly scores?: { readonly card: number; readonly history: number | null; readonly delta: number | null };
}

/** The reception record (W1.5–W1.6): everything a reviewer needs to decide, and who did what when. */
export interface ReceptionRecord {
  readonly caseId: string;
  readonly workflow: ReviewedWorkflow;
  readonly status: string;
  readonly final: boolean;
  readonly version: number;
  readonly boothId: string;
  readonly appliedAt: string;
  readonly capturedAt: string;
  /** The basic four, unsealed for the reviewer only. */
  readonly holder: CardHolder;
  readonly photos: {
    readonly live: { readonly photoId: string; readonly mediaType: string };
    readonly card: { readonly photoId: string };
    /** The history photos the face check compared with, with each one's similarity to the live photo. */
    readonly history: readonly { readonly photoId: string; readonly score: number | null }[];
  };
  readonly certificateCheck?: CertificateCheckResult;
  /** Outcome, quality failures and the decision: scores, thresholds, fired rules. */
  readonly faceCheck?: FaceCheckRecord['result'];
  readonly review?: ReviewRecord;
  readonly reason?: string;
  readonly reasonDetail?: string;
  readonly historyJoined?: boolean;
  /** W1: the renewal's script id and J-LIS's answer; W2: the registration id. */
  readonly renewal?: { readonly scriptId?: string; readonly activated?: boolean };
  readonly registrationId?: string | null;
  readonly evidence: readonly EvidenceEntry[];
  /** The event log: every step, when, and the reviewer's decision. */
  readonly audit: readonly {
    readonly seq: number;
    readonly at: string;
    readonly type: string;
    readonly reviewerId?: string;
    readonly decision?: string;
    readonly reason?: string;
  }[];
}

export interface ReviewServiceOptions {
  readonly runtime: WorkflowRuntime;
  readonly photos: PhotoStore;
  /** Opens the sealed basic four. */
  readonly keyring: Keyring;
  /** The card photo is JPEG 2000; pass `toBrowserImage` from `@mynakit/workflows/node`. */
  readonly browserImage: BrowserImageConverter;
  /** Defaults to the runtime. */
  readonly cases?: CaseLister;
}

const OPEN_LABELS = [
  ...new Set([
    ...w1StatusSchema.options.filter((s) => !W1_FINAL_STATUSES.includes(s)),
    ...w2StatusSchema.options.filter((s) => !W2_FINAL_STATUSES.includes(s)),
  ]),
];

export class ReviewService {
  private readonly options: ReviewServiceOptions;
  private readonly cases: CaseLister;

  constructor(options: ReviewServiceOptions) {
    this.options = options;
    this.cases = options.cases ?? options.runtime;
  }

  /** Cases of W1 and W2, most recently changed first. */
  async list(query: ReviewListQuery = {}): Promise<ReviewListEntry[]> {
    const { status, limit } = reviewListQuerySchema.parse(query);
    const labels = status === 'held' ? ['held'] : status === 'open' ? OPEN_LABELS : undefined;
    const found = (
      await Promise.all(
        reviewedWorkflows.map((workflow) =>
          this.cases.listCases({ workflow, limit, ...(labels !== undefined && { labels }) }),
        ),
      )
    )
      .flat()
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || a.caseId.localeCompare(b.caseId))
      .slice(0, limit);
    const entries: ReviewListEntry[] = [];
    for (const summary of found) {
      const snapshot = await this.options.runtime.getCase(summary.caseId);
      if (snapshot === null) continue; // purged in between
      const state = parseState(snapshot);
      const decision = state.faceCheck?.result.decision;
      entries.push({
        caseId: summary.caseId,
        workflow: snapshot.workflow as ReviewedWorkflow,
        status: state.status,
        updatedAt: summary.updatedAt.toISOString(),
        ...(state.faceCheck !== undefined && { outcome: state.faceCheck.result.outcome }),
        ...(decision !== undefined && {
          scores: { card: decision.scores.card, history: decision.scores.history, delta: decision.delta },
        }),
      });
    }
    return entries;
  }

  /** The reception record of one case (W1.5). */
  async record(caseId: string): Promise<ReceptionRecord> {
    const snapshot = await this.load(caseId);
    const state = parseState(snapshot);
    const workflow = snapshot.workflow as ReviewedWorkflow;
    const holder = await openHolder(this.options.keyring, workflow, caseId, state.holderSealed);
    const historyEach = state.faceCheck?.result.decision?.scores.historyEach ?? [];
    const events = await this.options.runtime.events(caseId);
    return {
      caseId,
      workflow,
      status: state.status,
      final: snapshot.final,
      version: snapshot.version,
      boothId: state.boothId,
      appliedAt: state.appliedAt,
      capturedAt: state.capturedAt,
      holder,
      photos: {
        live: { photoId: state.livePhotoId, mediaType: state.livePhotoType },
        card: { photoId: state.cardPhotoId },
        history: (state.faceCheck?.historyPhotoIds ?? []).map((photoId, i) => ({
          photoId,
          score: historyEach[i] ?? null,
        })),
      },
      ...(state.certificateCheck !== undefined && { certificateCheck: state.certificateCheck }),
      ...(state.faceCheck !== undefined && { faceCheck: state.faceCheck.result }),
      ...(state.review !== undefined && { review: state.review }),
      ...(state.reason !== undefined && { reason: state.reason }),
      ...(state.reasonDetail !== undefined && { reasonDetail: state.reasonDetail }),
      ...(state.historyJoined !== undefined && { historyJoined: state.historyJoined }),
      ...('updateScript' in state &&
        (state.updateScript !== undefined || state.confirmation !== undefined) && {
          renewal: {
            ...(state.updateScript !== undefined && { scriptId: state.updateScript.scriptId }),
            ...(state.confirmation !== undefined && { activated: state.confirmation.activated }),
          },
        }),
      ...('registrationId' in state &&
        state.registrationId !== undefined && { registrationId: state.registrationId }),
      evidence: state.evidence,
      audit: events.map(({ seq, event, at }) => auditLine(seq, event, at)),
    };
  }

  /** A photo of the record (live, card or a compared history photo), in a format browsers show. */
  async photo(
    caseId: string,
    photoId: string,
  ): Promise<{ bytes: Uint8Array; mediaType: 'image/png' | 'image/jpeg' }> {
    const state = parseState(await this.load(caseId));
    const allowed = [state.livePhotoId, state.cardPhotoId, ...(state.faceCheck?.historyPhotoIds ?? [])];
    if (!allowed.includes(photoId)) {
      throw new CaseServiceError('PHOTO_NOT_FOUND', 'the photo is not part of this case', {
        details: { caseId },
      });
    }
    const stored = await this.options.photos.get(photoId);
    if (stored === undefined) {
      throw new CaseServiceError('PHOTO_NOT_FOUND', 'the photo was purged', { details: { caseId } });
    }
    return this.options.browserImage(stored.bytes);
  }

  /** W1.7 / W2.5: a reviewer decides a held case. Any other status is WRONG_STATE. */
  async decide(
    caseId: string,
    request: { reviewerId: string } & ReviewDecisionRequest,
  ): Promise<{ status: string }> {
    const reviewerId = actorIdSchema.parse(request.reviewerId);
    const { decision, reason } = reviewDecisionRequestSchema.parse({
      decision: request.decision,
      reason: request.reason,
    });
    const before = parseState(await this.load(caseId));
    if (before.status !== 'held') throw notHeld(caseId, before.status);
    const result = await this.options.runtime.dispatch(caseId, {
      type: 'review-decided',
      reviewerId,
      decision,
      reason,
    });
    const after = parseState(result);
    // The review deadline (or another reviewer) may have come first.
    if (!result.applied || after.review?.reviewerId !== reviewerId || after.review.decision !== decision) {
      throw notHeld(caseId, after.status);
    }
    return { status: after.status };
  }

  private async load(caseId: string): Promise<CaseSnapshot> {
    const snapshot = await this.options.runtime.getCase(caseId);
    if (snapshot === null || !(reviewedWorkflows as readonly string[]).includes(snapshot.workflow)) {
      throw new CaseServiceError('CASE_NOT_FOUND', 'no such case', { details: { caseId } });
    }
    return snapshot;
  }
}

function parseState(snapshot: { workflow: string; state: unknown }) {
  return snapshot.workflow === renewalWorkflow.name
    ? w1StateSchema.parse(snapshot.state)
    : w2StateSchema.parse(snapshot.state);
}

function notHeld(caseId: string, status: string): CaseServiceError {
  return new CaseServiceError('WRONG_STATE', 'only a held case can be decided', {
    details: { caseId, status },
  });
}

/** One audit line per logged event: its type and time, and for a review who decided what and why. */
function auditLine(seq: number, event: unknown, at: Date): ReceptionRecord['audit'][number] {
  const e = event as { type?: unknown; reviewerId?: unknown; decision?: unknown; reason?: unknown };
  const type = e.type === startEventType ? 'applied' : String(e.type);
  return {
    seq,
    at: at.toISOString(),
    type,
    ...(type === 'review-decided' && {
      reviewerId: String(e.reviewerId),
      decision: String(e.decision),
      reason: String(e.reason),
    }),
  };
}
