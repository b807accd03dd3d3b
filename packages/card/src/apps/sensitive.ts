const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * A secret value that does not leak by accident: `String(x)`, `JSON.stringify(x)`, template literals and
 * `console.log(x)` all show a placeholder. Call `reveal()` where the value is really needed.
 */
export class Sensitive<T> {
  readonly #value: T;

  constructor(
    value: T,
    private readonly label: string,
  ) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return `[${this.label} redacted]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

/** The 12-digit 個人番号, wrapped so that it never reaches a log by accident. */
export type MyNumber = Sensitive<string>;
