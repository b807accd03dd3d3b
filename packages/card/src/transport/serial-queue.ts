/**
 * Runs tasks one after another: a card handles one APDU at a time, and interleaving two
 * command/response pairs (e.g. SELECT from one caller between another's SELECT and READ) corrupts both.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled; a failing task does not block the queue. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
