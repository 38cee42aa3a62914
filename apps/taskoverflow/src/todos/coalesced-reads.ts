/**
 * Runs a read at most once at a time per key, and lets concurrent callers
 * share it without ever being answered from before they asked: a caller that
 * arrives while a read is in flight waits for the next one, which starts when
 * the current one ends and serves everyone who arrived in the meantime.
 *
 * Under load this turns one database round trip per request into about two
 * per round-trip time per process, whatever the concurrency. (Joining the
 * read already in flight would be cheaper but could miss a write that was
 * acknowledged after it was sent and before the caller arrived.)
 */
export class CoalescedReads<T> {
  private readonly inFlight = new Map<string, Promise<T>>();
  private readonly next = new Map<string, Promise<T>>();

  read(key: string, run: () => Promise<T>): Promise<T> {
    const current = this.inFlight.get(key);
    if (current === undefined) return this.start(key, run);
    let queued = this.next.get(key);
    if (queued === undefined) {
      queued = current
        .catch(() => undefined)
        .then(() => {
          this.next.delete(key);
          return this.start(key, run);
        });
      this.next.set(key, queued);
    }
    return queued;
  }

  private start(key: string, run: () => Promise<T>): Promise<T> {
    const started = run().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }
}
