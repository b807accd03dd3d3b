import type { EndReason } from './booth-case.js';

/** What a booth sees of any of its cases: no personal data, only where the case stands and why it ended. */
export interface BoothCaseView<S extends string> {
  readonly caseId: string;
  readonly version: number;
  readonly status: S;
  readonly final: boolean;
  /** Why the case ended without its result. */
  readonly reason?: EndReason;
  /** A code that explains the reason (e.g. CERTIFICATE_REVOKED, or the live photo's quality failures). */
  readonly reasonDetail?: string;
}

export function boothCaseView<S extends string>(
  snapshot: { caseId: string; version: number; final: boolean },
  state: { status: S; reason?: EndReason | undefined; reasonDetail?: string | undefined },
): BoothCaseView<S> {
  return {
    caseId: snapshot.caseId,
    version: snapshot.version,
    status: state.status,
    final: snapshot.final,
    ...(state.reason !== undefined && { reason: state.reason }),
    ...(state.reasonDetail !== undefined && { reasonDetail: state.reasonDetail }),
  };
}
