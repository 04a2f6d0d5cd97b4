/**
 * The order in which a new AMQP connection tries the nodes of a cluster. With `shuffle` (the default) every
 * connection draws its own random order, so the publish and consume connections of many processes spread
 * over the nodes instead of all landing on the first URL (the idea of Spring AMQP's address shuffling).
 * With `as-given` the list is a preference: the first node that answers wins. Either way a node whose
 * connection was just lost goes last, so a reconnect after a node died tries the survivors first.
 */

/** How a connection orders the cluster's URLs: `shuffle` (random per connection) or `as-given` (preference). */
export type UrlOrder = "shuffle" | "as-given";

/**
 * The URLs to try, in order, for one new connection. `lastUsed`, the URL of a connection just lost, is
 * moved to the end. `random` returns numbers in [0, 1) (tests pass their own).
 */
export function connectOrder(
  urls: readonly string[],
  order: UrlOrder,
  lastUsed?: string,
  random: () => number = Math.random,
): string[] {
  const list = [...urls];
  if (order === "shuffle") {
    // Fisher–Yates: every permutation equally likely.
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
  }
  if (lastUsed === undefined || list.length < 2) return list;
  const rest = list.filter((u) => u !== lastUsed);
  return rest.length === list.length ? list : [...rest, ...list.filter((u) => u === lastUsed)];
}
