import { describe, expect, it } from 'vitest';
import { ApduRedactor, formatApduForLog } from '../src/transport/index.js';

const h = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const JPKI = 'D392F000260100000001';
const TEXT = 'D3921000310001010408';
const VISUAL = 'D3921000310001010402';
const selectAp = (aid: string) => h(`00A4040C0A${aid}`);
const selectEf = (fid: string) => h(`00A4020C02${fid}`);
const READ = h('00B0000000');
const OK = h('9000');
const DATA = h('DF100C3132333435363738393031329000'); // something personal-looking

/** Run an exchange list through one redactor and return the log lines. */
function run(exchanges: [Uint8Array, Uint8Array][], redactor = new ApduRedactor()): string[] {
  return exchanges.flatMap(([command, response]) => [
    formatApduForLog(command, { direction: 'command', redactor }),
    formatApduForLog(response, { direction: 'response', redactor }),
  ]);
}

describe('ApduRedactor', () => {
  it('never shows VERIFY data or its length, but shows the empty retry query', () => {
    const pin = '31323334';
    const lines = run([
      [selectAp(JPKI), OK],
      [selectEf('0018'), OK],
      [h('0020008000'.slice(0, 8)), h('63C3')],
      [h(`0020008004${pin}`), OK],
      [h('0020009804 39393939'), h('63C2')],
    ]);
    expect(lines).toEqual([
      `=> 00A4040C0A${JPKI}`,
      '<= 9000',
      '=> 00A4020C020018',
      '<= 9000',
      '=> 00200080',
      '<= 63C3',
      '=> 00200080 [redacted pin]',
      '<= 9000',
      '=> 00200098 [redacted pin]',
      '<= 63C2',
    ]);
    expect(lines.join('\n')).not.toContain(pin);
    // Same line whatever the PIN length: the length is not leaked either.
    const redactor = new ApduRedactor();
    expect(`=> ${redactor.command(h('002000800A 31323334353637383930'))}`).toBe(lines[6]);
  });

  it('hides the data of CHANGE REFERENCE DATA, extended length included', () => {
    const redactor = new ApduRedactor();
    expect(redactor.command(h('002401800841424344454647 48'))).toBe('00240180 [redacted pin]');
    expect(redactor.command(h('00240180000008 4142434445464748'))).toBe('00240180 [redacted pin]');
  });

  it('redacts reads of every personal EF', () => {
    const personal: [string, string][] = [
      [TEXT, '0001'],
      [TEXT, '0002'],
      [TEXT, '0003'],
      [VISUAL, '0001'],
      [VISUAL, '0002'],
      [VISUAL, '0005'],
      [JPKI, '0001'],
    ];
    for (const [aid, fid] of personal) {
      const lines = run([
        [selectAp(aid), OK],
        [selectEf(fid), OK],
        [READ, DATA],
      ]);
      expect(lines[5], `${aid} ${fid}`).toBe('<= [redacted personal data] 9000');
    }
  });

  it('keeps CA certificates, the auth certificate, the token and signatures visible', () => {
    for (const fid of ['0002', '000A', '000B', '0006']) {
      const lines = run([
        [selectAp(JPKI), OK],
        [selectEf(fid), OK],
        [READ, h('30820123 9000')],
      ]);
      expect(lines[5], fid).toBe('<= 30820123 9000');
    }
    const signature = run([
      [selectAp(JPKI), OK],
      [selectEf('0017'), OK],
      [h('802A00800401020304 00'), h('AABBCC 9000')],
    ]);
    expect(signature[5]).toBe('<= AABBCC 9000');
  });

  it('fails safe: reads are redacted when the selection is unknown', () => {
    // Nothing selected yet.
    expect(run([[READ, DATA]])[1]).toBe('<= [redacted personal data] 9000');
    // An application we know nothing about.
    expect(
      run([
        [selectAp('D3921000310001010401'), OK],
        [selectEf('0006'), OK],
        [READ, DATA],
      ])[5],
    ).toBe('<= [redacted personal data] 9000');
    // A failed SELECT EF: the card's current EF is uncertain.
    const failed = run([
      [selectAp(TEXT), OK],
      [selectEf('0005'), OK],
      [selectEf('0099'), h('6A82')],
      [READ, DATA],
    ]);
    expect(failed[7]).toBe('<= [redacted personal data] 9000');
    // A transmit that failed mid-way (no response seen) forgets the state.
    const redactor = new ApduRedactor();
    run([[selectAp(JPKI), OK]], redactor);
    redactor.command(selectEf('0002'));
    expect(run([[READ, DATA]], redactor)[1]).toBe('<= [redacted personal data] 9000');
    // A response without any command.
    expect(formatApduForLog(DATA, { direction: 'response' })).toBe('<= [redacted personal data] 9000');
  });

  it('follows SFI addressing in READ BINARY (P1 = 80|sfi)', () => {
    const lines = run([
      [selectAp(JPKI), OK],
      [h('00B0820000'), h('3082 9000')], // SFI 2: sign CA cert
      [h('00B0810000'), DATA], // SFI 1: sign cert
      [READ, DATA], // current EF is now 0001
    ]);
    expect(lines[3]).toBe('<= 3082 9000');
    expect(lines[5]).toBe('<= [redacted personal data] 9000');
    expect(lines[7]).toBe('<= [redacted personal data] 9000');
  });

  it('a new SELECT of an AP forgets the current EF', () => {
    const lines = run([
      [selectAp(JPKI), OK],
      [selectEf('0002'), OK],
      [selectAp(TEXT), OK],
      [READ, DATA],
    ]);
    expect(lines[7]).toBe('<= [redacted personal data] 9000');
  });

  it('GET RESPONSE data is as sensitive as the answer it continues', () => {
    const lines = run([
      [selectAp(TEXT), OK],
      [selectEf('0002'), OK],
      [READ, h('6110')],
      [h('00C0000010'), DATA],
    ]);
    expect(lines[7]).toBe('<= [redacted personal data] 9000');
  });

  it('shows status-only answers of protected reads', () => {
    const lines = run([
      [selectAp(TEXT), OK],
      [selectEf('0001'), OK],
      [READ, h('6982')],
    ]);
    expect(lines[5]).toBe('<= 6982');
  });
});
