/**
 * plan / apply / diff / rollback against a live broker. Apply = plan, write the rollback file, then run the
 * operations; nothing runs before the rollback file is on disk.
 */
import { readFile, writeFile } from "node:fs/promises";
import { RabbitManagementApi } from "../brokers/management-api.js";
import { connectRedisAdmin } from "../brokers/redis-admin.js";
import { maskUrl } from "../core/redact.js";
import { brokerKindOf, type BrokerKind } from "./broker-url.js";
import { InvalidSpecError } from "./errors.js";
import { expandRabbit, type ExpandOptions } from "./expand-rabbit.js";
import { specToRedisModel } from "./expand-redis.js";
import type { Change, Plan } from "./plan-types.js";
import { runRabbitOp, type RabbitOp } from "./rabbit-ops.js";
import { assertNoBlockers, rabbitRollbackBlockers } from "./rollback-preflight.js";
import { planRabbit } from "./rabbit-plan.js";
import { readRedisState } from "./redis-live.js";
import { runRedisOp, type RedisOp } from "./redis-ops.js";
import { planRedis } from "./redis-plan.js";
import type { TopologySpec } from "../spec/schema/spec.js";

export type LiveOptions = ExpandOptions;

/** Compare a spec with a live broker. Changes nothing. */
export async function planTopology(
  spec: TopologySpec,
  brokerUrl: string,
  options: LiveOptions = {},
): Promise<Plan> {
  const broker = brokerKindOf(brokerUrl);
  const target = maskUrl(brokerUrl);
  if (broker === "rabbitmq") {
    const api = new RabbitManagementApi(brokerUrl);
    // Arguments adapt to the broker version exactly as the transport's declarations do.
    const brokerVersion = options.brokerVersion ?? (await api.overview()).rabbitmq_version;
    const desired = expandRabbit(spec, {
      ...options,
      requirePasswords: false,
      ...(brokerVersion ? { brokerVersion } : {}),
    });
    const actual = await api.definitions();
    // Message counts size the migration advice of queues that cannot change in place.
    const queueMessages = await api.queueMessageCounts();
    const env = options.env ?? process.env;
    const { changes, unchanged } = planRabbit({ desired, actual, queueMessages, env });
    return { broker, target, changes, unchanged };
  }
  const model = specToRedisModel(spec);
  const redis = await connectRedisAdmin(brokerUrl);
  try {
    const { changes, unchanged } = planRedis(model, await readRedisState(redis, model));
    return { broker, target, changes, unchanged };
  } finally {
    await redis.close();
  }
}

/**
 * What a rollback file holds: the operations that undo an apply, in the order to run them. No passwords or
 * credentials; the previous password hashes of users the apply changed (to restore them).
 */
export type RollbackFile =
  | {
      kind: "mqa-topology-rollback";
      version: 1;
      createdAt: string;
      broker: "rabbitmq";
      target: string;
      steps: RabbitOp[];
    }
  | {
      kind: "mqa-topology-rollback";
      version: 1;
      createdAt: string;
      broker: "redis";
      target: string;
      steps: RedisOp[];
    };

export interface ApplyOptions extends LiveOptions {
  /** Show what would happen; change nothing and write no file. @defaultValue false */
  dryRun?: boolean;
  /** Also delete what the spec no longer declares (queues only when empty). @defaultValue false */
  prune?: boolean;
  /** Where to write the rollback file. Required unless `dryRun`. */
  rollbackFile?: string;
  /** Called after each operation, for progress displays. */
  onProgress?: (done: number, total: number) => void;
}

export interface ApplyResult {
  plan: Plan;
  /** Changes made (or, with dryRun, that would be made). */
  applied: Change[];
  /** Changes left for a person: replacements (see their migration) and deletions without `prune`. */
  skipped: Change[];
  rollbackFile?: string;
  dryRun: boolean;
}

/** Deletions run after everything else, in reverse kind order (bindings before queues before exchanges). */
function executionOrder(changes: Change[]): Change[] {
  const deletes = changes.filter((c) => c.action === "delete").reverse();
  return [...changes.filter((c) => c.action !== "delete"), ...deletes];
}

/** Make the broker match the spec. Idempotent: a second apply finds nothing to do. */
export async function applyTopology(
  spec: TopologySpec,
  brokerUrl: string,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  if (!options.dryRun && options.rollbackFile === undefined)
    throw new InvalidSpecError("(apply options)", [
      { path: "rollbackFile", message: "required unless dryRun" },
    ]);
  if (!options.dryRun && spec.rabbitmq) expandRabbit(spec, options); // fail on missing password variables before any change
  const plan = await planTopology(spec, brokerUrl, options);
  const runnable = (c: Change): boolean =>
    c.action !== "replace" && (c.action !== "delete" || options.prune === true);
  const applied = executionOrder(plan.changes.filter(runnable));
  const skipped = plan.changes.filter((c) => !runnable(c));
  const result: ApplyResult = { plan, applied, skipped, dryRun: options.dryRun === true };
  if (options.dryRun || applied.length === 0) return result;

  // Undo changes in reverse order, but each change's own undo steps in the order it lists them
  // (a stream's groups are destroyed before the then-empty stream is deleted).
  const undo = [...applied].reverse().flatMap((c) => c.undo as (RabbitOp | RedisOp)[]);
  const file = {
    kind: "mqa-topology-rollback",
    version: 1,
    createdAt: new Date().toISOString(),
    broker: plan.broker,
    target: plan.target,
    steps: undo,
  } as RollbackFile;
  const path = options.rollbackFile as string;
  // 0600: it can hold the previous password hashes of users the apply changes.
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  result.rollbackFile = path;
  await runOps(
    plan.broker,
    brokerUrl,
    applied.flatMap((c) => c.ops as (RabbitOp | RedisOp)[]),
    options.env,
  );
  return result;
}

async function runOps(
  broker: BrokerKind,
  brokerUrl: string,
  ops: (RabbitOp | RedisOp)[],
  env: ExpandOptions["env"],
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  let done = 0;
  const step = (): void => onProgress?.(++done, ops.length);
  if (broker === "rabbitmq") {
    const api = new RabbitManagementApi(brokerUrl);
    for (const op of ops) {
      await runRabbitOp(api, op as RabbitOp, env ?? process.env);
      step();
    }
    return;
  }
  const redis = await connectRedisAdmin(brokerUrl);
  try {
    for (const op of ops) {
      await runRedisOp(redis, op as RedisOp);
      step();
    }
  } finally {
    await redis.close();
  }
}

/**
 * Read a rollback file and run its steps. `brokerUrl` defaults to the file's target (whose password is
 * masked). On RabbitMQ every step is checked first; when one cannot run (a queue to delete holds messages, a
 * password variable is unset), it throws {@link UnsafeChangeError} listing them all and changes nothing.
 */
export async function rollbackTopology(
  path: string,
  brokerUrl?: string,
  onProgress?: (done: number, total: number) => void,
): Promise<RollbackFile> {
  const file = await readRollbackFile(path);
  const url = brokerUrl ?? rollbackTarget(file);
  if (brokerKindOf(url) !== file.broker)
    throw new InvalidSpecError(path, [
      { path: "broker", message: `the file undoes a ${file.broker} apply; --broker is not one` },
    ]);
  // Every step is checked before the first runs: a rollback never stops half way at a non-empty queue.
  if (file.broker === "rabbitmq")
    assertNoBlockers(
      path,
      await rabbitRollbackBlockers(new RabbitManagementApi(url), file.steps as RabbitOp[]),
    );
  await runOps(file.broker, url, file.steps, undefined, onProgress);
  return file;
}

/** The broker a rollback file undoes changes on: its target, without the password (masked in the file). */
export function rollbackTarget(file: RollbackFile): string {
  return file.target.replace(/:\*\*\*\*@/, "@");
}

/** Read and check a rollback file written by {@link applyTopology}. */
export async function readRollbackFile(path: string): Promise<RollbackFile> {
  let file: RollbackFile;
  try {
    file = JSON.parse(await readFile(path, "utf8")) as RollbackFile;
  } catch (cause) {
    throw new InvalidSpecError(
      path,
      [{ path: "(root)", message: `not a readable rollback file: ${(cause as Error).message}` }],
      {
        cause,
      },
    );
  }
  if (file.kind !== "mqa-topology-rollback" || file.version !== 1 || !Array.isArray(file.steps))
    throw new InvalidSpecError(path, [{ path: "kind", message: "not an mqa topology rollback file" }]);
  return file;
}
