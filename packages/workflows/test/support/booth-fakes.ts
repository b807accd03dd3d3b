import { createEmbedding, decide, type FaceEmbedding } from '@mynakit/face';
import type { BoothCaseServiceOptions } from '../../src/checks/booth-application.js';
import type { CardHolder } from '../../src/checks/person-key.js';
import type {
  CardCertificates,
  CertificateCheckPort,
  CertificateCheckResult,
  FaceCheckInput,
  FaceCheckPort,
  FaceCheckResult,
} from '../../src/checks/ports.js';
import type { EffectHandlers } from '../../src/engine/runtime.js';
import { WorkflowRuntime } from '../../src/engine/runtime.js';
import { MemoryPhotoStore } from '../../src/privacy/photo-store.js';
import { generateKeyBase64, Keyring } from '../../src/privacy/sealed-box.js';
import { SqliteWorkflowStore } from '../../src/sqlite/index.js';
import { InMemoryHistoryPhotoIndex } from '../../src/stores/history-photo-index.js';
import type { RenewalConfirmation, RenewalPort } from '../../src/w1/ports.js';
import type { CardAnswer, UpdateScript } from '../../src/w1/update-script.js';
import { renewalWorkflow } from '../../src/w1/w1-workflow.js';
import type { AdminServerPort } from '../../src/w2/ports.js';
import { registrationWorkflow } from '../../src/w2/w2-workflow.js';

// Local fakes for the W1/W2/review tests: no J-LIS, no face model, no administrative server.

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * A face check over fake "photos": each photo is random bytes registered with an angle, its embedding a 2-D unit
 * vector at that angle, so cos(angle difference) is the similarity. The decision is @mynakit/face's real `decide`.
 */
export class FakeFaceCheck implements FaceCheckPort {
  private readonly angles = new Map<string, number>();
  private readonly unusable = new Set<string>();
  readonly calls: { historyCount: number }[] = [];
  policy = { cardThreshold: 0.6, delta: 0.2, historyJoinMargin: 0.05 };

  /** A photo of a face at `angle` degrees. */
  photo(angle: number): Uint8Array {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(48));
    return this.register(bytes, angle);
  }

  register(bytes: Uint8Array, angle: number): Uint8Array {
    this.angles.set(hex(bytes), angle);
    return bytes;
  }

  /** A photo that fails the quality gate (no face). */
  unusablePhoto(): Uint8Array {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(48));
    this.unusable.add(hex(bytes));
    return bytes;
  }

  async compare(input: FaceCheckInput): Promise<FaceCheckResult> {
    this.calls.push({ historyCount: input.history.length });
    const checkedAt = new Date().toISOString();
    if (this.unusable.has(hex(input.live)))
      return { outcome: 'unusable', qualityFailures: ['NO_FACE'], checkedAt };
    const decision = decide(
      {
        live: this.embed(input.live),
        card: this.embed(input.card),
        history: input.history.map((h) => this.embed(h)),
      },
      this.policy,
    );
    return { outcome: decision.outcome, qualityFailures: [], decision, checkedAt };
  }

  private embed(bytes: Uint8Array): FaceEmbedding {
    const angle = this.angles.get(hex(bytes));
    if (angle === undefined) throw new Error('unknown fake photo');
    const radians = (angle * Math.PI) / 180;
    return createEmbedding([Math.cos(radians), Math.sin(radians)], 'fake-model@1', 'fake-pre@1');
  }
}

export class FakeCertificateCheck implements CertificateCheckPort {
  valid = true;
  reason = 'CERTIFICATE_REVOKED';
  readonly seen: CardCertificates[] = [];

  async check(certificates: CardCertificates): Promise<CertificateCheckResult> {
    this.seen.push(certificates);
    const at = new Date().toISOString();
    return {
      valid: this.valid,
      ...(!this.valid && { reason: this.reason }),
      checkedAt: at,
      certificates: [
        {
          type: 'auth',
          serial: '0A1B2C',
          notAfter: '2030-01-01T00:00:00.000Z',
          status: this.valid ? 'good' : 'revoked',
          source: 'ocsp',
          producedAt: at,
        },
      ],
    };
  }
}

/** J-LIS renewal that dedupes by idempotency key, like the real one. */
export class FakeRenewal implements RenewalPort {
  readonly requestKeys: string[] = [];
  readonly confirmKeys: string[] = [];
  readonly scripts = new Map<string, UpdateScript>();
  readonly confirmations = new Map<string, RenewalConfirmation>();
  activate = true;

  async requestRenewal(input: {
    certificates: CardCertificates;
    idempotencyKey: string;
  }): Promise<UpdateScript> {
    this.requestKeys.push(input.idempotencyKey);
    const known = this.scripts.get(input.idempotencyKey);
    if (known !== undefined) return known;
    const script: UpdateScript = {
      format: 'mynakit-update-script/1',
      scriptId: hex(globalThis.crypto.getRandomValues(new Uint8Array(16))),
      cardId: '0011223344556677',
      counter: this.scripts.size + 1,
      targets: ['auth', 'sign'],
      commands: ['80E00000', '80E20000', '80E40000'],
    };
    this.scripts.set(input.idempotencyKey, script);
    return script;
  }

  async confirmRenewal(input: {
    scriptId: string;
    answers: readonly CardAnswer[];
    idempotencyKey: string;
  }): Promise<RenewalConfirmation> {
    this.confirmKeys.push(input.idempotencyKey);
    const known = this.confirmations.get(input.idempotencyKey);
    if (known !== undefined) return known;
    const answer: RenewalConfirmation = this.activate
      ? { activated: true, revoked: ['0A1B2C'] }
      : { activated: false, reason: 'ACTIVATION_RECEIPT_INVALID' };
    this.confirmations.set(input.idempotencyKey, answer);
    return answer;
  }

  /** Distinct renewals J-LIS made (one per idempotency key). */
  get renewals(): number {
    return this.scripts.size;
  }
}

export class FakeAdminServer implements AdminServerPort {
  readonly calls: {
    personKey: string;
    capturedAt: string;
    mediaType: string;
    idempotencyKey: string;
    bytes: number;
  }[] = [];
  readonly registered = new Map<string, string>();

  async registerPhoto(
    input: Parameters<AdminServerPort['registerPhoto']>[0],
  ): Promise<{ registrationId: string }> {
    this.calls.push({
      personKey: input.personKey,
      capturedAt: input.capturedAt,
      mediaType: input.mediaType,
      idempotencyKey: input.idempotencyKey,
      bytes: input.photo.length,
    });
    const known = this.registered.get(input.idempotencyKey);
    if (known !== undefined) return { registrationId: known };
    const registrationId = `reg-${this.registered.size + 1}`;
    this.registered.set(input.idempotencyKey, registrationId);
    return { registrationId };
  }
}

export const holderA: CardHolder = {
  name: '番号 花子',
  address: '東京都千代田区霞が関2-1-2',
  birthDate: '1985-04-12',
  sex: '2',
};

export const toB64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A booth request body. */
export function boothRequest(options: {
  holder?: CardHolder;
  card: Uint8Array;
  live: Uint8Array;
  capturedAt?: string;
}) {
  return {
    certificates: {
      auth: toB64(new TextEncoder().encode('auth-der')),
      sign: toB64(new TextEncoder().encode('sign-der')),
    },
    holder: options.holder ?? holderA,
    cardPhoto: toB64(options.card),
    livePhoto: toB64(options.live),
    livePhotoType: 'image/jpeg' as const,
    capturedAt: options.capturedAt ?? '2026-05-01T08:59:00.000Z',
  };
}

/** The shared test bed: SQLite in memory, an injected clock, memory photo store and history index. */
export class BoothBed {
  now = new Date('2026-05-01T09:00:00.000Z');
  readonly clock = () => this.now;
  readonly pepper = globalThis.crypto.getRandomValues(new Uint8Array(32));
  readonly history = new InMemoryHistoryPhotoIndex();
  readonly faces = new FakeFaceCheck();
  readonly certificates = new FakeCertificateCheck();
  readonly renewal = new FakeRenewal();
  readonly admin = new FakeAdminServer();
  readonly photos: MemoryPhotoStore;
  readonly runtime: WorkflowRuntime;

  private constructor(
    readonly store: SqliteWorkflowStore,
    readonly keyring: Keyring,
  ) {
    this.photos = new MemoryPhotoStore({ keyring, clock: this.clock });
    this.runtime = new WorkflowRuntime({
      store,
      workflows: [renewalWorkflow, registrationWorkflow],
      clock: this.clock,
      leaseMs: 5000,
    });
  }

  static async create(): Promise<BoothBed> {
    return new BoothBed(
      await SqliteWorkflowStore.open(':memory:'),
      await Keyring.fromConfig({ current: 'k1', keys: [{ id: 'k1', key: generateKeyBase64() }] }),
    );
  }

  /** What the booth services (W1, W2) are constructed with, on this bed. */
  serviceOptions(): BoothCaseServiceOptions {
    return {
      runtime: this.runtime,
      photos: this.photos,
      keyring: this.keyring,
      pepper: this.pepper,
      clock: this.clock,
    };
  }

  /** The effect ports W1 and W2 share, on this bed's fakes. */
  checkPorts() {
    return {
      certificateCheck: this.certificates,
      faceCheck: this.faces,
      photos: this.photos,
      history: this.history,
      keyring: this.keyring,
    };
  }

  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }

  /** Runs the outbox until nothing is left to claim now; a handler failure fails the test. */
  async drain(handlers: EffectHandlers): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const report = await this.runtime.runOutboxOnce(handlers);
      if (report.failed.length > 0) throw new Error(report.failed.map((f) => f.error).join('; '));
      if (report.claimed === 0) return;
    }
    throw new Error('the outbox did not drain');
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** W1 and W2 share effect type names: route each effect to its workflow's handlers by the case-id prefix. */
export function byCasePrefix(w1: EffectHandlers, w2: EffectHandlers): EffectHandlers {
  return Object.fromEntries(
    [...new Set([...Object.keys(w1), ...Object.keys(w2)])].map((type) => [
      type,
      (effect: never, context: { caseId: string; idempotencyKey: string; attempt: number }) => {
        const handler = (context.caseId.startsWith('w1-') ? w1 : w2)[type];
        if (handler === undefined) throw new Error(`no ${type} handler for this case`);
        return handler(effect, context);
      },
    ]),
  );
}
