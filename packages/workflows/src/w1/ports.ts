import type { CardCertificates } from '../checks/ports.js';
import type { CardAnswer, UpdateScript } from './update-script.js';

/** W1.4 renewal at J-LIS. The remote side dedupes by `idempotencyKey`: the same key gives the same script, once. */
export interface RenewalPort {
  requestRenewal(input: {
    readonly certificates: CardCertificates;
    readonly idempotencyKey: string;
  }): Promise<UpdateScript>;
  /**
   * The card's answers to the script: J-LIS checks the activation receipt and, when authentic, retires the old
   * certificates. `activated: false` (with J-LIS's reason) is an answer, not a failure; throw only to retry.
   */
  confirmRenewal(input: {
    readonly scriptId: string;
    readonly answers: readonly CardAnswer[];
    readonly idempotencyKey: string;
  }): Promise<RenewalConfirmation>;
}

export type RenewalConfirmation =
  | { readonly activated: true; readonly revoked: readonly string[] }
  | { readonly activated: false; readonly reason: string };
