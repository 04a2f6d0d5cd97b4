/** Counts operations under way, so a graceful close can wait (bounded) until none is left. */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

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
    this.waiters = [];
    for (const wake of waiters) wake();
    return true;
  }

  /** Resolves when nothing is under way or `timeoutMs` passed: true if drained, false on timeout. */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await new Promise<boolean>((resolve) => {
      this.waiters.push(() => resolve(true));
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    clearTimeout(timer);
    return done;
  }
}
