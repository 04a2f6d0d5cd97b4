/**
 * The consumer side of a verify run: a {@link Router} with mqa's own dead-letter and retry middleware,
 * exactly what an application would run. It reports every message it processed *before* the ack, so
 * a consumer killed between the two shows up as a duplicate (at-least-once), never as a loss.
 */
import { z } from "zod";
import { Router } from "../core/router.js";
import type { ConnectOptions } from "../connect.js";
import type { Middleware } from "../core/context.js";
import type { Transport } from "../core/transport.js";
import { sleep } from "../core/sleep.js";
import { deadLetter } from "../middleware/dead-letter.js";
import { retry } from "../middleware/retry.js";
import { preciseNow } from "./sequence.js";

/** What a verify consumer tells the coordinator. */
export type WorkerEvent =
  | { t: "consumed"; seq: number; sentAt: number; at: number; attempt: number }
  | { t: "dead-lettering"; seq: number };

/** TLS settings a verify consumer connects with; PEM text only, so they travel over IPC as they are. */
export interface WorkerTls {
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized?: boolean;
}

/** Redis transport settings every connection of a run shares (serialisable, for a child process). */
export interface WorkerRedisOptions {
  /** Connect in cluster mode, with the URL as the seed node. */
  cluster?: boolean;
  /** Replicas that must have a write before a publish (a retry's too) resolves (WAIT). */
  durability?: { replicas: number };
}

/**
 * Settings of one verify consumer; serialisable, so a child process can receive them (over IPC, never in
 * argv: the URL carries the broker password).
 */
export interface WorkerConfig {
  /** Broker URL, credentials included. */
  url: string;
  /** TLS settings for an `amqps://` or `rediss://` URL. */
  tls?: WorkerTls;
  /** Every node's URL on a cluster run (credentials included). */
  clusterUrls?: string[];
  /** Redis transport settings (a `redis(s)://` URL only). */
  redis?: WorkerRedisOptions;
  topic: string;
  group: string;
  run: string;
  /** Deliveries held at once. */
  prefetch: number;
  /** Attempts before a failing (poison) message is dead-lettered. */
  attempts: number;
  /** Simulated work per message after it is recorded and before its ack, ms. */
  workMs: number;
  /**
   * TEST ONLY: ack every message whose sequence number is a multiple of this without recording it,
   * i.e. a broken consumer that drops messages. Proves that verify notices a loss.
   */
  dropEvery?: number;
}

/** How a verify consumer connects: the {@link createTransport} options of its config. */
export function workerConnectOptions(config: WorkerConfig): ConnectOptions {
  return {
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.clusterUrls ? { clusterUrls: config.clusterUrls } : {}),
    ...(config.redis ? { redis: config.redis } : {}),
  };
}

const payloadSchema = z.strictObject({
  run: z.string(),
  seq: z.number().int().nonnegative(),
  poison: z.boolean(),
  sentAt: z.number(),
});

/** Sees errors on their way from retry to the dead-letter middleware: the message is about to be dead-lettered. */
function observeDeadLettering(report: (e: WorkerEvent) => Promise<void>): Middleware {
  return (next) => async (ctx) => {
    try {
      await next(ctx);
    } catch (err) {
      const payload = payloadSchema.safeParse(ctx.payload);
      if (!ctx.delivery.settled && payload.success)
        await report({ t: "dead-lettering", seq: payload.data.seq });
      throw err;
    }
  };
}

/** A running verify consumer. */
export interface VerifyWorker {
  readonly router: Router;
  /** Messages recorded as processed whose handler has not returned yet (so they are not acked). */
  inFlight(): number;
}

/** Start a verify consumer on `transport`; resolves once it is subscribed. Stop it with `router.stop()`. */
export async function startVerifyWorker(
  transport: Transport,
  config: WorkerConfig,
  report: (e: WorkerEvent) => Promise<void>,
): Promise<VerifyWorker> {
  let inFlight = 0;
  const router = new Router(transport, {
    middleware: [
      deadLetter(),
      observeDeadLettering(report),
      retry({ attempts: config.attempts, baseMs: 20, maxMs: 200 }),
    ],
  });
  router.handle({
    topic: config.topic,
    group: config.group,
    schema: payloadSchema,
    prefetch: config.prefetch,
    handler: async (payload, ctx) => {
      if (payload.run !== config.run) return; // a leftover of another run: acked, not counted
      if (payload.poison) throw new Error(`poison message ${payload.seq}: always fails (verify fault)`);
      if (config.dropEvery !== undefined && payload.seq % config.dropEvery === 0) return; // broken on purpose
      inFlight++;
      try {
        await report({
          t: "consumed",
          seq: payload.seq,
          sentAt: payload.sentAt,
          at: preciseNow(),
          attempt: ctx.message.attempt,
        });
        if (config.workMs > 0) await sleep(config.workMs);
      } finally {
        inFlight--;
      }
    },
  });
  await router.start();
  return { router, inFlight: () => inFlight };
}
