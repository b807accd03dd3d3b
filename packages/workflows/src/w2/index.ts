// W2: face-photo registration at a photo booth (画像登録), the operator server's side.
export { createW2HttpHandler, type W2HttpOptions } from './http-handlers.js';
export type { AdminServerPort } from './ports.js';
export {
  RegistrationService,
  type RegistrationServiceOptions,
  type W2EffectPorts,
  type W2StatusView,
  w2EffectHandlers,
} from './registration-service.js';
export {
  registrationWorkflow,
  W2_FINAL_STATUSES,
  type W2Effect,
  type W2Event,
  type W2Input,
  type W2State,
  type W2Status,
  w2EffectSchema,
  w2EventSchema,
  w2InputSchema,
  w2StateSchema,
  w2StatusSchema,
} from './w2-workflow.js';
