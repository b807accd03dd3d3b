import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  publicDecrypt,
  verify,
  X509Certificate,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collationNumberB } from '../src/personas/collation-numbers.js';
import { getPersona } from '../src/personas/personas.js';
import { CONTACTLESS_ATR } from '../src/virtual-card/aids.js';
import type { CardState } from '../src/virtual-card/card-state.js';
import { createVirtualCard } from '../src/virtual-card/create-virtual-card.js';
import {
  loadState,
  saveState,
  type VirtualCardRuntimeOptions,
  VirtualMyNumberCard,
} from '../src/virtual-card/virtual-my-number-card.js';
import { AID, apdu, ascii, DIGEST_INFO_PREFIX, Driver, fromHex, parseTlvs, toHex } from './apdu-helpers.js';

const OK = 0x9000;
const taro = getPersona('taro');

let taroState: CardState;
let sakuraState: CardState;
const tmp = mkdtempSync(join(tmpdir(), 'mynakit-vcard-test-'));

beforeAll(async () => {
  taroState = (await createVirtualCard({ persona: 'taro' })).toState();
  sakuraState = (await createVirtualCard({ persona: 'sakura' })).toState();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh taro card (cheap: rebuilt from the state built once). */
function card(runtime: VirtualCardRuntimeOptions = {}): VirtualMyNumberCard {
  return VirtualMyNumberCard.fromState(taroState, runtime);
}

function driver(runtime: VirtualCardRuntimeOptions = {}): { c: VirtualMyNumberCard; d: Driver } {
  const c = card(runtime);
  return { c, d: new Driver(c) };
}

function digestInfo(alg: 'sha1' | 'sha256' | 'sha384' | 'sha512', data: Uint8Array): Uint8Array {
  const digest = createHash(alg).update(data).digest();
  return Uint8Array.from([...DIGEST_INFO_PREFIX[alg], ...digest]);
}

describe('ATR and power', () => {
  it('presents the contact ATR by default and a configured one otherwise', () => {
    expect(toHex(card().atr)).toBe('3BE000FF8131FE4514');
    expect(card({ atr: CONTACTLESS_ATR }).atr).toEqual(CONTACTLESS_ATR);
  });

  it('power off and reset clear the selected AP and every verified state', async () => {
    for (const clear of ['reset', 'off'] as const) {
      const { c, d } = driver();
      await d.selectAp(AID.jpki);
      await d.selectEf(0x0018);
      expect((await d.verify(taro.pins.auth)).sw).toBe(OK);
      if (clear === 'reset') c.reset();
      else {
        c.powerOff();
        expect(() => c.transmit(fromHex('00A4040C0AD392F000260100000001'))).toThrow(/powered off/);
        c.powerOn();
      }
      // No AP selected any more.
      expect((await d.selectEf(0x0017)).sw).toBe(0x6a82);
      await d.selectAp(AID.jpki);
      await d.selectEf(0x0017);
      expect((await d.sign(digestInfo('sha256', ascii('x')))).sw).toBe(0x6982);
    }
  });
});

describe('command dispatch (§8 status words)', () => {
  it('answers foreign AIDs with 6A 82 and proprietary probes with 6D 00', async () => {
    const { d } = driver();
    expect((await d.selectAp(fromHex('A000000308000010000100'))).sw).toBe(0x6a82); // PIV
    expect((await d.selectAp(fromHex('A0000001510000'))).sw).toBe(0x6a82); // GlobalPlatform ISD
    expect((await d.send('00CADF3005')).sw).toBe(0x6d00);
    expect((await d.send('00CB3FFF055C035FC10200')).sw).toBe(0x6d00);
    expect((await d.send('00840000 08'.replace(' ', ''))).sw).toBe(0x6d00); // GET CHALLENGE
    expect((await d.send('00B2010C00')).sw).toBe(0x6d00); // READ RECORD
  });

  it('answers an unknown CLA with 6E 00, also for a known INS in the wrong class', async () => {
    const { d } = driver();
    expect((await d.send('A0A4040C0AD392F000260100000001')).sw).toBe(0x6e00);
    expect((await d.send('0CB0000000')).sw).toBe(0x6e00);
    expect((await d.send('80A4040C0AD392F000260100000001')).sw).toBe(0x6e00);
    expect((await d.send(apdu(0x00, 0x2a, 0x9e, 0x9a, new Uint8Array(51), 256))).sw).toBe(0x6e00); // ISO PSO form
  });

  it('answers malformed APDUs with 67 00 and never throws', async () => {
    const { c, d } = driver();
    expect((await d.send('00A404')).sw).toBe(0x6700);
    expect((await d.send('')).sw).toBe(0x6700);
    expect((await d.send('00A4040C0AD392F0002601')).sw).toBe(0x6700); // Lc 10, 6 bytes
    expect((await d.send('00A4040C02D392F000')).sw).toBe(0x6700); // Lc 2, 4 bytes (not a Le either)
    expect((await d.send('00B0000000 00'.replace(' ', ''))).sw).toBe(0x6700); // 6-byte body start 00
    expect((await d.send('00B000000001')).sw).toBe(0x6700); // Lc 1 without data... then no Le
    // A deterministic fuzz: whatever the bytes, the card answers with at least a status word.
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const length = seed % 12;
      const bytes = new Uint8Array(length).map((_, k) => (seed >>> (k % 24)) & 0xff);
      if (length >= 2 && i % 3 === 0) bytes[0] = 0x00;
      const r = c.transmit(bytes);
      expect(r.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('answers bad P1/P2 with 6A 86', async () => {
    const { d } = driver();
    expect((await d.send(apdu(0x00, 0xa4, 0x05, 0x0c, AID.jpki))).sw).toBe(0x6a86);
    expect((await d.send(apdu(0x00, 0xa4, 0x04, 0x04, AID.jpki))).sw).toBe(0x6a86);
    await d.selectAp(AID.jpki);
    expect((await d.send(apdu(0x00, 0xb0, 0xe1, 0x00, undefined, 4))).sw).toBe(0x6a86); // SFI with bits 6-7
    expect((await d.send(apdu(0x00, 0xb0, 0x80, 0x00, undefined, 4))).sw).toBe(0x6a86); // SFI 0
    expect((await d.verify(undefined, 0x00)).sw).toBe(0x6a86);
    expect((await d.send(apdu(0x00, 0x20, 0x01, 0x80))).sw).toBe(0x6a86);
    await d.selectEf(0x0017);
    expect((await d.send(apdu(0x80, 0x2a, 0x00, 0x00, new Uint8Array(51), 256))).sw).toBe(0x6a86);
  });

  it('answers wrong Lc/Le with 67 00', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    expect((await d.send(apdu(0x00, 0xa4, 0x02, 0x0c, fromHex('000A00')))).sw).toBe(0x6700);
    await d.selectEf(0x000a);
    expect((await d.send('00B00000')).sw).toBe(0x6700); // READ BINARY without Le
    expect((await d.send(apdu(0x00, 0xb0, 0, 0, fromHex('00'), 4))).sw).toBe(0x6700); // with data
    await d.selectEf(0x0018);
    expect((await d.send(apdu(0x00, 0x20, 0x00, 0x80, undefined, 256))).sw).toBe(0x6700); // VERIFY with Le
  });
});

describe('SELECT', () => {
  it('selects an AP with P2 0C or 00, answering 90 00 without FCI', async () => {
    const { d } = driver();
    expect(await d.selectAp(AID.jpki)).toEqual({ data: new Uint8Array(0), sw: OK });
    expect(await d.send(apdu(0x00, 0xa4, 0x04, 0x00, AID.text))).toEqual({ data: new Uint8Array(0), sw: OK });
    expect((await d.send(apdu(0x00, 0xa4, 0x04, 0x0c, AID.visual, 256))).sw).toBe(OK); // stray Le tolerated
  });

  it('finds EFs only inside the selected AP', async () => {
    const { d } = driver();
    expect((await d.selectEf(0x000a)).sw).toBe(0x6a82);
    await d.selectAp(AID.text);
    expect((await d.selectEf(0x000a)).sw).toBe(0x6a82);
    await d.selectAp(AID.jpki);
    expect((await d.selectEf(0x000a)).sw).toBe(OK);
    expect((await d.selectEf(0x3f00)).sw).toBe(0x6a82);
  });

  it('re-selecting any AP (the current one too) clears verification; EF selection keeps it', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x001b);
    expect((await d.verify(taro.pins.sign!)).sw).toBe(OK);
    await d.selectEf(0x000a);
    await d.selectEf(0x0001);
    expect((await d.read(0, 4)).sw).toBe(OK);
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0001);
    expect((await d.read(0, 4)).sw).toBe(0x6982);
  });

  it('keeps the state when a SELECT fails (other middleware probing)', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x001b);
    await d.verify(taro.pins.sign!);
    expect((await d.selectAp(fromHex('A000000308000010000100'))).sw).toBe(0x6a82);
    await d.selectEf(0x0001);
    expect((await d.read(0, 4)).sw).toBe(OK);
  });
});

describe('READ BINARY', () => {
  it('reads the token EF 0006 (32 bytes, space padding by default, NUL on request)', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0006);
    const r = await d.send('00B0000020');
    expect(r.sw).toBe(OK);
    expect(Buffer.from(r.data).toString('latin1')).toBe('JPKIAPICCTOKEN2'.padEnd(32, ' '));
    const nul = await createVirtualCard({ persona: 'taro', tokenPadding: 'nul' });
    const d2 = new Driver(nul);
    await d2.selectAp(AID.jpki);
    await d2.selectEf(0x0006);
    expect(Buffer.from((await d2.read(0, 32)).data).toString('latin1')).toBe(
      'JPKIAPICCTOKEN2'.padEnd(32, '\0'),
    );
  });

  it('serves a fixed-size 2048-byte EF: content then FF padding', async () => {
    const { c, d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x000a);
    const whole = await d.read(0, 2048, true);
    expect(whole.sw).toBe(OK);
    expect(whole.data.length).toBe(2048);
    const cert = c.certificates.auth;
    expect(whole.data.subarray(0, cert.length)).toEqual(cert);
    expect(whole.data.subarray(cert.length).every((b) => b === 0xff)).toBe(true);
    expect(new X509Certificate(Buffer.from(cert)).subject).toContain(taro.jpki.authSubjectId);
  });

  it('answers 6B 00 at or past the end and 62 82 with the remaining bytes across it', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x000b);
    expect((await d.read(2048, 1)).sw).toBe(0x6b00);
    expect((await d.read(0x7fff, 1)).sw).toBe(0x6b00);
    const cross = await d.read(2040, 16);
    expect(cross.sw).toBe(0x6282);
    expect(cross.data.length).toBe(8);
    const last = await d.read(1792, 256);
    expect(last.sw).toBe(OK);
    expect(last.data.length).toBe(256);
  });

  it('takes short Le 00 as 256 and extended Le 0000 as 65536', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x000a);
    const short = await d.send('00B0000000');
    expect(short.sw).toBe(OK);
    expect(short.data.length).toBe(256);
    const ext = await d.send('00B0000000 0000'.replace(' ', ''));
    expect(ext.sw).toBe(0x6282); // fewer than 65536 bytes remain
    expect(ext.data.length).toBe(2048);
    const ext2 = await d.send('00B00100000100'); // offset 256, Le 256 extended
    expect(ext2.data).toEqual(ext.data.subarray(256, 512));
  });

  it('reads by SFI (P1 = 80|sfi, P2 = offset) and that selects the EF', async () => {
    const { c, d } = driver();
    await d.selectAp(AID.jpki);
    const bySfi = await d.send(apdu(0x00, 0xb0, 0x80 | 0x0b, 0x00, undefined, 16));
    expect(bySfi.sw).toBe(OK);
    expect(bySfi.data).toEqual(c.certificates.authCa.subarray(0, 16));
    expect((await d.read(16, 16)).data).toEqual(c.certificates.authCa.subarray(16, 32));
    expect((await d.send(apdu(0x00, 0xb0, 0x80 | 0x01, 0x00, undefined, 16))).sw).toBe(0x6982);
    expect((await d.send(apdu(0x00, 0xb0, 0x80 | 0x1e, 0x00, undefined, 16))).sw).toBe(0x6a82);
  });

  it('never reads PIN or key EFs and needs a current EF', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    expect((await d.read(0, 4)).sw).toBe(0x6986);
    await d.selectEf(0x0018);
    expect((await d.read(0, 4)).sw).toBe(0x6982);
    await d.verify(taro.pins.auth);
    await d.selectEf(0x0017);
    expect((await d.read(0, 4)).sw).toBe(0x6982);
  });

  it('rejects every extended APDU with 67 00 when extended length is off', async () => {
    const { d } = driver({ extendedLength: false });
    await d.selectAp(AID.jpki);
    expect((await d.send(apdu(0x00, 0xa4, 0x04, 0x0c, AID.jpki, undefined, true))).sw).toBe(0x6700);
    await d.selectEf(0x000a);
    expect((await d.send('00B00000000000')).sw).toBe(0x6700);
    expect((await d.read(0, 256)).sw).toBe(OK);
  });
});

describe('VERIFY', () => {
  it('answers the empty query with 63 Cx without consuming a try, also after success', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0018);
    expect((await d.verify(undefined)).sw).toBe(0x63c3);
    expect((await d.verify(undefined)).sw).toBe(0x63c3);
    expect((await d.verify(taro.pins.auth)).sw).toBe(OK);
    expect((await d.verify(undefined)).sw).toBe(0x63c3);
    await d.selectEf(0x001b);
    expect((await d.verify(undefined)).sw).toBe(0x63c5);
  });

  it('decrements on a wrong PIN, blocks at 0 and then answers 69 84', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0018);
    expect((await d.verify('0000')).sw).toBe(0x63c2);
    expect((await d.verify('0001')).sw).toBe(0x63c1);
    expect((await d.verify('0002')).sw).toBe(0x63c0);
    expect((await d.verify(taro.pins.auth)).sw).toBe(0x6984);
    expect((await d.verify('0000')).sw).toBe(0x6984);
    expect((await d.verify(undefined)).sw).toBe(0x63c0);
  });

  it('answers 69 83 for a blocked PIN when configured', async () => {
    const { d } = driver({ blockedSw: 0x6983 });
    await d.selectAp(AID.text);
    await d.selectEf(0x0011);
    for (const wrong of ['0000', '0001', '0002']) await d.verify(wrong);
    expect((await d.verify(taro.pins.textAp)).sw).toBe(0x6983);
  });

  it('resets the counter to its maximum on success (3 for PINs, 5 for the signing password)', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0018);
    await d.verify('9999');
    await d.verify('9998');
    expect((await d.verify(undefined)).sw).toBe(0x63c1);
    expect((await d.verify(taro.pins.auth)).sw).toBe(OK);
    expect((await d.verify(undefined)).sw).toBe(0x63c3);
    await d.selectEf(0x001b);
    expect((await d.verify('WRONG1')).sw).toBe(0x63c4);
    expect((await d.verify(taro.pins.sign!)).sw).toBe(OK);
    expect((await d.verify(undefined)).sw).toBe(0x63c5);
  });

  it('a wrong VERIFY withdraws an earlier verification of that PIN', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x001b);
    await d.verify(taro.pins.sign!);
    await d.verify('NOTIT1');
    await d.selectEf(0x0001);
    expect((await d.read(0, 4)).sw).toBe(0x6982);
  });

  it('addresses the PIN by SFI with P2 = 80|SFI', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    expect((await d.verify(undefined, 0x98)).sw).toBe(0x63c3);
    expect((await d.verify(taro.pins.auth, 0x98)).sw).toBe(OK);
    await d.selectEf(0x0017);
    expect((await d.sign(digestInfo('sha256', ascii('sfi')))).sw).toBe(OK);
    expect((await d.verify(undefined, 0x8a)).sw).toBe(0x6a82); // SFI 0A is a certificate, not a PIN
  });

  it('needs a PIN EF: 69 86 without a current EF or on a binary EF', async () => {
    const { d } = driver();
    expect((await d.verify('1234')).sw).toBe(0x6986);
    await d.selectAp(AID.jpki);
    expect((await d.verify('1234')).sw).toBe(0x6986);
    await d.selectEf(0x000a);
    expect((await d.verify('1234')).sw).toBe(0x6986);
  });

  it('uses 10 tries for 照合番号A/B', async () => {
    const { d } = driver();
    await d.selectAp(AID.text);
    await d.selectEf(0x0014);
    expect((await d.verify(undefined)).sw).toBe(0x63ca);
    await d.selectEf(0x0015);
    expect((await d.verify('00000000000000')).sw).toBe(0x63c9);
    await d.selectAp(AID.visual);
    await d.selectEf(0x0013);
    expect((await d.verify(undefined)).sw).toBe(0x63ca);
  });
});

describe('access to protected EFs', () => {
  it('JPKI sign certificate EF 0001 needs the signing password', async () => {
    const { c, d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0001);
    expect((await d.read(0, 7)).sw).toBe(0x6982);
    await d.selectEf(0x0018);
    await d.verify(taro.pins.auth); // the auth PIN does not open it
    await d.selectEf(0x0001);
    expect((await d.read(0, 7)).sw).toBe(0x6982);
    await d.selectEf(0x001b);
    await d.verify(taro.pins.sign!);
    await d.selectEf(0x0001);
    expect(await d.readTlv()).toEqual(c.certificates.sign);
    await d.selectEf(0x0002);
    expect(await d.readTlv()).toEqual(c.certificates.signCa);
  });

  it('入力補助AP: PIN opens 0001–0003, 照合番号A opens 0001/0002, 照合番号B opens 0002 only', async () => {
    const cases: [number, string, number[], number[]][] = [
      [0x0011, taro.pins.textAp, [0x0001, 0x0002, 0x0003], []],
      [0x0014, taro.myNumber, [0x0001, 0x0002], [0x0003]],
      [0x0015, collationNumberB(taro), [0x0002], [0x0001, 0x0003]],
    ];
    for (const [pinEf, value, open, closed] of cases) {
      const { d } = driver();
      await d.selectAp(AID.text);
      for (const fid of [0x0001, 0x0002, 0x0003]) {
        await d.selectEf(fid);
        expect((await d.read(0, 4)).sw).toBe(0x6982);
      }
      for (const fid of [0x0004, 0x0005]) {
        await d.selectEf(fid);
        expect((await d.read(0, 4)).sw).toBe(OK);
      }
      await d.selectEf(pinEf);
      expect((await d.verify(value)).sw).toBe(OK);
      for (const fid of open) {
        await d.selectEf(fid);
        expect((await d.read(0, 4)).sw, `EF ${fid} after ${pinEf}`).toBe(OK);
      }
      for (const fid of closed) {
        await d.selectEf(fid);
        expect((await d.read(0, 4)).sw, `EF ${fid} after ${pinEf}`).toBe(0x6982);
      }
    }
  });

  it('券面AP: 照合番号B opens the front 0002, 照合番号A also the back 0005', async () => {
    for (const [pinEf, value, backSw] of [
      [0x0012, collationNumberB(taro), 0x6982],
      [0x0013, taro.myNumber, OK],
    ] as const) {
      const { d } = driver();
      await d.selectAp(AID.visual);
      await d.selectEf(0x0002);
      expect((await d.read(0, 4)).sw).toBe(0x6982);
      await d.selectEf(0x0003);
      expect((await d.read(0, 4)).sw).toBe(OK);
      await d.selectEf(pinEf);
      expect((await d.verify(value)).sw).toBe(OK);
      await d.selectEf(0x0002);
      expect((await d.read(0, 4)).sw).toBe(OK);
      await d.selectEf(0x0005);
      expect((await d.read(0, 4)).sw).toBe(backSw);
    }
  });
});

describe('COMPUTE DIGITAL SIGNATURE', () => {
  const algorithms = ['sha1', 'sha256', 'sha384', 'sha512'] as const;

  it.each(algorithms)(
    'signs a %s DigestInfo with the auth key, verifiable against the certificate',
    async (alg) => {
      const { c, d } = driver();
      await d.selectAp(AID.jpki);
      await d.selectEf(0x0018);
      await d.verify(taro.pins.auth);
      await d.selectEf(0x0017);
      const data = ascii(`message for ${alg}`);
      const r = await d.sign(digestInfo(alg, data));
      expect(r.sw).toBe(OK);
      expect(r.data.length).toBe(256);
      const publicKey = new X509Certificate(Buffer.from(c.certificates.auth)).publicKey;
      expect(verify(alg, data, publicKey, r.data)).toBe(true);
      expect(verify(alg, ascii('other'), publicKey, r.data)).toBe(false);
    },
  );

  it.each(algorithms)('signs a %s DigestInfo with the signing key after the password', async (alg) => {
    const { c, d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x001b);
    await d.verify(taro.pins.sign!);
    await d.selectEf(0x001a);
    const data = ascii(`document ${alg}`);
    const r = await d.sign(digestInfo(alg, data));
    expect(r.sw).toBe(OK);
    const publicKey = new X509Certificate(Buffer.from(c.certificates.sign!)).publicKey;
    expect(verify(alg, data, publicKey, r.data)).toBe(true);
  });

  it('pads with PKCS#1 v1.5 type 01 over exactly the bytes sent, up to 245 bytes', async () => {
    const { c, d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0018);
    await d.verify(taro.pins.auth);
    await d.selectEf(0x0017);
    const publicKey = new X509Certificate(Buffer.from(c.certificates.auth)).publicKey;
    const raw = new Uint8Array(245).map((_, i) => i);
    const r = await d.sign(raw, true);
    expect(r.sw).toBe(OK);
    expect(
      new Uint8Array(publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, r.data)),
    ).toEqual(raw);
    // Raw RSA shows the block type: 00 01 FF … FF 00 || data.
    const em = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, r.data);
    expect([em[0], em[1], em[2]]).toEqual([0x00, 0x01, 0xff]);
    expect((await d.sign(new Uint8Array(246), true)).sw).toBe(0x6700);
  });

  it('signs several times after one VERIFY', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0018);
    await d.verify(taro.pins.auth);
    await d.selectEf(0x0017);
    for (let i = 0; i < 3; i++) expect((await d.sign(digestInfo('sha256', ascii(String(i))))).sw).toBe(OK);
  });

  it('refuses without the key PIN (69 82), without a key EF (69 86) and without Le (67 00)', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    expect((await d.sign(digestInfo('sha256', ascii('a')))).sw).toBe(0x6986);
    await d.selectEf(0x0017);
    expect((await d.sign(digestInfo('sha256', ascii('a')))).sw).toBe(0x6982);
    await d.selectEf(0x001b);
    await d.verify(taro.pins.sign!); // the signing password does not open the auth key
    await d.selectEf(0x0017);
    expect((await d.sign(digestInfo('sha256', ascii('a')))).sw).toBe(0x6982);
    await d.selectEf(0x000a);
    expect((await d.sign(digestInfo('sha256', ascii('a')))).sw).toBe(0x6986);
    await d.selectEf(0x001a);
    expect((await d.send(apdu(0x80, 0x2a, 0x00, 0x80, digestInfo('sha256', ascii('a'))))).sw).toBe(0x6700);
    expect((await d.send(apdu(0x80, 0x2a, 0x00, 0x80, digestInfo('sha256', ascii('a')), 128))).sw).toBe(
      0x6700,
    );
    expect((await d.sign(digestInfo('sha256', ascii('a')))).sw).toBe(OK);
  });

  it('accepts extended Lc/Le when extended length is on, 67 00 when off', async () => {
    for (const [extendedLength, expected] of [
      [true, OK],
      [false, 0x6700],
    ] as const) {
      const { d } = driver({ extendedLength });
      await d.selectAp(AID.jpki);
      await d.selectEf(0x0018);
      await d.verify(taro.pins.auth);
      await d.selectEf(0x0017);
      expect((await d.sign(digestInfo('sha512', ascii('e')), true)).sw).toBe(expected);
    }
  });
});

describe('CHANGE REFERENCE DATA', () => {
  it('changes a PIN after VERIFY of that PIN; the old value then fails', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0018);
    expect((await d.send(apdu(0x00, 0x24, 0x01, 0x80, ascii('9876')))).sw).toBe(0x6982);
    await d.verify(taro.pins.auth);
    expect((await d.send(apdu(0x00, 0x24, 0x01, 0x80, ascii('9876')))).sw).toBe(OK);
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0018);
    expect((await d.verify(taro.pins.auth)).sw).toBe(0x63c2);
    expect((await d.verify('9876')).sw).toBe(OK);
    expect((await d.verify(undefined)).sw).toBe(0x63c3);
  });

  it('validates the new value: length → 67 00, characters → 6A 80', async () => {
    const { d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0018);
    await d.verify(taro.pins.auth);
    expect((await d.send(apdu(0x00, 0x24, 0x01, 0x80, ascii('12345')))).sw).toBe(0x6700);
    expect((await d.send(apdu(0x00, 0x24, 0x01, 0x80, ascii('12a4')))).sw).toBe(0x6a80);
    await d.selectEf(0x001b);
    await d.verify(taro.pins.sign!);
    expect((await d.send(apdu(0x00, 0x24, 0x01, 0x80, ascii('ABC12')))).sw).toBe(0x6700);
    expect((await d.send(apdu(0x00, 0x24, 0x01, 0x80, ascii('abc123')))).sw).toBe(0x6a80);
    expect((await d.send(apdu(0x00, 0x24, 0x01, 0x80, ascii('NEWPASS2026')))).sw).toBe(OK);
    expect((await d.send(apdu(0x00, 0x24, 0x00, 0x80, ascii('NEWPASS2027')))).sw).toBe(0x6a86);
  });

  it('does not change 照合番号 (derived from card data)', async () => {
    const { d } = driver();
    await d.selectAp(AID.text);
    await d.selectEf(0x0014);
    await d.verify(taro.myNumber);
    expect((await d.send(apdu(0x00, 0x24, 0x01, 0x80, ascii('123456789018')))).sw).toBe(0x6985);
  });
});

describe('GET RESPONSE (getResponseChunk)', () => {
  it('serves long answers in pieces with 61xx and keeps the final status word', async () => {
    const plain = driver().d;
    await plain.selectAp(AID.jpki);
    await plain.selectEf(0x000a);
    const expected = await plain.read(0, 256);

    const { d } = driver({ getResponseChunk: 100 });
    await d.selectAp(AID.jpki);
    await d.selectEf(0x000a);
    const first = await d.read(0, 256);
    expect(first.sw).toBe(0x619c); // 156 more
    expect(first.data.length).toBe(100);
    const second = await d.send('00C000009C');
    expect(second.sw).toBe(0x6138); // 56 more (pieces stay ≤ 100)
    const third = await d.send('00C0000038');
    expect(third.sw).toBe(OK);
    expect(Uint8Array.from([...first.data, ...second.data, ...third.data])).toEqual(expected.data);

    const eof = await d.read(2000, 256);
    expect(eof.sw).toBe(0x6282); // 48 bytes to the end: one piece, no 61xx
    expect(eof.data.length).toBe(48);
  });

  it('keeps 62 82 as the final SW of a chunked short read and chunks signatures', async () => {
    const { c, d } = driver({ getResponseChunk: 64 });
    await d.selectAp(AID.jpki);
    await d.selectEf(0x000a);
    const first = await d.read(1900, 256); // 148 bytes to the end
    expect(first.sw).toBe(0x6154);
    const rest = await d.send('00C0000000');
    expect(rest.sw).toBe(0x6114);
    const last = await d.send('00C0000014');
    expect(last.sw).toBe(0x6282);
    expect(first.data.length + rest.data.length + last.data.length).toBe(148);

    await d.selectEf(0x0018);
    await d.verify(taro.pins.auth);
    await d.selectEf(0x0017);
    const data = ascii('chunked');
    const parts: Uint8Array[] = [];
    let r = await d.sign(digestInfo('sha256', data));
    parts.push(r.data);
    while (r.sw >> 8 === 0x61) {
      r = await d.send(apdu(0x00, 0xc0, 0x00, 0x00, undefined, r.sw & 0xff || 256));
      parts.push(r.data);
    }
    expect(r.sw).toBe(OK);
    const signature = Buffer.concat(parts);
    expect(signature.length).toBe(256);
    expect(
      verify('sha256', data, new X509Certificate(Buffer.from(c.certificates.auth)).publicKey, signature),
    ).toBe(true);
  });

  it('drops pending data on any other command; GET RESPONSE without pending data → 69 85', async () => {
    const { d } = driver({ getResponseChunk: 100 });
    expect((await d.send('00C0000010')).sw).toBe(0x6985);
    await d.selectAp(AID.jpki);
    await d.selectEf(0x000a);
    expect((await d.read(0, 256)).sw).toBe(0x619c);
    await d.selectEf(0x000b);
    expect((await d.send('00C000009C')).sw).toBe(0x6985);
    expect((await d.send('00C0010000')).sw).toBe(0x6a86);
  });
});

describe('券面事項入力補助AP contents', () => {
  async function unlocked() {
    const { c, d } = driver();
    await d.selectAp(AID.text);
    await d.selectEf(0x0011);
    await d.verify(taro.pins.textAp);
    return { c, d };
  }

  it('EF 0001 holds DF 10 0C <12 ASCII digits> (clients read 17 bytes)', async () => {
    const { d } = await unlocked();
    await d.selectEf(0x0001);
    const r = await d.send('00B0000011');
    expect(r.sw).toBe(OK);
    expect(toHex(r.data.subarray(0, 3))).toBe('DF100C');
    expect(Buffer.from(r.data.subarray(3, 15)).toString('latin1')).toBe(taro.myNumber);
    expect(toHex(r.data.subarray(15))).toBe('FFFF');
  });

  it('EF 0002 holds FF 20 { DF 21 offsets, DF 22 name, DF 23 address, DF 24 birth, DF 25 sex }', async () => {
    const { d } = await unlocked();
    await d.selectEf(0x0002);
    const raw = await d.readTlv();
    const [template] = parseTlvs(raw);
    expect(template!.tag).toBe('FF20');
    const items = parseTlvs(template!.value);
    expect(items.map((i) => i.tag)).toEqual(['DF21', 'DF22', 'DF23', 'DF24', 'DF25']);
    const text = (i: number) => new TextDecoder().decode(items[i]!.value);
    expect(text(1)).toBe(taro.name);
    expect(text(2)).toBe(taro.address);
    expect(text(3)).toBe('19800515');
    expect(text(4)).toBe('1');
    // DF 21: 2-byte offsets of the following TLVs from the start of the template value.
    const offsets = items[0]!.value;
    let at = items[0]!.raw.length;
    for (let i = 1; i < items.length; i++) {
      expect((offsets[2 * (i - 1)]! << 8) | offsets[2 * (i - 1) + 1]!).toBe(at);
      at += items[i]!.raw.length;
    }
  });

  it('EF 0003 (336 bytes) hashes both TLVs and its signature verifies with the CV certificate key of EF 0004', async () => {
    const { d } = await unlocked();
    await d.selectEf(0x0001);
    const myNumberTlv = parseTlvs((await d.read(0, 17)).data.subarray(0, 15))[0]!.raw;
    await d.selectEf(0x0002);
    const basicFour = await d.readTlv();
    await d.selectEf(0x0003);
    const integrity = await d.readTlv();
    expect(integrity.length).toBe(336);
    expect(toHex(integrity.subarray(0, 5))).toBe('FF3082014B');
    const [df31, df32, df33] = parseTlvs(parseTlvs(integrity)[0]!.value);
    expect([df31!.tag, df32!.tag, df33!.tag]).toEqual(['DF31', 'DF32', 'DF33']);
    expect(df31!.value).toEqual(new Uint8Array(createHash('sha256').update(myNumberTlv).digest()));
    expect(df32!.value).toEqual(new Uint8Array(createHash('sha256').update(basicFour).digest()));
    expect(toHex(df33!.raw.subarray(0, 5))).toBe('DF33820100');

    await d.selectEf(0x0004);
    const cv = await d.readTlv();
    expect(cv.length).toBe(568);
    expect(toHex(cv.subarray(0, 5))).toBe('7F21820233');
    const [body, sig] = parseTlvs(parseTlvs(cv)[0]!.value);
    expect(body!.tag).toBe('5F4E');
    expect(toHex(body!.raw.subarray(0, 5))).toBe('5F4E820129');
    expect(sig!.tag).toBe('5F37');
    const keyPart = parseTlvs(body!.value.subarray(32));
    expect(keyPart.map((k) => k.tag)).toEqual(['90', '91']);
    expect(toHex(keyPart[0]!.value)).toBe('010001');
    const publicKey = createPublicKey({
      key: { kty: 'RSA', n: Buffer.from(keyPart[1]!.value).toString('base64url'), e: 'AQAB' },
      format: 'jwk',
    });
    const signed = Uint8Array.from([...df31!.value, ...df32!.value]);
    expect(verify('sha256', signed, publicKey, df33!.value)).toBe(true);
  });

  it('EF 0005 basic info is readable without a PIN', async () => {
    const { d } = driver();
    await d.selectAp(AID.text);
    await d.selectEf(0x0005);
    const [info] = parseTlvs(await d.readTlv());
    expect(info!.tag).toBe('FF40');
    expect(parseTlvs(info!.value).map((i) => [i.tag, i.value.length])).toEqual([
      ['DF41', 4],
      ['DF42', 16],
    ]);
  });
});

describe('券面AP contents', () => {
  it('front EF 0002: FF 20 82 HH LL with DF 21…DF 2A, JP2 photo, PNG images and a verifiable signature', async () => {
    const { d } = driver();
    await d.selectAp(AID.visual);
    await d.selectEf(0x0012);
    await d.verify(collationNumberB(taro));
    await d.selectEf(0x0002);
    const raw = await d.readTlv();
    expect(toHex(raw.subarray(0, 3))).toBe('FF2082');
    const items = parseTlvs(parseTlvs(raw)[0]!.value);
    expect(items.map((i) => i.tag)).toEqual([
      'DF21',
      'DF22',
      'DF23',
      'DF24',
      'DF25',
      'DF26',
      'DF27',
      'DF28',
      'DF29',
      'DF2A',
    ]);
    const byTag = Object.fromEntries(items.map((i) => [i.tag, i]));
    expect(new TextDecoder().decode(byTag.DF22!.value)).toBe('19800515');
    expect(new TextDecoder().decode(byTag.DF23!.value)).toBe('1');
    expect(new TextDecoder().decode(byTag.DF29!.value)).toBe('20350515');
    const png = '89504E470D0A1A0A';
    for (const tag of ['DF25', 'DF26', 'DF2A']) expect(toHex(byTag[tag]!.value.subarray(0, 8))).toBe(png);
    expect(toHex(byTag.DF27!.value.subarray(0, 12))).toBe('0000000C6A5020200D0A870A');
    const key = parseTlvs(byTag.DF24!.value);
    const publicKey = createPublicKey({
      key: {
        kty: 'RSA',
        e: Buffer.from(key[0]!.value).toString('base64url'),
        n: Buffer.from(key[1]!.value).toString('base64url'),
      },
      format: 'jwk',
    });
    const signed = Buffer.concat(['DF22', 'DF23', 'DF24', 'DF25', 'DF26', 'DF27'].map((t) => byTag[t]!.raw));
    expect(verify('sha256', signed, publicKey, byTag.DF28!.value)).toBe(true);
  });

  it('takes a pluggable face photo', async () => {
    const photo = Uint8Array.from([0, 0, 0, 12, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a, 1, 2, 3]);
    const c = await createVirtualCard({ persona: 'hanako', facePhoto: photo });
    const d = new Driver(c);
    await d.selectAp(AID.visual);
    await d.selectEf(0x0013);
    await d.verify(c.persona.myNumber);
    await d.selectEf(0x0002);
    const items = parseTlvs(parseTlvs(await d.readTlv())[0]!.value);
    expect(items.find((i) => i.tag === 'DF27')!.value).toEqual(photo);
  });

  it('back EF 0005: FF 40 { DF 41 PNG, DF 42 key, DF 43 signature over DF 41 }', async () => {
    const { d } = driver();
    await d.selectAp(AID.visual);
    await d.selectEf(0x0013);
    await d.verify(taro.myNumber);
    await d.selectEf(0x0005);
    const [back] = parseTlvs(await d.readTlv());
    expect(back!.tag).toBe('FF40');
    const [img, key, sig] = parseTlvs(back!.value);
    expect([img!.tag, key!.tag, sig!.tag]).toEqual(['DF41', 'DF42', 'DF43']);
    const k = parseTlvs(key!.value);
    const publicKey = createPublicKey({
      key: {
        kty: 'RSA',
        e: Buffer.from(k[0]!.value).toString('base64url'),
        n: Buffer.from(k[1]!.value).toString('base64url'),
      },
      format: 'jwk',
    });
    expect(verify('sha256', img!.raw, publicKey, sig!.value)).toBe(true);
  });
});

describe('a card without a signing certificate (child)', () => {
  it('keeps EF 0001 empty, has no usable signing password, and still does auth', async () => {
    const c = VirtualMyNumberCard.fromState(sakuraState);
    const d = new Driver(c);
    const sakura = c.persona;
    expect(sakura.id).toBe('sakura');
    expect(c.certificates.sign).toBeNull();
    const ef0001 = c.application('jpki')!.efs.find((e) => e.fid === '0001');
    expect(ef0001).toMatchObject({ type: 'binary', content: '' });
    await d.selectAp(AID.jpki);
    await d.selectEf(0x001b);
    expect((await d.verify(undefined)).sw).toBe(0x63c0);
    expect((await d.verify('ANYTHING1')).sw).toBe(0x6984);
    await d.selectEf(0x0001);
    expect((await d.read(0, 4)).sw).toBe(0x6982);
    await d.selectEf(0x001a);
    expect((await d.sign(digestInfo('sha256', ascii('x')))).sw).toBe(0x6982);
    await d.selectEf(0x0002);
    expect((await d.read(0, 4)).sw).toBe(OK); // the signing CA certificate is still there
    await d.selectEf(0x0018);
    expect((await d.verify(sakura.pins.auth)).sw).toBe(OK);
    await d.selectEf(0x0017);
    expect((await d.sign(digestInfo('sha256', ascii('x')))).sw).toBe(OK);
  });
});

describe('state', () => {
  it('round-trips through toState/fromState: a blocked PIN stays blocked', async () => {
    const { c, d } = driver();
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0018);
    for (const wrong of ['0000', '0001', '0002']) await d.verify(wrong);
    const state = JSON.parse(JSON.stringify(c.toState()));
    const reloaded = VirtualMyNumberCard.fromState(state);
    const d2 = new Driver(reloaded);
    await d2.selectAp(AID.jpki);
    await d2.selectEf(0x0018);
    expect((await d2.verify(taro.pins.auth)).sw).toBe(0x6984);
    // The other PINs are untouched.
    await d2.selectEf(0x001b);
    expect((await d2.verify(undefined)).sw).toBe(0x63c5);
  });

  it('holds PIN values, counters, PKCS#8 keys, certificates and EF contents', () => {
    const state = card().toState();
    expect(state.persona.id).toBe('taro');
    const jpki = state.applications.find((a) => a.name === 'jpki')!;
    const authKey = jpki.efs.find((e) => e.fid === '0017');
    expect(authKey?.type).toBe('key');
    const pkcs8 = Buffer.from((authKey as { privateKey: string }).privateKey, 'base64');
    const publicFromKey = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
    const publicFromCert = new X509Certificate(Buffer.from(state.certificates.auth, 'base64')).publicKey;
    expect(publicFromKey.equals(publicFromCert)).toBe(true);
    expect(jpki.efs.find((e) => e.fid === '0018')).toMatchObject({
      pin: { value: taro.pins.auth, triesLeft: 3, maxTries: 3 },
    });
    expect(state.options).toEqual({
      extendedLength: true,
      atr: '3BE000FF8131FE4514',
      getResponseChunk: null,
      blockedSw: 0x6984,
    });
  });

  it('rejects an invalid state', () => {
    const state = card().toState();
    const pinEf = state.applications[0]!.efs.find((e) => e.type === 'pin')!;
    if (pinEf.type === 'pin') pinEf.pin.triesLeft = 9;
    expect(() => VirtualMyNumberCard.fromState(state)).toThrow();
    expect(() => VirtualMyNumberCard.fromState({ format: 'something-else' })).toThrow();
  });

  it('saves and loads a file; with stateFile every counter change is persisted at once', async () => {
    const file = join(tmp, 'cards', 'taro.json');
    const c = card({ stateFile: file });
    c.commit();
    const d = new Driver(c);
    await d.selectAp(AID.text);
    await d.selectEf(0x0011);
    expect((await d.verify('0000')).sw).toBe(0x63c2);
    const fromDisk = loadState(file);
    const d2 = new Driver(fromDisk);
    await d2.selectAp(AID.text);
    await d2.selectEf(0x0011);
    expect((await d2.verify(undefined)).sw).toBe(0x63c2);

    const other = join(tmp, 'explicit.json');
    saveState(fromDisk, other);
    expect(JSON.parse(readFileSync(other, 'utf8'))).toEqual(fromDisk.toState());
  });

  it('is deterministic: the same persona and options give the same card', async () => {
    const again = await createVirtualCard({ persona: 'taro' });
    expect(again.toState()).toEqual(taroState);
  });

  it('keeps the file table as data that tooling can update', async () => {
    const c = card();
    c.writeBinary('jpki', '0006', ascii('JPKIAPGPSETOKEN'));
    const d = new Driver(c);
    await d.selectAp(AID.jpki);
    await d.selectEf(0x0006);
    expect(Buffer.from((await d.read(0, 15)).data).toString('latin1')).toBe('JPKIAPGPSETOKEN');
    expect(() => c.writeBinary('jpki', '0006', new Uint8Array(33))).toThrow(RangeError);
  });
});
