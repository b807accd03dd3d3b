import { isValidMyNumber } from '@mynakit/card';

// Browser-safe. Redaction runs on whatever the caller passes, so that logging a request body by mistake leaks
// neither PINs nor My Numbers nor photos. It errs on the side of hiding: an over-redacted log line is a nuisance,
// a leaked My Number is an incident.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogRecord = { time: string; level: LogLevel; msg: string } & { [key: string]: JsonValue };
/** Receives JSON-safe, already redacted records. */
export type LogSink = (record: LogRecord) => void;

export const REDACTED = '[redacted]';
export const REDACTED_MY_NUMBER = '[my number]';

const levelOrder: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const reservedKeys = new Set(['time', 'level', 'msg']);
const MAX_DEPTH = 12;
const MAX_ARRAY_ITEMS = 200;
/** Base64/hex runs at least this long are treated as binary data (photos, certificates, keys). */
const LONG_BASE64 = 100;

// Key rules. Keys are split into lowercase words (camelCase, snake_case, kebab-case, spaces).
/** Whole words that mark a secret or personal value. */
const sensitiveWords = new Set([
  'pin',
  'pins',
  'pincode',
  'password',
  'passwords',
  'passwd',
  'passphrase',
  'passcode',
  'secret',
  'secrets',
  'photo',
  'photos',
  'image',
  'images',
  'img',
  'face',
  'faces',
  'jp2',
  'j2k',
  'jpeg',
  'jpg',
  'png',
  'picture',
  'portrait',
  'selfie',
  'biometric',
  'biometrics',
  'embedding',
  'embeddings',
  'descriptor',
  'landmarks',
  'address',
  'birth',
  'birthday',
  'birthdate',
  'dob',
  'sex',
  'gender',
  'furigana',
  'shimei',
  'jusho',
  'token',
  'authorization',
  'cookie',
  'privatekey',
  'apikey',
]);
/** Phrases found in the joined words (so myNumber, my_number, MYNUMBER all match). */
const sensitivePhrases = [
  'mynumber',
  'kojinbango',
  'individualnumber',
  'privatekey',
  'dateofbirth',
  'seinengappi',
];
/** Japanese key names. */
const sensitiveJapanese = [
  '暗証番号',
  'パスワード',
  '個人番号',
  'マイナンバー',
  '写真',
  '顔',
  '氏名',
  '住所',
  '生年月日',
  '性別',
];
/** A `…Name` key is personal when the word before says whose name it is. */
const personalNameQualifiers = new Set([
  'full',
  'family',
  'given',
  'first',
  'last',
  'middle',
  'holder',
  'applicant',
  'user',
  'person',
  'customer',
  'kana',
  'kanji',
  'legal',
  'real',
  'maiden',
  'registrant',
]);
/** Words that, last in a key, describe a sensitive thing without being it (photoId, pinRetries, faceScore). */
const metadataWords = new Set([
  'id',
  'kind',
  'type',
  'count',
  'size',
  'length',
  'retries',
  'remaining',
  'status',
  'at',
  'score',
  'similarity',
  'threshold',
  'passed',
  'matched',
  'valid',
  'verified',
  'ms',
]);
const pinLikeWords = new Set(['pin', 'pins', 'pincode', 'password', 'passwd', 'passcode', 'passphrase']);

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

interface KeyVerdict {
  /** The key names a secret or personal value. */
  sensitive: boolean;
  /** …but its last word says it is only metadata (an id, a count, a score): primitives pass, structures do not. */
  metadata: boolean;
  /** PIN-like (pin, password): short digit values are hidden even under metadata words. */
  pinLike: boolean;
}

function classifyKey(key: string): KeyVerdict {
  const words = keyWords(key);
  // The product name is not personal data: myNumberCardReader is fine.
  const joined = words.join('').replaceAll('mynumbercard', '');
  const last = words[words.length - 1];
  const beforeLast = words[words.length - 2];
  const pinLike = words.some((w) => pinLikeWords.has(w) || w.endsWith('pin'));
  const sensitive =
    pinLike ||
    words.some((w) => sensitiveWords.has(w)) ||
    sensitivePhrases.some((p) => joined.includes(p)) ||
    sensitiveJapanese.some((p) => key.includes(p)) ||
    (last === 'name' &&
      (words.length === 1 || (beforeLast !== undefined && personalNameQualifiers.has(beforeLast))));
  const metadata = sensitive && words.length > 1 && last !== undefined && metadataWords.has(last);
  return { sensitive, metadata, pinLike };
}

/** True when the logger hides values under this key (whatever their form). */
export function isSensitiveKey(key: string): boolean {
  const verdict = classifyKey(key);
  return verdict.sensitive && !verdict.metadata;
}

// String rules.
const DIGIT = '[0-9０-９]';
/** 12 digits, optionally grouped 4-4-4 by a space or hyphen, not inside a longer digit run. */
const myNumberPattern = new RegExp(
  `(?<![0-9０-９])(${DIGIT}{4})[ \\-‐－]?(${DIGIT}{4})[ \\-‐－]?(${DIGIT}{4})(?![0-9０-９])`,
  'g',
);
const dataUrlPattern = /data:[a-z]+\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]*/gi;
const longBase64Pattern = /[A-Za-z0-9+/_\-=\r\n]{100,}/g;
/** Base64 starts of JPEG, PNG, JP2 box and J2K codestream: short image data is still image data. */
const imageBase64Pattern =
  /(?<![A-Za-z0-9+/])(?:\/9j\/|iVBORw0KGgo|AAAADGpQICAN|\/0\/\/U)[A-Za-z0-9+/=]{8,}/g;
/** key=value / key: value / "key":"value" inside free text (query strings, serialised bodies, messages). */
const inlinePairPattern = /(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\1(\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s&,;}\]]+)/g;

function toAsciiDigits(s: string): string {
  return s.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
}

/** Redacts My Numbers, image/base64 data and secret key=value pairs inside a string. */
export function redactString(input: string): string {
  let s = input.replace(dataUrlPattern, '[image data]');
  s = s.replace(imageBase64Pattern, '[image data]');
  s = s.replace(longBase64Pattern, (run) => {
    const length = run.replace(/[\r\n]/g, '').length;
    return length >= LONG_BASE64 ? `[base64 ${length} chars]` : run;
  });
  s = s.replace(inlinePairPattern, (whole, quote: string, key: string, sep: string, value: string) => {
    const verdict = classifyKey(key);
    const hide =
      (verdict.sensitive && !verdict.metadata) || (verdict.pinLike && /^["']?[0-9]{4,}["']?$/.test(value));
    return hide ? `${quote}${key}${quote}${sep}${REDACTED}` : whole;
  });
  s = s.replace(myNumberPattern, (whole, a: string, b: string, c: string) =>
    isValidMyNumber(toAsciiDigits(a + b + c)) ? REDACTED_MY_NUMBER : whole,
  );
  return s;
}

function redactNumber(n: number): JsonValue {
  if (!Number.isFinite(n)) return String(n);
  // A My Number held as a number (a leading zero would have been lost, hence the padding).
  if (Number.isInteger(n) && n >= 1e10 && n < 1e12 && isValidMyNumber(String(n).padStart(12, '0'))) {
    return REDACTED_MY_NUMBER;
  }
  return n;
}

function byteLengthOf(value: unknown): number | undefined {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer) return value.byteLength;
  // A Buffer after JSON round trip: {"type":"Buffer","data":[...]}.
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return (value as { data: unknown[] }).data.length;
  }
  return undefined;
}

/** A JSON-safe copy of `value` with every secret replaced. Never throws. */
export function redact(value: unknown): JsonValue {
  return redactValue(value, [], 0);
}

function redactValue(value: unknown, ancestors: object[], depth: number): JsonValue {
  switch (typeof value) {
    case 'string':
      return redactString(value);
    case 'number':
      return redactNumber(value);
    case 'bigint':
      return redactString(value.toString());
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'function':
      return '[function]';
    case 'symbol':
      return redactString(value.toString());
  }
  if (value === null) return null;
  const object = value as object;
  const bytes = byteLengthOf(object);
  if (bytes !== undefined) return `[bytes ${bytes}]`;
  if (ancestors.includes(object)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  const inner = [...ancestors, object];
  try {
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    if (object instanceof Error) return redactError(object, inner, depth);
    if (object instanceof URL) return redactString(object.toString());
    if (object instanceof RegExp) return redactString(object.toString());
    if (Array.isArray(object)) return redactArray(object, inner, depth);
    if (object instanceof Set) return redactArray([...object], inner, depth);
    if (object instanceof Map) {
      return redactEntries(
        [...object].map(([k, v]) => [typeof k === 'string' ? k : String(k), v] as [string, unknown]),
        inner,
        depth,
      );
    }
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(object);
      if (json !== object) return redactValue(json, inner, depth + 1);
    }
    return redactEntries(Object.entries(object), inner, depth);
  } catch {
    return '[unreadable]';
  }
}

function redactArray(items: readonly unknown[], ancestors: object[], depth: number): JsonValue[] {
  const out = items.slice(0, MAX_ARRAY_ITEMS).map((item) => redactValue(item, ancestors, depth + 1));
  if (items.length > MAX_ARRAY_ITEMS) out.push(`[${items.length - MAX_ARRAY_ITEMS} more]`);
  return out;
}

function redactEntries(
  entries: readonly (readonly [string, unknown])[],
  ancestors: object[],
  depth: number,
): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    // Keys can be personal data too (a map keyed by My Number).
    out[redactString(key)] = redactField(key, value, ancestors, depth);
  }
  return out;
}

function redactField(key: string, value: unknown, ancestors: object[], depth: number): JsonValue {
  const verdict = classifyKey(key);
  // Bytes say only their length, which is safe and useful even under a sensitive key.
  const bytes = byteLengthOf(value);
  if (bytes !== undefined) return `[bytes ${bytes}]`;
  if (verdict.sensitive) {
    const primitive = value === null || (typeof value !== 'object' && typeof value !== 'function');
    if (!verdict.metadata || !primitive) return REDACTED;
    if (verdict.pinLike && /^[0-9０-９]{4,}$/.test(String(value))) return REDACTED;
  }
  return redactValue(value, ancestors, depth + 1);
}

function redactError(error: Error, ancestors: object[], depth: number): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {
    name: redactString(String(error.name)),
    message: redactString(String(error.message)),
  };
  if (typeof error.stack === 'string') out.stack = redactString(error.stack);
  // Own fields such as code, sw, details: through the key rules like any object.
  for (const [key, value] of Object.entries(error)) {
    if (value === undefined || key === 'name' || key === 'message' || key === 'stack' || key === 'cause')
      continue;
    out[redactString(key)] = redactField(key, value, ancestors, depth);
  }
  if (error.cause !== undefined) out.cause = redactValue(error.cause, ancestors, depth + 1);
  if (error instanceof AggregateError) out.errors = redactArray(error.errors, ancestors, depth);
  return out;
}

export interface RedactingLogger {
  debug(msg: string, fields?: unknown): void;
  info(msg: string, fields?: unknown): void;
  warn(msg: string, fields?: unknown): void;
  error(msg: string, fields?: unknown): void;
  /** A logger whose records also carry `bindings` (redacted once, here). */
  child(bindings: Record<string, unknown>): RedactingLogger;
}

export interface RedactingLoggerOptions {
  /** Records below this level are dropped; default 'info'. */
  readonly level?: LogLevel;
  readonly clock?: () => Date;
}

/**
 * A structured logger that redacts everything it is given before the sink sees it. Fields that are not a plain
 * object (an Error, an array, a string) land under `err` or `value`. A throwing sink never breaks the caller.
 */
export function createRedactingLogger(sink: LogSink, options: RedactingLoggerOptions = {}): RedactingLogger {
  return makeLogger(sink, options, {});
}

function makeLogger(
  sink: LogSink,
  options: RedactingLoggerOptions,
  bindings: { [key: string]: JsonValue },
): RedactingLogger {
  const minimum = levelOrder[options.level ?? 'info'];
  const clock = options.clock ?? (() => new Date());
  const log = (level: LogLevel, msg: string, fields: unknown): void => {
    if (levelOrder[level] < minimum) return;
    try {
      const record: LogRecord = { time: clock().toISOString(), level, msg: redactString(String(msg)) };
      const redacted = fieldsToRecord(fields);
      for (const [key, value] of [...Object.entries(bindings), ...Object.entries(redacted)]) {
        record[reservedKeys.has(key) ? `_${key}` : key] = value;
      }
      sink(record);
    } catch {
      /* logging must never take the workflow down */
    }
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (more) => makeLogger(sink, options, { ...bindings, ...fieldsToRecord(more) }),
  };
}

function fieldsToRecord(fields: unknown): { [key: string]: JsonValue } {
  if (fields === undefined) return {};
  const redacted = redact(fields);
  if (fields instanceof Error) return { err: redacted };
  if (typeof redacted === 'object' && redacted !== null && !Array.isArray(redacted)) return redacted;
  return { value: redacted };
}

/** A sink writing one JSON line per record (e.g. `jsonLinesSink((l) => process.stdout.write(l))`). */
export function jsonLinesSink(write: (line: string) => void): LogSink {
  return (record) => write(`${JSON.stringify(record)}\n`);
}
