/** A tiny typed event emitter: the device clients' progress reports for a UI. */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(event: never) => void>>();

  on<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): this {
    const set = this.listeners.get(name) ?? new Set();
    set.add(listener as (event: never) => void);
    this.listeners.set(name, set);
    return this;
  }

  off<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): this {
    this.listeners.get(name)?.delete(listener as (event: never) => void);
    return this;
  }

  protected emit<K extends keyof Events>(name: K, event: Events[K]): void {
    for (const listener of [...(this.listeners.get(name) ?? [])]) {
      // A failing UI listener must not abort a renewal half-way through writing the card.
      try {
        (listener as (event: Events[K]) => void)(event);
      } catch {}
    }
  }
}
