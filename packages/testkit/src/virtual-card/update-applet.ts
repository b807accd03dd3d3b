import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import {
  activationReceipt,
  CHUNK_HEADER_LENGTH,
  commandMac,
  decodeUpdateBody,
  defaultCardId,
  deriveCardUpdateKey,
  equalConstantTime,
  isUpdateIns,
  SCRIPT_ID_LENGTH,
  TEST_ISSUER_MASTER_KEY,
  UPDATE_INS,
  UPDATE_SW,
  type UpdateTarget,
  unwrapPrivateKey,
} from '../jlis/update-protocol.js';
import type { CardManagement, CardState } from './card-state.js';
import type { CommandApdu } from './command-apdu.js';
import { bytesToHex, hexToBytes } from './tlv.js';

/** Where each target lives in the JPKI AP: private-key EF and certificate EF. */
const TARGET_EFS: Readonly<Record<UpdateTarget, { key: string; certificate: string }>> = {
  auth: { key: '0017', certificate: '000A' },
  sign: { key: '001A', certificate: '0001' },
};

/** A wrapped PKCS#8 key of RSA-2048 is about 1.25 KB; anything far larger is refused before buffering. */
const MAX_KEY_BLOB = 4096;

export interface UpdateAppletHost {
  /** The live persistent state (mutated on ACTIVATE only). */
  readonly state: CardState;
  /** The card's management data (always present once the card is built). */
  management(): CardManagement;
  jpkiSelected(): boolean;
  /** Persist the state (atomic file replace when a state file is set). */
  commit(): void;
}

interface Assembly {
  total: number;
  bytes: Uint8Array;
  received: number;
}

/** A script being received: RAM only, so power-off, reset or a new BEGIN throws it away. */
interface OpenScript {
  scriptId: Uint8Array;
  counter: number;
  commandCount: number;
  nextSequence: number;
  keys: Partial<Record<UpdateTarget, Assembly>>;
  certificates: Partial<Record<UpdateTarget, Assembly>>;
}

interface Reply {
  data?: Uint8Array;
  sw: number;
}

/** Default management data for a card built without any: the test master key diversified by a persona card id. */
export function defaultCardManagement(personaId: string): CardManagement {
  const cardId = defaultCardId(personaId);
  return {
    cardId: bytesToHex(cardId),
    updateKey: bytesToHex(deriveCardUpdateKey(TEST_ISSUER_MASTER_KEY, cardId)),
    scriptCounter: 0,
  };
}

/**
 * The card side of the update script (jlis/UPDATE-SCRIPT.md): verifies each command's MAC with the card's own
 * update key, stages keys and certificates in RAM and swaps them in at ACTIVATE in one step. Any refusal throws
 * the open script away, so a half-received script can never be activated.
 */
export class UpdateApplet {
  private open: OpenScript | undefined;

  constructor(private readonly host: UpdateAppletHost) {}

  /** Drop any staged data (power on/off, reset). */
  discard(): void {
    this.open = undefined;
  }

  /** Whether a script is open (for tests and tooling). */
  get staging(): boolean {
    return this.open !== undefined;
  }

  process(apdu: CommandApdu): Reply {
    const reply = this.handle(apdu);
    if (reply.sw !== UPDATE_SW.OK) this.open = undefined;
    return reply;
  }

  private handle(apdu: CommandApdu): Reply {
    if (!isUpdateIns(apdu.ins)) return { sw: UPDATE_SW.INS_NOT_SUPPORTED };
    if (apdu.p2 !== 0x00) return { sw: UPDATE_SW.WRONG_P1P2 };
    if (apdu.data === undefined) return { sw: UPDATE_SW.WRONG_LENGTH };
    const body = decodeUpdateBody(apdu.data);
    if (!body) return { sw: UPDATE_SW.WRONG_LENGTH };
    if (!this.host.jpkiSelected()) return { sw: UPDATE_SW.NOT_IN_JPKI };

    const management = this.host.management();
    const cardKey = hexToBytes(management.updateKey);
    const cardId = hexToBytes(management.cardId);
    const isBegin = apdu.ins === UPDATE_INS.BEGIN;
    if (isBegin && body.payload.length !== SCRIPT_ID_LENGTH + 2) return { sw: UPDATE_SW.WRONG_LENGTH };
    // BEGIN names the script; every later command is bound to the open script's id through its MAC.
    const scriptId = isBegin ? body.payload.subarray(0, SCRIPT_ID_LENGTH) : this.open?.scriptId;
    if (!scriptId) return { sw: UPDATE_SW.OUT_OF_SEQUENCE };
    const expected = commandMac(cardKey, {
      cardId,
      scriptId,
      header: Uint8Array.of(apdu.cla, apdu.ins, apdu.p1, apdu.p2),
      counter: body.counter,
      sequence: body.sequence,
      payload: body.payload,
    });
    if (!equalConstantTime(expected, body.mac)) return { sw: UPDATE_SW.MAC_INVALID };

    if (isBegin) {
      if (apdu.p1 !== 0x00) return { sw: UPDATE_SW.WRONG_P1P2 };
      if (body.sequence !== 0) return { sw: UPDATE_SW.OUT_OF_SEQUENCE };
      if (body.counter <= management.scriptCounter) return { sw: UPDATE_SW.REPLAYED };
      const commandCount = (body.payload[SCRIPT_ID_LENGTH]! << 8) | body.payload[SCRIPT_ID_LENGTH + 1]!;
      if (commandCount < 3) return { sw: UPDATE_SW.BAD_DATA };
      // A new BEGIN replaces whatever an earlier, unfinished script staged.
      this.open = {
        scriptId: scriptId.slice(),
        counter: body.counter,
        commandCount,
        nextSequence: 1,
        keys: {},
        certificates: {},
      };
      return { sw: UPDATE_SW.OK };
    }

    const open = this.open;
    if (!open || body.counter !== open.counter || body.sequence !== open.nextSequence)
      return { sw: UPDATE_SW.OUT_OF_SEQUENCE };
    if (body.sequence >= open.commandCount) return { sw: UPDATE_SW.OUT_OF_SEQUENCE };

    let reply: Reply;
    if (apdu.ins === UPDATE_INS.ACTIVATE) {
      if (apdu.p1 !== 0x00) return { sw: UPDATE_SW.WRONG_P1P2 };
      if (body.payload.length !== 0 || apdu.le === undefined) return { sw: UPDATE_SW.WRONG_LENGTH };
      // ACTIVATE must be the script's last command: nothing announced in BEGIN may be missing.
      if (body.sequence !== open.commandCount - 1) return { sw: UPDATE_SW.OUT_OF_SEQUENCE };
      reply = this.activate(open, cardKey, cardId);
    } else {
      const target = targetOf(apdu.p1);
      if (!target) return { sw: UPDATE_SW.WRONG_P1P2 };
      const slot = apdu.ins === UPDATE_INS.STAGE_KEY ? open.keys : open.certificates;
      const limit = apdu.ins === UPDATE_INS.STAGE_KEY ? MAX_KEY_BLOB : this.certificateEfSize(target);
      reply = stageChunk(slot, target, body.payload, limit);
    }
    if (reply.sw === UPDATE_SW.OK) open.nextSequence += 1;
    return reply;
  }

  private certificateEfSize(target: UpdateTarget): number {
    const ef = this.jpkiEf(TARGET_EFS[target].certificate);
    return ef?.type === 'binary' ? ef.size : 0;
  }

  private jpkiEf(fid: string) {
    return this.host.state.applications.find((a) => a.name === 'jpki')?.efs.find((e) => e.fid === fid);
  }

  /** Checks everything first, then applies all changes synchronously: no APDU can observe a half-swap. */
  private activate(open: OpenScript, cardKey: Uint8Array, cardId: Uint8Array): Reply {
    const targets = (['auth', 'sign'] as const).filter((t) => open.keys[t] || open.certificates[t]);
    if (targets.length === 0) return { sw: UPDATE_SW.BAD_DATA };
    const ready: { target: UpdateTarget; pkcs8: Uint8Array; certificate: Uint8Array }[] = [];
    for (const target of targets) {
      const key = complete(open.keys[target]);
      const certificate = complete(open.certificates[target]);
      if (!key || !certificate) return { sw: UPDATE_SW.BAD_DATA };
      const pkcs8 = unwrapPrivateKey(
        cardKey,
        { cardId, scriptId: open.scriptId, counter: open.counter, target },
        key,
      );
      if (!pkcs8 || !keyMatchesCertificate(pkcs8, certificate)) return { sw: UPDATE_SW.BAD_DATA };
      ready.push({ target, pkcs8, certificate });
    }
    const keyEfs = ready.map((r) => this.jpkiEf(TARGET_EFS[r.target].key));
    const certificateEfs = ready.map((r) => this.jpkiEf(TARGET_EFS[r.target].certificate));
    if (keyEfs.some((ef) => ef?.type !== 'key') || certificateEfs.some((ef) => ef?.type !== 'binary'))
      return { sw: UPDATE_SW.BAD_DATA };

    const state = this.host.state;
    ready.forEach((r, i) => {
      const keyEf = keyEfs[i];
      const certificateEf = certificateEfs[i];
      if (keyEf?.type === 'key') keyEf.privateKey = Buffer.from(r.pkcs8).toString('base64');
      if (certificateEf?.type === 'binary')
        certificateEf.content = Buffer.from(r.certificate).toString('base64');
      state.certificates[r.target] = Buffer.from(r.certificate).toString('base64');
    });
    this.host.management().scriptCounter = open.counter;
    this.open = undefined;
    this.host.commit();
    return { data: activationReceipt(cardKey, cardId, open.scriptId, open.counter), sw: UPDATE_SW.OK };
  }
}

function targetOf(p1: number): UpdateTarget | undefined {
  if (p1 === 0x01) return 'auth';
  if (p1 === 0x02) return 'sign';
  return undefined;
}

/** Chunks arrive in order: each one must start where the previous ended and agree on the total. */
function stageChunk(
  slot: Partial<Record<UpdateTarget, Assembly>>,
  target: UpdateTarget,
  payload: Uint8Array,
  limit: number,
): Reply {
  if (payload.length <= CHUNK_HEADER_LENGTH) return { sw: UPDATE_SW.WRONG_LENGTH };
  const total = (payload[0]! << 8) | payload[1]!;
  const offset = (payload[2]! << 8) | payload[3]!;
  const chunk = payload.subarray(CHUNK_HEADER_LENGTH);
  if (total === 0 || total > limit) return { sw: UPDATE_SW.BAD_DATA };
  let assembly = slot[target];
  if (offset === 0 && !assembly) {
    assembly = { total, bytes: new Uint8Array(total), received: 0 };
    slot[target] = assembly;
  }
  if (!assembly || assembly.total !== total || assembly.received !== offset)
    return { sw: UPDATE_SW.BAD_DATA };
  if (offset + chunk.length > total) return { sw: UPDATE_SW.BAD_DATA };
  assembly.bytes.set(chunk, offset);
  assembly.received += chunk.length;
  return { sw: UPDATE_SW.OK };
}

function complete(assembly: Assembly | undefined): Uint8Array | undefined {
  return assembly && assembly.received === assembly.total ? assembly.bytes : undefined;
}

function keyMatchesCertificate(pkcs8: Uint8Array, der: Uint8Array): boolean {
  try {
    const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    if (privateKey.asymmetricKeyType !== 'rsa') return false;
    const fromKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    const fromCertificate = new X509Certificate(Buffer.from(der)).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    return fromKey.equals(fromCertificate);
  } catch {
    return false;
  }
}
