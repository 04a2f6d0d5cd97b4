/**
 * The per-key handling scenario every broker's test runs (`Route.order: "per-key"`): messages of several keys
 * waiting in a group, one router with a prefetch above 1, handlers that take a few milliseconds. It counts how
 * many handlers of each key run at once and how many run at once overall, and records each key's sequence.
 */
import { Router } from "../../src/core/router.js";
import type { Transport } from "../../src/core/transport.js";
import { waitFor } from "../../src/testing/mod.js";

export interface PerKeyObservation {
  /** Most handlers of one key that ever ran at the same time. */
  maxPerKey: number;
  /** Most handlers that ever ran at the same time, whatever their keys. */
  maxOverall: number;
  /** Each key's sequence numbers in the order its handlers started. */
  sequences: Map<string, number[]>;
}

/**
 * Publish `perKey` messages for each of `keys` keys (interleaved) to `topic`, then handle them with a router
 * (group `group`, prefetch `prefetch`, `order` as given) and observe. The group is declared before publishing,
 * so every message waits for the router and the prefetch fills with several keys at once.
 */
export async function observePerKey(
  transport: Transport,
  options: {
    topic: string;
    group: string;
    keys: number;
    perKey: number;
    prefetch: number;
    order: "none" | "per-key";
    timeoutMs?: number;
  },
): Promise<PerKeyObservation> {
  const { topic, group, keys, perKey } = options;
  await transport.declare({ topic, group });
  for (let i = 0; i < perKey; i++)
    for (let k = 0; k < keys; k++)
      await transport.publish(topic, {
        key: `k${k}`,
        contentType: "application/json",
        payload: new TextEncoder().encode(JSON.stringify({ k: `k${k}`, i })),
      });
  const runningByKey = new Map<string, number>();
  const sequences = new Map<string, number[]>();
  let running = 0;
  let maxOverall = 0;
  let maxPerKey = 0;
  let done = 0;
  const router = new Router(transport);
  router.handle({
    topic,
    group,
    prefetch: options.prefetch,
    order: options.order,
    handler: async (payload) => {
      const { k, i } = payload as { k: string; i: number };
      const mine = (runningByKey.get(k) ?? 0) + 1;
      runningByKey.set(k, mine);
      running++;
      maxPerKey = Math.max(maxPerKey, mine);
      maxOverall = Math.max(maxOverall, running);
      sequences.set(k, [...(sequences.get(k) ?? []), i]);
      // Long enough for the other deliveries in the prefetch to start while this one runs.
      await new Promise((resolve) => setTimeout(resolve, 2 + (i % 3)));
      runningByKey.set(k, (runningByKey.get(k) ?? 1) - 1);
      running--;
      done++;
    },
  });
  await router.start();
  try {
    await waitFor(() => done === keys * perKey, options.timeoutMs ?? 20_000, "every message handled");
  } finally {
    await router.stop({ timeoutMs: 5_000 });
  }
  return { maxPerKey, maxOverall, sequences };
}

/** `[0, 1, …, n - 1]`: the sequence a key's handlers start in when its order is kept. */
export function inOrder(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
