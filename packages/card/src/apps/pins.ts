import { errorForStatus } from '../apdu/status-words.js';
import { CardError } from '../errors.js';
import type { ApplicationName } from './aids.js';
import { CARD_SURFACE_EF, INPUT_SUPPORT_EF, JPKI_EF } from './aids.js';
import type { CardSession } from './card-session.js';

/** Every secret the card checks, with where it lives. */
export const PIN_REFERENCES = {
  /** 利用者証明用電子証明書の暗証番号: 4 digits, 3 tries. */
  authPin: { application: 'jpki', ef: JPKI_EF.authPin, label: 'JPKI user-authentication PIN' },
  /** 署名用電子証明書の暗証番号: 6–16 characters, 5 tries. */
  signPassword: { application: 'jpki', ef: JPKI_EF.signPassword, label: 'JPKI signing password' },
  /** 券面事項入力補助用暗証番号: 4 digits, 3 tries. */
  inputSupportPin: { application: 'inputSupport', ef: INPUT_SUPPORT_EF.pin, label: 'input-support PIN' },
  inputSupportNumberA: {
    application: 'inputSupport',
    ef: INPUT_SUPPORT_EF.verificationNumberA,
    label: 'input-support verification number A',
  },
  inputSupportNumberB: {
    application: 'inputSupport',
    ef: INPUT_SUPPORT_EF.verificationNumberB,
    label: 'input-support verification number B',
  },
  surfaceNumberA: {
    application: 'cardSurface',
    ef: CARD_SURFACE_EF.verificationNumberA,
    label: 'card-surface verification number A',
  },
  surfaceNumberB: {
    application: 'cardSurface',
    ef: CARD_SURFACE_EF.verificationNumberB,
    label: 'card-surface verification number B',
  },
} as const satisfies Record<string, { application: ApplicationName; ef: number; label: string }>;

export type PinName = keyof typeof PIN_REFERENCES;
export const PIN_NAMES = Object.keys(PIN_REFERENCES) as PinName[];

export interface PinStatus {
  readonly pin: PinName;
  /** Tries left, or null when the card did not say (it answered 90 00: already verified on some cards). */
  readonly triesLeft: number | null;
  readonly blocked: boolean;
}

/**
 * The lock guard: before a PIN leaves the host, the tries left are read with an empty VERIFY (which
 * consumes nothing). At or below `floor` tries the PIN is not sent unless the caller accepts the risk of
 * locking the card, because a blocked PIN costs the holder a trip to the city office.
 */
export interface LockGuardOptions {
  /** Refuse when tries left ≤ floor. Default 1: the last try is never spent without consent. */
  readonly floor?: number;
  /** Send the PIN whatever the tries left (skips the tries query, so one APDU fewer). */
  readonly acceptLockRisk?: boolean;
}

export const DEFAULT_LOCK_FLOOR = 1;

const SW_OK = 0x9000;

export async function readPinStatus(session: CardSession, pin: PinName): Promise<PinStatus> {
  const reference = PIN_REFERENCES[pin];
  await session.selectApplication(reference.application);
  await session.selectFile(reference.ef);
  const response = await session.transmit({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80 });
  return pinStatusFromSw(pin, response.sw);
}

function pinStatusFromSw(pin: PinName, sw: number): PinStatus {
  if (sw === SW_OK) return { pin, triesLeft: null, blocked: false };
  if ((sw & 0xfff0) === 0x63c0) {
    const triesLeft = sw & 0x0f;
    return { pin, triesLeft, blocked: triesLeft === 0 };
  }
  if (sw === 0x6984 || sw === 0x6983) return { pin, triesLeft: 0, blocked: true };
  throw errorForStatus(sw, `tries query of the ${PIN_REFERENCES[pin].label}`);
}

/**
 * VERIFY `secret` (already validated and encoded by the caller) against `pin`, behind the lock guard.
 * Never retries by itself: a wrong PIN is reported with the tries left and the caller decides.
 */
export async function verifyPin(
  session: CardSession,
  pin: PinName,
  secret: Uint8Array,
  guard: LockGuardOptions = {},
): Promise<void> {
  const reference = PIN_REFERENCES[pin];
  if (guard.acceptLockRisk) {
    await session.selectApplication(reference.application);
    await session.selectFile(reference.ef);
  } else {
    const status = await readPinStatus(session, pin);
    const floor = guard.floor ?? DEFAULT_LOCK_FLOOR;
    if (status.blocked) throw pinBlocked(pin);
    if (status.triesLeft !== null && status.triesLeft <= floor) {
      throw new CardError(
        'LOCK_GUARD',
        `not sending the ${reference.label}: ${status.triesLeft} tries left (floor ${floor}); pass acceptLockRisk to try anyway`,
        { details: { pin, triesLeft: status.triesLeft, floor } },
      );
    }
  }
  const response = await session.transmit({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80, data: secret });
  checkVerifyResponse(pin, response.sw);
}

/** CHANGE REFERENCE DATA after a successful VERIFY of the current value. */
export async function changePin(
  session: CardSession,
  pin: PinName,
  current: Uint8Array,
  next: Uint8Array,
  guard: LockGuardOptions = {},
): Promise<void> {
  await verifyPin(session, pin, current, guard);
  const response = await session.transmit({ cla: 0x00, ins: 0x24, p1: 0x01, p2: 0x80, data: next });
  if (response.sw !== SW_OK) throw errorForStatus(response.sw, `change of the ${PIN_REFERENCES[pin].label}`);
}

function checkVerifyResponse(pin: PinName, sw: number): void {
  if (sw === SW_OK) return;
  const label = PIN_REFERENCES[pin].label;
  if (sw === 0x63c0 || sw === 0x6984 || sw === 0x6983) throw pinBlocked(pin, sw);
  if ((sw & 0xfff0) === 0x63c0) {
    const triesLeft = sw & 0x0f;
    throw new CardError('WRONG_PIN', `wrong ${label}: ${triesLeft} tries left`, {
      sw,
      details: { pin, triesLeft },
    });
  }
  throw errorForStatus(sw, `VERIFY of the ${label}`);
}

function pinBlocked(pin: PinName, sw?: number): CardError {
  return new CardError('PIN_BLOCKED', `the ${PIN_REFERENCES[pin].label} is blocked`, {
    ...(sw !== undefined && { sw }),
    details: { pin, triesLeft: 0 },
  });
}
