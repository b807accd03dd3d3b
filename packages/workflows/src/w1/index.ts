// W1: certificate renewal at a photo booth (証明書更新), the operator server's side.
export { createW1HttpHandler, type W1HttpOptions } from './http-handlers.js';
export type { RenewalConfirmation, RenewalPort } from './ports.js';
export {
  type CardAnswersRequest,
  cardAnswersRequestSchema,
  RenewalService,
  type RenewalServiceOptions,
  type W1EffectPorts,
  type W1StatusView,
  w1EffectHandlers,
} from './renewal-service.js';
export {
  type CardAnswer,
  cardAnswerSchema,
  type UpdateScript,
  updateScriptCommands,
  updateScriptSchema,
} from './update-script.js';
export {
  renewalWorkflow,
  W1_BOOTH_TIMER,
  W1_FINAL_STATUSES,
  type W1Effect,
  type W1Event,
  type W1Input,
  type W1State,
  type W1Status,
  w1EffectSchema,
  w1EventSchema,
  w1InputSchema,
  w1StateSchema,
  w1StatusSchema,
} from './w1-workflow.js';
