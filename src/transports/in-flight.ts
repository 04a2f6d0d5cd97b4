/** Counts operations under way, so a graceful close can wait (bounded) until none is left. */
export class InFlight {
  private count = 0;
  private waiters = new Set<() => void>();

  get size(): number {
    return this.count;
  }

  begin(): void {
    this.count++;
  }

  /** One operation finished; true when it was the last one under way. */
  end(): boolean {
    if (--this.count > 0) return false;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
    return true;
  }

  /**
   * Resolves when nothing is under way or `timeoutMs` passed: true if drained, false on timeout. Its timer
   * is cleared either way, and a waiter that timed out is forgotten (repeated timed-out waits leave nothing).
   */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    const done = await new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
      this.waiters.add(wake);
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    clearTimeout(timer);
    if (wake) this.waiters.delete(wake);
    return done;
  }

  /** Waiters still registered (for tests: a timed-out wait must not stay behind). */
  get waiting(): number {
    return this.waiters.size;
  }
}
