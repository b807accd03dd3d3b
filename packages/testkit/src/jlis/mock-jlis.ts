import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createJpkiTestCas, type JpkiTestCaPair } from '../ca/jpki-ca.js';
import { issuePersonaSigningCertificate } from '../ca/persona-certificates.js';
import { testKeyOrFresh } from '../ca/test-keys.js';
import { type Persona, personaSchema } from '../personas/persona-schema.js';
import { getPersona } from '../personas/personas.js';
import { type CreateVirtualCardOptions, createVirtualCard } from '../virtual-card/create-virtual-card.js';
import { bytesToHex } from '../virtual-card/tlv.js';
import type { VirtualMyNumberCard } from '../virtual-card/virtual-my-number-card.js';
import { MockOcspResponder, type OcspResponderOptionsInput } from './ocsp-responder.js';
import {
  type ActivationResult,
  confirmActivation,
  type Renewal,
  renewCertificates,
  type UpdateAnswer,
} from './renewal.js';
import { type CrlReason, normalizeSerialHex, RevocationRegistries } from './revocation-registry.js';
import { defaultCardId } from './update-protocol.js';

/** An idempotency key re-used for a different request: the caller's mistake (HTTP 409). */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
}

/** What J-LIS knows of one card holder: the current basic four, the live serials, and every certificate change. */
const holderSchema = z.object({
  persona: personaSchema,
  authSerial: z.string(),
  signSerial: z.string().nullable(),
  /** Old → new signing-certificate serials (新旧紐付け), oldest first. */
  signHistory: z.array(
    z.object({ oldSerial: z.string(), newSerial: z.string(), reason: z.string(), at: z.string() }),
  ),
  /** Verifiers that hold the holder's consent to the latest-basic-four service, by the signing serial it was given with. */
  consents: z.array(z.object({ verifier: z.string(), signSerial: z.string(), at: z.string() })),
  deceased: z.boolean(),
  /** Counter of the last update script J-LIS produced for this holder's card (replay protection on the card). */
  scriptCounter: z.number().int().min(0).default(0),
});
export type HolderRecord = z.infer<typeof holderSchema>;

const stateSchema = z.object({
  version: z.literal(1),
  holders: z.array(holderSchema),
  revocations: z.unknown(),
});

export interface MockJlisOptions {
  /** A folder to keep J-LIS's state in (holders, revocations); loaded when present, saved on every change. */
  stateDir?: string;
  clock?: () => Date;
  ocsp?: OcspResponderOptionsInput;
}

export type LatestBasicFourAnswer =
  | { status: 'no-consent' }
  | { status: 'unchanged' }
  | {
      status: 'updated';
      basicFour: Pick<Persona, 'name' | 'address' | 'birthDate' | 'sex'>;
      newSignSerial: string;
    };

/**
 * The mock J-LIS: the test CAs, the holders they issued cards to, revocation (OCSP and CRL through `responder`)
 * and the life events that change certificates — a change of the basic four, death, renewal, the
 * latest-basic-four (新4情報) service. Tests drive it directly; `startJlisServer` puts it on HTTP.
 */
export class MockJlis {
  readonly responder: MockOcspResponder;
  private readonly holders = new Map<string, HolderRecord>();
  /** Renewals whose scripts are out at a booth, by script id (kept in memory: a restart means a new script). */
  private readonly pendingRenewals = new Map<string, { personaId: string; renewal: Renewal }>();
  /** Renewals by the caller's idempotency key: a retried request gets the same script and renews nothing more. */
  private readonly renewalsByKey = new Map<string, { authSerial: string; renewal: Promise<Renewal> }>();
  /** Outcomes of activated scripts, so a retried confirmation gets the same answer instead of "unknown script". */
  private readonly activations = new Map<string, ActivationResult>();
  #renewalRequests = 0;
  #renewalConfirmations = 0;

  private constructor(
    readonly cas: JpkiTestCaPair,
    readonly registries: RevocationRegistries,
    private readonly options: MockJlisOptions,
  ) {
    this.responder = new MockOcspResponder({
      cas: [cas.sign, cas.auth],
      registries,
      ...(options.ocsp !== undefined && { options: options.ocsp }),
      ...(options.clock !== undefined && { clock: options.clock }),
    });
  }

  static async create(options: MockJlisOptions = {}): Promise<MockJlis> {
    const cas = await createJpkiTestCas();
    const file = options.stateDir ? join(options.stateDir, 'jlis.json') : undefined;
    if (file && existsSync(file)) {
      const state = stateSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
      const jlis = new MockJlis(cas, RevocationRegistries.fromJSON(state.revocations), options);
      for (const holder of state.holders) jlis.holders.set(holder.persona.id, holder);
      return jlis;
    }
    return new MockJlis(cas, new RevocationRegistries(), options);
  }

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  /** Issue a card to a persona (its certificates come from this J-LIS's CAs) and remember the holder. */
  async issueCard(
    persona: string | Persona,
    options: Omit<CreateVirtualCardOptions, 'persona' | 'ca'> = {},
  ): Promise<VirtualMyNumberCard> {
    const p = typeof persona === 'string' ? getPersona(persona) : personaSchema.parse(persona);
    const existing = this.holders.get(p.id);
    let card = await createVirtualCard({ ...options, persona: p, ca: this.cas });
    let serials = this.serialsOnCard(card);
    // A signing certificate's CN, and so its serial, carries the issuance time to the second: a reissue within the
    // second of the holder's last issuance (a renewal, say) would repeat that serial. J-LIS's next CN is a second on.
    for (
      let at = options.now;
      at !== undefined && existing && this.signSerialKnown(existing, serials.sign);
    ) {
      at = new Date(at.getTime() + 1000);
      card = await createVirtualCard({ ...options, now: at, persona: p, ca: this.cas });
      serials = this.serialsOnCard(card);
    }
    this.holders.set(p.id, {
      persona: existing?.persona ?? p,
      authSerial: serials.auth,
      signSerial: serials.sign,
      signHistory: existing?.signHistory ?? [],
      consents: existing?.consents ?? [],
      deceased: false,
      scriptCounter: existing?.scriptCounter ?? 0,
    });
    this.save();
    return card;
  }

  holder(personaId: string): HolderRecord {
    const holder = this.holders.get(personaId);
    if (!holder) throw new RangeError(`J-LIS issued no card to "${personaId}"`);
    return holder;
  }

  revoke(type: 'sign' | 'auth', serialHex: string, reason: CrlReason = 'unspecified'): void {
    this.registries.revoke(type === 'sign' ? this.cas.sign : this.cas.auth, serialHex, reason, this.now());
    this.save();
  }

  /**
   * A move, marriage or other change of the basic four: the signing certificate is revoked
   * (affiliationChanged) and a new one issued with the new data; the auth certificate survives.
   */
  async changeBasicFour(
    personaId: string,
    changes: Partial<Pick<Persona, 'name' | 'nameKana' | 'address'>>,
  ): Promise<{ oldSerial: string; newSerial: string; certificate: Uint8Array }> {
    const holder = this.holder(personaId);
    if (holder.signSerial === null) throw new RangeError(`"${personaId}" has no signing certificate`);
    const persona = personaSchema.parse({
      ...holder.persona,
      ...changes,
      jpki: { ...holder.persona.jpki, certificateName: undefined, certificateAddress: undefined },
    });
    const at = this.now();
    const issued = await issuePersonaSigningCertificate(
      this.cas,
      persona,
      testKeyOrFresh(`persona.${personaId}.sign-reissued`),
      at,
    );
    const oldSerial = holder.signSerial;
    this.registries.revoke(this.cas.sign, oldSerial, 'affiliationChanged', at);
    holder.persona = persona;
    holder.signSerial = normalizeSerialHex(issued.serialNumber);
    holder.signHistory.push({
      oldSerial,
      newSerial: holder.signSerial,
      reason: 'affiliationChanged',
      at: at.toISOString(),
    });
    this.save();
    return { oldSerial, newSerial: holder.signSerial, certificate: issued.der };
  }

  /** Death revokes both certificates. */
  death(personaId: string): void {
    const holder = this.holder(personaId);
    const at = this.now();
    this.registries.revoke(this.cas.auth, holder.authSerial, 'cessationOfOperation', at);
    if (holder.signSerial)
      this.registries.revoke(this.cas.sign, holder.signSerial, 'cessationOfOperation', at);
    holder.deceased = true;
    this.save();
  }

  /** The holder's consent (signed with their signing certificate, checked by the caller) to the latest-basic-four service. */
  recordConsent(signSerialHex: string, verifier: string): void {
    const holder = this.holderBySignSerial(signSerialHex);
    if (!holder) throw new RangeError('no holder has that signing certificate');
    holder.consents.push({
      verifier,
      signSerial: normalizeSerialHex(signSerialHex),
      at: this.now().toISOString(),
    });
    this.save();
  }

  /**
   * 最新の利用者情報提供: for a signing serial the verifier stored, the current basic four and the new
   * certificate's serial — only with consent, and only when a new certificate exists.
   */
  latestBasicFour(signSerialHex: string, verifier: string): LatestBasicFourAnswer {
    const serial = normalizeSerialHex(signSerialHex);
    const holder = this.holderBySignSerial(serial);
    if (!holder?.consents.some((c) => c.verifier === verifier)) return { status: 'no-consent' };
    if (holder.signSerial === serial || holder.signSerial === null) return { status: 'unchanged' };
    const { name, address, birthDate, sex } = holder.persona;
    return {
      status: 'updated',
      basicFour: { name, address, birthDate, sex },
      newSignSerial: holder.signSerial,
    };
  }

  /** Distinct renewals produced (a request replayed with the same idempotency key is not counted). */
  get renewalRequests(): number {
    return this.#renewalRequests;
  }

  /** Distinct activations confirmed (a replayed confirmation of an activated script is not counted). */
  get renewalConfirmations(): number {
    return this.#renewalConfirmations;
  }

  /** The holder whose current user-authentication certificate has this serial (any hex form). */
  holderByAuthSerial(serialHex: string): HolderRecord | undefined {
    const serial = normalizeSerialHex(serialHex);
    for (const holder of this.holders.values()) if (holder.authSerial === serial) return holder;
    return undefined;
  }

  /**
   * W1.4 as a real J-LIS sees it: the holder is found by the card's current auth certificate (J-LIS knows no
   * persona ids). With an `idempotencyKey`, a repeated request returns the first renewal (same script) and renews
   * nothing more; the same key with another card is refused.
   */
  async renewByCertificate(
    current: { auth: Uint8Array; sign: Uint8Array | null },
    options: { idempotencyKey?: string } = {},
  ): Promise<Renewal> {
    const authSerial = normalizeSerialHex(new X509Certificate(current.auth).serialNumber);
    const holder = this.holderByAuthSerial(authSerial);
    if (!holder) throw new RangeError('J-LIS issued no current certificate with that serial');
    return this.renew(holder.persona.id, current, options);
  }

  /**
   * W1 renewal: new keys and certificates for the holder's card and the update script that installs them. The old
   * certificates stay valid until `confirmRenewal` sees the card's authentic activation receipt. With an
   * `idempotencyKey` a repeated request returns the first renewal.
   */
  async renew(
    personaId: string,
    current: { auth: Uint8Array; sign: Uint8Array | null },
    options: { idempotencyKey?: string } = {},
  ): Promise<Renewal> {
    const key = options.idempotencyKey;
    if (key === undefined) return this.produceRenewal(personaId, current);
    const authSerial = normalizeSerialHex(new X509Certificate(current.auth).serialNumber);
    const earlier = this.renewalsByKey.get(key);
    if (earlier) {
      if (earlier.authSerial !== authSerial)
        throw new IdempotencyConflictError('the idempotency key was used for another card');
      return earlier.renewal;
    }
    // The promise is kept at once, so a concurrent retry with the same key waits for this renewal.
    const renewal = this.produceRenewal(personaId, current);
    this.renewalsByKey.set(key, { authSerial, renewal });
    renewal.catch(() => this.renewalsByKey.delete(key));
    return renewal;
  }

  private async produceRenewal(
    personaId: string,
    current: { auth: Uint8Array; sign: Uint8Array | null },
  ): Promise<Renewal> {
    const holder = this.holder(personaId);
    holder.scriptCounter += 1;
    const renewal = await renewCertificates({
      cas: this.cas,
      registries: this.registries,
      persona: holder.persona,
      current,
      cardId: bytesToHex(defaultCardId(personaId)),
      scriptCounter: holder.scriptCounter,
      now: this.now(),
    });
    this.pendingRenewals.set(renewal.script.scriptId, { personaId, renewal });
    this.#renewalRequests += 1;
    this.save();
    return renewal;
  }

  /** The booth's report of the card's answers: on an authentic activation the old certificates are revoked as superseded. */
  confirmRenewal(scriptId: string, answers: readonly UpdateAnswer[]): ActivationResult {
    const id = scriptId.toUpperCase();
    const done = this.activations.get(id);
    if (done) return done;
    const pending = this.pendingRenewals.get(id);
    if (!pending) throw new RangeError('no pending renewal with that script id');
    const result = confirmActivation({
      renewal: pending.renewal,
      answers,
      registries: this.registries,
      now: this.now(),
    });
    if (result.activated) {
      this.pendingRenewals.delete(id);
      this.activations.set(id, result);
      this.#renewalConfirmations += 1;
      const holder = this.holder(pending.personaId);
      const { auth, sign } = pending.renewal.certificates;
      holder.authSerial = normalizeSerialHex(auth.serialNumber);
      if (sign && holder.signSerial) {
        const newSerial = normalizeSerialHex(sign.serialNumber);
        holder.signHistory.push({
          oldSerial: holder.signSerial,
          newSerial,
          reason: 'superseded',
          at: this.now().toISOString(),
        });
        holder.signSerial = newSerial;
      }
      this.save();
    }
    return result;
  }

  private holderBySignSerial(serialHex: string): HolderRecord | undefined {
    const serial = normalizeSerialHex(serialHex);
    for (const holder of this.holders.values()) {
      if (holder.signSerial === serial || holder.signHistory.some((h) => h.oldSerial === serial))
        return holder;
    }
    return undefined;
  }

  private signSerialKnown(holder: HolderRecord, serial: string | null): boolean {
    if (serial === null) return false;
    return (
      holder.signSerial === serial ||
      holder.signHistory.some((h) => h.oldSerial === serial || h.newSerial === serial)
    );
  }

  private serialsOnCard(card: VirtualMyNumberCard): { auth: string; sign: string | null } {
    const { auth, sign } = card.certificates;
    const serialOf = (der: Uint8Array) => normalizeSerialHex(new X509Certificate(der).serialNumber);
    return { auth: serialOf(auth), sign: sign === null ? null : serialOf(sign) };
  }

  /** Write the state (atomically) when a state folder is set. */
  save(): void {
    const dir = this.options.stateDir;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'jlis.json');
    const state = { version: 1, holders: [...this.holders.values()], revocations: this.registries.toJSON() };
    writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
}
