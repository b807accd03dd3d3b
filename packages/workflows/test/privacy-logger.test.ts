import { myNumberCheckDigit } from '@mynakit/card';
import { describe, expect, it } from 'vitest';
import {
  createRedactingLogger,
  isSensitiveKey,
  jsonLinesSink,
  type LogRecord,
  redact,
} from '../src/privacy/index.js';

// A valid My Number built with the card package's check digit (never a real person's: arbitrary digits).
const first11 = '31415926535';
const MY_NUMBER = `${first11}${myNumberCheckDigit(first11)}`;
const MY_NUMBER_SPACED = `${MY_NUMBER.slice(0, 4)} ${MY_NUMBER.slice(4, 8)} ${MY_NUMBER.slice(8)}`;
const MY_NUMBER_FULLWIDTH = MY_NUMBER.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
const INVALID_12 = `${first11}${(myNumberCheckDigit(first11) + 1) % 10}`;
const PIN = '4821';
const PASSWORD = 'Sig9Pass42';
const photo = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('JFIF-face-pixels'.repeat(40)),
]);
const photoBase64 = photo.toString('base64');

function capture(): {
  records: LogRecord[];
  text: () => string;
  logger: ReturnType<typeof createRedactingLogger>;
} {
  const records: LogRecord[] = [];
  const logger = createRedactingLogger((r) => records.push(r), {
    level: 'debug',
    clock: () => new Date('2026-04-01T00:00:00.000Z'),
  });
  return { records, text: () => records.map((r) => JSON.stringify(r)).join('\n'), logger };
}

function expectNoSecrets(text: string): void {
  for (const secret of [
    MY_NUMBER,
    MY_NUMBER_SPACED,
    MY_NUMBER_FULLWIDTH,
    PIN,
    PASSWORD,
    photoBase64.slice(0, 40),
    photoBase64.slice(200, 240),
    'JFIF-face',
    '山田太郎',
    '東京都千代田区',
  ]) {
    expect(text, `leaked ${secret}`).not.toContain(secret);
  }
}

describe('redacting logger (rule: My Number and PINs never reach logs)', () => {
  it('logs a mistaken request body without leaking anything, ordinary fields readable', () => {
    const { records, text, logger } = capture();
    const body = {
      caseId: 'case-42',
      workflow: 'renewal',
      copies: 2,
      authPin: PIN,
      signPassword: PASSWORD,
      my_number: MY_NUMBER,
      applicant: { name: '山田太郎', address: '東京都千代田区', note: `my number is ${MY_NUMBER_SPACED}` },
      livePhoto: photo,
      attachments: [
        { kind: 'card', data: photoBase64 },
        new Uint8Array(photo),
        new Uint8Array(photo).buffer,
        [[MY_NUMBER]],
      ],
      dataUrl: `data:image/jpeg;base64,${photoBase64.slice(0, 60)}`,
      fullwidth: MY_NUMBER_FULLWIDTH,
      asNumber: Number(MY_NUMBER),
      faceScore: 0.93,
      photoId: 'a'.repeat(32),
      readerName: 'ACS ACR1252',
      reference: INVALID_12,
      sha256: 'f'.repeat(64),
    };
    logger.info('received application', body);
    const out = text();
    expectNoSecrets(out);
    const record = records[0] as Record<string, unknown>;
    expect(record).toMatchObject({
      time: '2026-04-01T00:00:00.000Z',
      level: 'info',
      msg: 'received application',
      caseId: 'case-42',
      workflow: 'renewal',
      copies: 2,
      authPin: '[redacted]',
      signPassword: '[redacted]',
      my_number: '[redacted]',
      livePhoto: `[bytes ${photo.length}]`,
      faceScore: 0.93,
      photoId: 'a'.repeat(32),
      readerName: 'ACS ACR1252',
      reference: INVALID_12,
      sha256: 'f'.repeat(64),
    });
    expect(record.attachments).toEqual([
      { kind: 'card', data: expect.stringMatching(/^\[(image data|base64 \d+ chars)\]$/) },
      `[bytes ${photo.length}]`,
      `[bytes ${photo.length}]`,
      [['[my number]']],
    ]);
    expect(out).toContain('my number is [my number]');
  });

  it('redacts a 4-digit PIN even under metadata-looking PIN keys, but keeps counters', () => {
    const { records, text, logger } = capture();
    logger.warn('pin check', { pinStatus: PIN, pinRetries: 2, PIN_CODE: Number(PIN), pins: [PIN, '0000'] });
    expectNoSecrets(text());
    expect(records[0]).toMatchObject({
      pinRetries: 2,
      pinStatus: '[redacted]',
      PIN_CODE: '[redacted]',
      pins: '[redacted]',
    });
  });

  it('redacts errors: message, stack, cause and details', () => {
    const { records, text, logger } = capture();
    const cause = new Error(`lookup failed for ${MY_NUMBER}`);
    const error = Object.assign(new Error(`bad input ${MY_NUMBER} pin=${PIN}`, { cause }), {
      code: 'INVALID_INPUT',
      details: { myNumber: MY_NUMBER, step: 'read' },
    });
    logger.error('failed', error);
    logger.error('failed again', { err: error, attempt: 3 });
    const out = text();
    // Stacks carry line numbers that could contain any 4 digits: check them for the My Number and the PIN pair only.
    const withoutStacks = JSON.stringify(records, (key, value: unknown) =>
      key === 'stack' ? undefined : value,
    );
    expectNoSecrets(withoutStacks);
    expect(out).not.toContain(MY_NUMBER);
    expect(out).not.toContain(`pin=${PIN}`);
    expect(String((records[0]?.err as { stack?: unknown } | undefined)?.stack)).toContain(
      'bad input [my number] pin=[redacted]',
    );
    expect(records[0]?.err).toMatchObject({
      name: 'Error',
      message: 'bad input [my number] pin=[redacted]',
      code: 'INVALID_INPUT',
      details: { myNumber: '[redacted]', step: 'read' },
      cause: { message: 'lookup failed for [my number]' },
    });
    expect(records[1]).toMatchObject({ attempt: 3, err: { code: 'INVALID_INPUT' } });
  });

  it('handles cycles, Maps keyed by My Number, JSON bodies logged as strings, and the message itself', () => {
    const { records, text, logger } = capture();
    const node: Record<string, unknown> = { caseId: 'c1', myNumber: MY_NUMBER };
    node.self = node;
    node.list = [node, { parent: node }];
    const byNumber = new Map([[MY_NUMBER, { status: 'ok' }]]);
    const shared = { ok: true };
    logger.info(`body for ${MY_NUMBER}`, {
      node,
      byNumber,
      raw: JSON.stringify({ pin: PIN, password: PASSWORD, caseId: 'c1' }),
      query: `?caseId=c1&pin=${PIN}&kojinBango=${MY_NUMBER}`,
      twice: [shared, shared],
    });
    const out = text();
    expectNoSecrets(out);
    const record = records[0] as Record<string, unknown>;
    expect(record.msg).toBe('body for [my number]');
    expect(record.node).toMatchObject({
      caseId: 'c1',
      self: '[circular]',
      list: ['[circular]', { parent: '[circular]' }],
    });
    expect(record.byNumber).toEqual({ '[my number]': { status: 'ok' } });
    expect(record.raw).toContain('"caseId":"c1"');
    expect(record.query).toContain('caseId=c1');
    // A shared (non-cyclic) reference is not a cycle.
    expect(record.twice).toEqual([{ ok: true }, { ok: true }]);
  });

  it('child bindings are redacted, reserved keys cannot be overwritten, levels filter, a throwing sink is contained', () => {
    const { records, text, logger } = capture();
    const child = logger.child({ caseId: 'c9', myNumber: MY_NUMBER });
    child.debug('step', { level: 'spoofed', msg: 'spoofed' });
    expectNoSecrets(text());
    expect(records[0]).toMatchObject({
      level: 'debug',
      msg: 'step',
      caseId: 'c9',
      _level: 'spoofed',
      _msg: 'spoofed',
    });

    const quiet: LogRecord[] = [];
    const infoOnly = createRedactingLogger((r) => quiet.push(r));
    infoOnly.debug('hidden');
    infoOnly.info('shown');
    expect(quiet.map((r) => r.msg)).toEqual(['shown']);

    const throwing = createRedactingLogger(() => {
      throw new Error('disk full');
    });
    expect(() => throwing.error('x', { a: 1 })).not.toThrow();

    const lines: string[] = [];
    createRedactingLogger(jsonLinesSink((l) => lines.push(l))).info('line', { pin: PIN });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ msg: 'line', pin: '[redacted]' });
  });

  it('classifies keys without catching ordinary words', () => {
    for (const key of [
      'pin',
      'authPin',
      'PIN',
      'userPassword',
      'myNumber',
      'MY_NUMBER',
      'kojinBango',
      'facePhoto',
      'jp2',
      'cardImage',
      'selfie',
      '暗証番号',
    ]) {
      expect(isSensitiveKey(key), key).toBe(true);
    }
    for (const key of [
      'shipping',
      'opinion',
      'interface',
      'imageCount',
      'photoId',
      'myNumberCardReader',
      'readerName',
      'caseId',
      'status',
    ]) {
      expect(isSensitiveKey(key), key).toBe(false);
    }
  });

  it('redact() alone returns JSON-safe values', () => {
    const value = redact({
      big: 10n,
      when: new Date('2026-01-02T03:04:05.000Z'),
      fn: () => 1,
      undef: undefined,
      set: new Set([1]),
    });
    expect(JSON.parse(JSON.stringify(value))).toEqual({
      big: '10',
      when: '2026-01-02T03:04:05.000Z',
      fn: '[function]',
      set: [1],
    });
  });
});
