import { MynakitError, type MynakitErrorOptions } from '@mynakit/card';

/** Every failure the workflow engine reports. Codes are stable API (persisted, sent over HTTP), never renamed. */
export const workflowErrorCodes = [
  /** No case with that id (never started, or purged). */
  'UNKNOWN_CASE',
  /** The case or the call names a workflow the runtime was not given. */
  'UNKNOWN_WORKFLOW',
  /** `start` with a case id that exists already. */
  'CASE_EXISTS',
  /** The event does not match the workflow's event schema. */
  'INVALID_EVENT',
  /** `initial`/`decide` returned a state, effect or timer that its schemas refuse (a bug in the workflow). */
  'INVALID_DECISION',
  /** The stored state does not match the workflow's state schema (or was stored by another workflow version). */
  'INVALID_STATE',
  /** Other writers kept changing the case: the bounded optimistic retries ran out. */
  'CONFLICT',
  /** A reception number of the wrong form or with a wrong check digit (W3). */
  'RECEPTION_NUMBER_INVALID',
] as const;

export type WorkflowErrorCode = (typeof workflowErrorCodes)[number];

/** An error from the workflow engine. Details carry ids, workflow names and event types, never personal data. */
export class WorkflowError extends MynakitError<WorkflowErrorCode> {
  constructor(code: WorkflowErrorCode, message: string, options: MynakitErrorOptions = {}) {
    super(code, message, options);
    this.name = 'WorkflowError';
  }

  /** Revives a serialised WorkflowError with its code intact. */
  static override fromJSON(value: unknown): WorkflowError {
    const revived = MynakitError.fromJSON(value);
    if (!isWorkflowErrorCode(revived.code)) throw new TypeError(`not a workflow error code: ${revived.code}`);
    return new WorkflowError(revived.code, revived.message, {
      details: revived.details,
      ...(revived.cause !== undefined && { cause: revived.cause }),
    });
  }
}

export function isWorkflowErrorCode(code: string): code is WorkflowErrorCode {
  return (workflowErrorCodes as readonly string[]).includes(code);
}
