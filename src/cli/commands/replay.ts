/**
 * `mqa replay`: read a topic again from the start, an offset or a time, up to a point or the end (or on,
 * with --follow), printing each message (one JSON line each with --json), optionally resuming from and
 * saving a named checkpoint in Redis or PostgreSQL. Thin: the work is src/replay's.
 */
import type { Command } from "commander";
import { InvalidOptionsError, MqaError } from "../../core/errors.js";
import { maskUrl } from "../../core/redact.js";
import type { Message } from "../../core/message.js";
import type { Queryable } from "../../outbox/outbox.js";
import {
  DEFAULT_BATCH_SIZE,
  PostgresCheckpointStore,
  RedisCheckpointStore,
  openReplay,
  parseReplayPoint,
  type CheckpointStore,
  type ReplayOptions,
  type ReplayedMessage,
} from "../../replay/mod.js";
import { loadSpecFile } from "../../spec/parse.js";
import { positiveInt } from "../args.js";
import { explainedConnectError } from "../connect-failure.js";
import { addConnectionOptions, resolveConnection, type ConnectionFlags } from "../connection.js";
import { messageLine } from "../message-json.js";
import { ProgressLine } from "../progress.js";

interface ReplayCliOptions extends ConnectionFlags {
  broker?: string;
  from: string;
  to?: string;
  follow?: boolean;
  checkpoint?: string;
  checkpointStore?: string;
  limit?: number;
  batchSize?: number;
  json?: boolean;
  spec?: string;
  queue?: string;
  stream?: string;
  payloadField?: string;
}

/** A checkpoint store and how to let go of its connection. */
interface OpenedStore {
  store: CheckpointStore;
  describe: string;
  close(): Promise<void>;
}

/** `--checkpoint-store`: `redis` (the --broker's Redis), a redis:// URL, or a postgres:// URL. */
async function openCheckpointStore(
  where: string,
  broker: string,
  keyPrefix: string | undefined,
): Promise<OpenedStore> {
  const url = where === "redis" ? broker : where;
  if (where === "redis" && !/^rediss?:/i.test(broker))
    throw new InvalidOptionsError(
      `--checkpoint-store redis means the --broker's Redis, and ${maskUrl(broker)} is not Redis: give a redis:// or postgres:// URL`,
    );
  if (/^rediss?:\/\//i.test(url)) {
    const { connectRedisClient } = await import("../../brokers/redis-client.js");
    const client = await connectRedisClient(url, { maxRetriesPerRequest: 1 });
    const store = new RedisCheckpointStore({
      redis: client,
      ...(keyPrefix === undefined ? {} : { keyPrefix }),
    });
    return {
      store,
      describe: `Redis hash ${store.key} on ${maskUrl(url)}`,
      close: async () => void client.disconnect(),
    };
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    let pg: { default: { Pool: new (o: { connectionString: string; max: number }) => PgPool } };
    try {
      pg = (await import("pg" as string)) as typeof pg;
    } catch (cause) {
      throw new MqaError(
        "unsupported",
        "--checkpoint-store postgres://… needs the pg package: npm install pg",
        { cause },
      );
    }
    const pool = new pg.default.Pool({ connectionString: url, max: 1 });
    pool.on("error", () => undefined);
    const store = new PostgresCheckpointStore({ db: pool });
    return { store, describe: `table ${store.table} on ${maskUrl(url)}`, close: () => pool.end() };
  }
  throw new InvalidOptionsError(
    `--checkpoint-store ${JSON.stringify(maskUrl(where))} is not redis, a redis:// URL or a postgres:// URL`,
  );
}

interface PgPool extends Queryable {
  on(event: "error", listener: () => void): void;
  end(): Promise<void>;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One message as one readable line: position, time, id, payload (text, else base64). */
function textLine(r: ReplayedMessage): string {
  const m: Message = r.message;
  let payload: string;
  try {
    payload = utf8.decode(m.payload);
  } catch {
    payload = `base64:${Buffer.from(m.payload).toString("base64")}`;
  }
  return `${r.position}  ${new Date(m.timestamp).toISOString()}  ${m.id}  ${payload.replace(/\n/g, "\\n")}`;
}

/** `mqa replay <topic>`. */
export function registerReplayCommand(program: Command): void {
  const command = program
    .command("replay <topic>")
    .description(
      "read a topic again from the start, an offset or a time (RabbitMQ stream queues, Redis Streams), without touching any group",
    )
    .option("--broker <url>", "amqp://user@host:5672 or redis://host:6379 (or MQA_BROKER_URL)")
    .option(
      "--from <where>",
      "start, an offset (RabbitMQ stream offset, Redis entry id) or an ISO time (2026-12-03T10:00:00Z)",
      "start",
    )
    .option(
      "--to <where>",
      "now (the end when opened; the default), an offset (inclusive) or an ISO time (exclusive)",
    )
    .option("--follow", "keep reading new messages after the end (until Ctrl-C or --to)")
    .option("--checkpoint <name>", "resume after this reader's saved position, and save it after each batch")
    .option("--checkpoint-store <where>", "redis (the --broker's), a redis:// URL or a postgres:// URL")
    .option("--limit <n>", "stop after this many messages", positiveInt)
    .option(
      "--batch-size <n>",
      `messages per batch (and RabbitMQ prefetch; default ${DEFAULT_BATCH_SIZE})`,
      positiveInt,
    )
    .option(
      "--json",
      "one JSON line per message: id, position, time, headers, payload (JSON, text or base64)",
    )
    .option(
      "--spec <file>",
      "topology spec: the topic's history queue (RabbitMQ), stream key and fields (Redis)",
    )
    .option("--queue <name>", "RabbitMQ: read this stream queue as it is")
    .option("--stream <key>", "Redis: read this stream key as it is")
    .option("--payload-field <field>", "with --stream: the field holding other producers' payload")
    .action(async (topic: string, opts: ReplayCliOptions) => {
      const from = parseReplayPoint(opts.from, "--from");
      const to = opts.to === undefined ? undefined : parseReplayPoint(opts.to, "--to");
      if ((opts.checkpoint === undefined) !== (opts.checkpointStore === undefined))
        throw new InvalidOptionsError(
          "--checkpoint and --checkpoint-store go together: a name, and where to keep it",
        );
      if (opts.payloadField !== undefined && opts.stream === undefined)
        throw new InvalidOptionsError("--payload-field goes with --stream");
      const connection = await resolveConnection(opts.broker, opts);
      const amqp = /^amqps?:/i.test(connection.url);
      if (opts.queue !== undefined && !amqp)
        throw new InvalidOptionsError("--queue is for RabbitMQ (amqp://) brokers");
      if (opts.stream !== undefined && amqp)
        throw new InvalidOptionsError("--stream is for Redis (redis://) brokers");
      const spec = opts.spec === undefined ? undefined : await loadSpecFile(opts.spec);
      const opened =
        opts.checkpoint === undefined
          ? undefined
          : await openCheckpointStore(opts.checkpointStore!, connection.url, spec?.redis?.keyPrefix);
      const options: ReplayOptions = {
        from,
        ...(to === undefined ? {} : { to }),
        ...(opts.follow ? { follow: true } : {}),
        ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
        ...(opened ? { checkpoint: { name: opts.checkpoint!, store: opened.store } } : {}),
        ...(spec === undefined ? {} : { topology: spec }),
        ...(opts.queue === undefined ? {} : { queue: opts.queue }),
        ...(opts.stream === undefined ? {} : { key: opts.stream }),
        ...(opts.payloadField === undefined ? {} : { fields: { payload: opts.payloadField } }),
        ...(connection.tls ? { tls: connection.tls } : {}),
      };
      try {
        const reader = await openReplay(connection.url, topic, options).catch((err: unknown) => {
          throw err instanceof MqaError ? err : explainedConnectError(err, connection.url);
        });
        const resumed = reader.resumedAfter === undefined ? "" : ` after checkpoint ${reader.resumedAfter}`;
        process.stderr.write(
          `mqa replay: ${topic} on ${maskUrl(connection.url)}${resumed} via ${reader.method}\n`,
        );
        const stop = (): void => void reader.close();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        const progress = new ProgressLine();
        let count = 0;
        try {
          for (;;) {
            const left = opts.limit === undefined ? undefined : opts.limit - count;
            if (left === 0) {
              await reader.commit(); // the last batch printed is kept as done
              break;
            }
            const batch = await reader.next(left).catch((err: unknown) => {
              if (MqaError.is(err, "closed")) return undefined; // Ctrl-C between two batches
              throw err;
            });
            if (!batch) break;
            let out = "";
            for (const r of batch.messages)
              out += `${opts.json ? messageLine(r.message, undefined, { position: r.position }) : textLine(r)}\n`;
            process.stdout.write(out);
            count += batch.messages.length;
            progress.update(`mqa replay: ${count} messages, at ${batch.cursor}`);
          }
        } finally {
          progress.done();
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          await reader.close();
        }
        const saved = opened
          ? `; checkpoint ${opts.checkpoint} at ${reader.cursor ?? "(none)"} in ${opened.describe}`
          : "";
        process.stderr.write(`mqa replay: ${count} message${count === 1 ? "" : "s"}${saved}\n`);
      } finally {
        await opened?.close();
      }
    });
  addConnectionOptions(command);
}
