/**
 * The one "wait for in-flight work, but not forever" step of every graceful close (subscriptions,
 * publishers, transports): built on {@link InFlight.drained}, it resolves with whether the work finished
 * in time and leaves no timer behind. What is still running at the deadline is the caller's to give back.
 */
import { InFlight } from "./in-flight.js";

/**
 * Wait until `work` is done or `timeoutMs` passed; true when it drained in time. `work` is an
 * {@link InFlight} counter or the promises of the operations under way (a rejection counts as done).
 */
export function drainWithin(
  work: InFlight | Iterable<PromiseLike<unknown>>,
  timeoutMs: number,
): Promise<boolean> {
  if (work instanceof InFlight) return work.drained(timeoutMs);
  const pending = new InFlight();
  const end = (): void => void pending.end();
  for (const p of work) {
    pending.begin();
    p.then(end, end);
  }
  return pending.drained(timeoutMs);
}
