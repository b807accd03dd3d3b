// Node only (Buffer): used by the SQLite and PostgreSQL evidence stores.
// JSON that keeps the two non-JSON values evidence records carry (revocation answers hold Dates and raw DER bytes):
// `{"$date": ISO}` and `{"$bytes": base64}`. Plain, self-describing text, readable by an auditor years later.

const DATE = '$date';
const BYTES = '$bytes';

export function encodeRichJson(value: unknown): string {
  return JSON.stringify(value ?? null, function (this: Record<string, unknown>, key, replaced: unknown) {
    // `this[key]` is the value before Date#toJSON ran.
    const raw = this[key];
    if (raw instanceof Date) return { [DATE]: raw.toISOString() };
    if (raw instanceof Uint8Array) return { [BYTES]: Buffer.from(raw).toString('base64') };
    return replaced;
  });
}

export function decodeRichJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      const tagged = (value as Record<string, unknown>)[keys[0] ?? ''];
      if (keys.length === 1 && typeof tagged === 'string') {
        if (keys[0] === DATE) return new Date(tagged);
        if (keys[0] === BYTES) return new Uint8Array(Buffer.from(tagged, 'base64'));
      }
    }
    return value;
  });
}
