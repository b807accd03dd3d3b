// @mynakit/workflows: browser-safe entry (engine, interfaces). Stores with native or Node drivers live at
// `@mynakit/workflows/sqlite` and `@mynakit/workflows/postgres`.

export * from './adapters/index.js';
export * from './checks/index.js';
export {
  isWorkflowErrorCode,
  WorkflowError,
  type WorkflowErrorCode,
  workflowErrorCodes,
} from './engine/errors.js';
export {
  type AnyWorkflowDefinition,
  type CaseSnapshot,
  type DispatchResult,
  type EffectContext,
  type EffectHandler,
  type EffectHandlerResult,
  type EffectHandlers,
  type EffectHandlersFor,
  type EffectOutcome,
  type OutboxRunReport,
  startEventType,
  type TimerRunReport,
  type WorkFailure,
  WorkflowRuntime,
  type WorkflowRuntimeOptions,
} from './engine/runtime.js';
export type {
  CaseListQuery,
  CaseRecord,
  CaseSummary,
  CommitResult,
  DueTimer,
  NewOutboxEffect,
  NewTimer,
  OutboxItem,
  StepCommit,
  WorkflowStore,
} from './engine/store.js';
export type {
  DecideContext,
  Decision,
  EffectRequest,
  TimerRequest,
  WorkflowDefinition,
} from './engine/workflow.js';
export * from './privacy/index.js';
export * from './reception/index.js';
export * from './review/index.js';
export * from './stores/index.js';
export * from './w1/index.js';
export * from './w2/index.js';
export * from './w3/index.js';
export * from './w4/index.js';
