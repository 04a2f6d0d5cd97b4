/**
 * `mqa dlq list|stats|show|redrive|purge|export|import`: dead letters an operator can work with, over the
 * library in `src/dlq/`. Reporting commands print text, or one JSON document with `--json`; progress of
 * redrive/purge/export goes to stderr, so stdout stays clean for `--json` and NDJSON.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import {
  hasDeadLetterQueues,
  type DeadLetterCount,
  type DeadLetterQueues,
} from "../../core/dead-letter-queues.js";
import { RabbitManagementApi } from "../../brokers/management-api.js";
import { connectRedisAdmin } from "../../brokers/redis-admin.js";
import { InvalidOptionsError } from "../../core/errors.js";
import type { Transport } from "../../core/transport.js";
import {
  browseDeadLetters,
  deadLetterStats,
  exportDeadLetters,
  importDeadLetters,
  purgeDeadLetters,
  redriveDeadLetters,
  viewDeadLetter,
  type DeadLetterFilter,
} from "../../dlq/mod.js";
import type { DeadLetterQueueSummary } from "../../dlq/list-all.js";
import { listAmqpDeadLetterQueues, managementUrlOf } from "../../dlq/list-amqp.js";
import { listRedisDeadLetterQueues } from "../../dlq/list-redis.js";
import { resolveAddress, type AddressFlags } from "../address.js";
import { positiveInt } from "../args.js";
import { addConnectionOptions, resolveConnection, withTls, type ConnectionFlags } from "../connection.js";
import { openCliTransport } from "../transport.js";

interface DlqFlags extends Omit<AddressFlags, "broker">, ConnectionFlags {
  broker?: string;
  json?: boolean;
  reason?: string[];
  error?: string;
  olderThan?: number;
  newerThan?: number;
  id?: string[];
  header?: string[];
  limit?: number;
  toTopic?: string;
  toGroup?: string;
  dryRun?: boolean;
  rate?: number;
  yes?: boolean;
  out?: string;
  in?: string;
  management?: string;
}

/** `30s`, `5m`, `2h`, `1d` or plain milliseconds → ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new InvalidOptionsError(`'${text}' is not a duration: use e.g. 500ms, 30s, 5m, 2h or 1d`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? "ms"]!;
  return Math.round(Number(m[1]) * unit);
}

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value.split(",").filter((v) => v !== ""),
];

function filterOf(flags: DlqFlags): DeadLetterFilter {
  const headers: Record<string, string> = {};
  for (const h of flags.header ?? []) {
    const at = h.indexOf("=");
    if (at <= 0) throw new InvalidOptionsError(`--header '${h}' must be name=value`);
    headers[h.slice(0, at)] = h.slice(at + 1);
  }
  return {
    ...(flags.reason?.length ? { reasons: flags.reason } : {}),
    ...(flags.error !== undefined ? { errorText: flags.error } : {}),
    ...(flags.olderThan !== undefined ? { olderThanMs: flags.olderThan } : {}),
    ...(flags.newerThan !== undefined ? { newerThanMs: flags.newerThan } : {}),
    ...(flags.id?.length ? { ids: flags.id } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
  };
}

/** Add the addressing flags every subcommand takes (and the filter flags where `filters`). */
function common(command: Command, filters: boolean): Command {
  command
    .option("--broker <url>", "memory://, amqp://user@host:5672 or redis://host:6379 (or MQA_BROKER_URL)")
    .option("--topic <topic>", "topic of the group (with --spec: a topic of the spec)")
    .option("--group <group>", "the group whose dead-letter queue to work on")
    .option("--spec <file>", "topology spec: the group's queues are the spec's")
    .option("--json", "print one JSON document instead of text");
  if (filters)
    command
      .option("--reason <reason>", "only this reason (repeat or comma-separate)", collect)
      .option("--error <text>", "only dead letters whose error name/code/message contains this text")
      .option(
        "--older-than <duration>",
        "only dead-lettered at least this long ago (30s, 5m, 2h, 1d)",
        parseDuration,
      )
      .option("--newer-than <duration>", "only dead-lettered at most this long ago", parseDuration)
      .option("--id <id>", "only this message id (repeat or comma-separate)", collect)
      .option(
        "--header <name=value>",
        "only dead letters with this header value (repeatable)",
        (v: string, p: string[] = []) => [...p, v],
      );
  return addConnectionOptions(command);
}

interface Opened {
  readonly transport: Transport & DeadLetterQueues;
  readonly topic: string;
  readonly group: string;
}

async function withDlq<T>(flags: DlqFlags, run: (o: Opened) => Promise<T>): Promise<T> {
  const connection = await resolveConnection(flags.broker, flags);
  const address = await resolveAddress({ ...flags, broker: connection.url }, true);
  const transport = await openCliTransport(connection.url, withTls(address.connect, connection.tls));
  try {
    if (!hasDeadLetterQueues(transport))
      throw new InvalidOptionsError(`the ${transport.name} transport has no dead-letter queue tooling`);
    return await run({ transport, topic: address.topic, group: address.group! });
  } finally {
    await transport.close({ timeoutMs: 5000 });
  }
}

const ago = (ms: number | undefined): string => {
  if (ms === undefined) return "-";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120
    ? `${s}s`
    : s < 7200
      ? `${Math.round(s / 60)}m`
      : s < 172_800
        ? `${Math.round(s / 3600)}h`
        : `${Math.round(s / 86_400)}d`;
};

const print = (flags: DlqFlags, json: unknown, text: () => string): void => {
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : `${text()}\n`);
};

/** Stop cleanly on Ctrl-C / SIGTERM: the walk finishes the message in hand, then stops. */
function abortOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (): void => {
    process.stderr.write("mqa dlq: stopping after the message in hand…\n");
    controller.abort(new Error("stopped by signal"));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    },
  };
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

const countLine = (name: string, c: DeadLetterCount): string =>
  `${name}: ${c.count} dead letter(s)${c.count > 0 && c.oldestAt !== undefined ? `, oldest ${ago(c.oldestAt)} ago, newest ${ago(c.newestAt)} ago` : ""}`;

/**
 * `mqa dlq list` without a topic and group: every group's DLQ on the broker (Redis: SCAN of mqa's dlq
 * streams; RabbitMQ: the `.dlq` queues of the URL's vhost through the management API).
 */
async function listEveryGroup(flags: DlqFlags): Promise<void> {
  const connection = await resolveConnection(flags.broker, flags);
  const scheme = /^([a-z]+):/i.exec(connection.url)?.[1]?.toLowerCase();
  let list: DeadLetterQueueSummary[];
  if (scheme === "redis" || scheme === "rediss") {
    const admin = await connectRedisAdmin(connection.url);
    try {
      list = await listRedisDeadLetterQueues(admin);
    } finally {
      await admin.close();
    }
  } else if (scheme === "amqp" || scheme === "amqps") {
    const derived = managementUrlOf(connection.url);
    const api = new RabbitManagementApi(flags.management ?? derived.url);
    const transport = await openCliTransport(connection.url, withTls({}, connection.tls));
    try {
      if (!hasDeadLetterQueues(transport))
        throw new InvalidOptionsError(`the ${transport.name} transport has no dead-letter queue tooling`);
      list = await listAmqpDeadLetterQueues(api, derived.vhost, (topic, group) =>
        transport.countDeadLetters(topic, group),
      );
    } finally {
      await transport.close({ timeoutMs: 5000 });
    }
  } else
    throw new InvalidOptionsError(
      "mqa dlq list without --topic and --group lists a Redis (redis://) or RabbitMQ (amqp://) broker; for another broker give --topic and --group",
    );
  print(flags, { deadLetterQueues: list }, () =>
    list.length === 0
      ? "no dead-letter queues found"
      : list
          .map((s) =>
            countLine(s.topic !== undefined ? `${s.topic}/${s.group ?? ""}` : s.queues.join(", "), s),
          )
          .join("\n"),
  );
}

/** `mqa dlq …`. */
export function registerDlqCommand(program: Command): void {
  const dlq = program
    .command("dlq")
    .description(
      "work with dead letters: list, stats, show, redrive, purge, export, import (docs/dead-letters.md)",
    );

  common(
    dlq
      .command("list")
      .description(
        "count and oldest/newest age of a group's dead letters; without --topic/--group, of every group's",
      ),
    false,
  )
    .option(
      "--management <url>",
      "RabbitMQ, listing every group: the management API (default: http://<same user and host>:15672)",
    )
    .action((flags: DlqFlags) => {
      if (flags.topic === undefined && flags.group === undefined && flags.spec === undefined)
        return listEveryGroup(flags);
      return withDlq(flags, async ({ transport, topic, group }) => {
        const c = await transport.countDeadLetters(topic, group);
        print(flags, { topic, group, ...c }, () => countLine(`${topic}/${group}`, c));
      });
    });

  common(
    dlq.command("stats").description("dead letters grouped by reason and by error, with first/last seen"),
    true,
  ).action((flags: DlqFlags) =>
    withDlq(flags, async ({ transport, topic, group }) => {
      const stats = deadLetterStats(
        await browseDeadLetters(transport, topic, group, { filter: filterOf(flags) }),
      );
      print(flags, { topic, group, ...stats }, () => {
        const rows = (title: string, gs: typeof stats.byReason): string[] => [
          title,
          ...gs.map(
            (g) => `  ${String(g.count).padStart(6)}  ${g.key}  (first ${g.firstSeen}, last ${g.lastSeen})`,
          ),
        ];
        return [
          `${topic}/${group}: ${stats.total} dead letter(s)`,
          ...rows("by reason:", stats.byReason),
          ...rows("by error:", stats.byError),
        ].join("\n");
      });
    }),
  );

  common(
    dlq
      .command("show")
      .description("dead letters with reason, error, stack, attempts, times and a payload preview"),
    true,
  )
    .option("--limit <n>", "show at most this many", positiveInt, 20)
    .action((flags: DlqFlags) =>
      withDlq(flags, async ({ transport, topic, group }) => {
        const entries = await browseDeadLetters(transport, topic, group, {
          filter: filterOf(flags),
          limit: flags.limit ?? 20,
        });
        const views = entries.map((e) => viewDeadLetter(e));
        print(
          flags,
          { topic, group, deadLetters: views },
          () =>
            views
              .map((v) =>
                [
                  `${v.id}  reason=${v.reason}  attempts=${v.attempts}  dead-lettered ${v.deadLetteredAt}${v.redrivenCount ? `  redriven ${v.redrivenCount}x` : ""}`,
                  ...(v.error
                    ? [
                        `  error: ${v.error.name ?? ""}${v.error.code ? ` [${v.error.code}]` : ""}: ${v.error.message ?? ""}`,
                      ]
                    : []),
                  ...(v.stack ? v.stack.split("\n").map((l) => `  | ${l}`) : []),
                  ...(v.firstFailureAt
                    ? [`  failures: first ${v.firstFailureAt}, last ${v.lastFailureAt ?? "-"}`]
                    : []),
                  `  payload (${v.payloadBytes} B${v.contentType ? `, ${v.contentType}` : ""}): ${v.payloadPreview}`,
                ].join("\n"),
              )
              .join("\n\n") || `${topic}/${group}: no dead letters match`,
        );
      }),
    );

  common(
    dlq
      .command("redrive")
      .description("move matching dead letters back to their group (or --to-topic/--to-group)"),
    true,
  )
    .option("--to-topic <topic>", "redrive to this topic instead (with --to-group)")
    .option("--to-group <group>", "redrive to this group instead")
    .option("--dry-run", "only count what would be redriven")
    .option("--rate <n>", "at most this many per second", positiveInt)
    .option("--limit <n>", "redrive at most this many", positiveInt)
    .action((flags: DlqFlags) =>
      withDlq(flags, async ({ transport, topic, group }) => {
        const stop = abortOnSignals();
        try {
          const summary = await redriveDeadLetters(transport, {
            topic,
            group,
            ...(flags.toTopic !== undefined || flags.toGroup !== undefined
              ? { to: { topic: flags.toTopic ?? topic, group: flags.toGroup ?? group } }
              : {}),
            filter: filterOf(flags),
            dryRun: flags.dryRun === true,
            ...(flags.rate !== undefined ? { ratePerSecond: flags.rate } : {}),
            ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
            signal: stop.signal,
            onProgress: ({ redriven }) => {
              if (redriven % 100 === 0) process.stderr.write(`mqa dlq redrive: ${redriven} taken so far\n`);
            },
          });
          print(
            flags,
            { topic, group, ...summary },
            () =>
              `${summary.dryRun ? "dry run: would redrive" : "redrove"} ${summary.dryRun ? summary.matched : summary.redriven} of ${topic}/${group} (filter: ${summary.filter}); ${summary.kept} left in the DLQ${summary.aborted ? "; stopped early: run again to continue" : ""}`,
          );
        } finally {
          stop.dispose();
        }
      }),
    );

  common(
    dlq.command("purge").description("delete matching dead letters for good (asks first unless --yes)"),
    true,
  )
    .option("--yes", "do not ask for confirmation")
    .option("--dry-run", "only count what would be deleted")
    .action((flags: DlqFlags) =>
      withDlq(flags, async ({ transport, topic, group }) => {
        const filter = filterOf(flags);
        if (!flags.yes && !flags.dryRun) {
          const preview = await purgeDeadLetters(transport, topic, group, { filter, dryRun: true });
          if (preview.matched === 0)
            return print(flags, { topic, group, ...preview }, () => "nothing matches: nothing to purge");
          if (
            !(await confirm(
              `delete ${preview.matched} dead letter(s) of ${topic}/${group} (filter: ${preview.filter})? [y/N] `,
            ))
          )
            throw new InvalidOptionsError(
              `not confirmed: nothing was deleted (${preview.matched} would be); pass --yes to purge without asking`,
            );
        }
        const stop = abortOnSignals();
        try {
          const summary = await purgeDeadLetters(transport, topic, group, {
            filter,
            dryRun: flags.dryRun === true,
            signal: stop.signal,
            onProgress: ({ removed }) => {
              if (removed % 100 === 0) process.stderr.write(`mqa dlq purge: ${removed} deleted\n`);
            },
          });
          print(
            flags,
            { topic, group, ...summary },
            () =>
              `${summary.dryRun ? "dry run: would delete" : "deleted"} ${summary.dryRun ? summary.matched : summary.removed} of ${topic}/${group} (filter: ${summary.filter}); ${summary.kept} kept`,
          );
        } finally {
          stop.dispose();
        }
      }),
    );

  common(
    dlq
      .command("export")
      .description("write matching dead letters as NDJSON (payload base64), changing nothing"),
    true,
  )
    .option("--out <file>", "write to this file instead of stdout")
    .action((flags: DlqFlags) =>
      withDlq(flags, async ({ transport, topic, group }) => {
        const file = flags.out !== undefined ? createWriteStream(flags.out) : undefined;
        const out = file ?? process.stdout;
        const stop = abortOnSignals();
        try {
          const result = await exportDeadLetters(
            transport,
            topic,
            group,
            (line) => {
              out.write(`${line}\n`);
            },
            { filter: filterOf(flags), signal: stop.signal },
          );
          if (file !== undefined)
            await new Promise<void>((resolve, reject) => {
              file.on("error", reject);
              file.end(() => resolve());
            });
          process.stderr.write(
            `mqa dlq export: ${result.exported} dead letter(s) of ${topic}/${group}${result.aborted ? " (stopped early)" : ""}\n`,
          );
        } finally {
          stop.dispose();
        }
      }),
    );

  common(
    dlq.command("import").description("add dead letters from NDJSON (an export) to a group's DLQ"),
    false,
  )
    .option("--in <file>", "read this file instead of stdin")
    .action((flags: DlqFlags) =>
      withDlq(flags, async ({ transport, topic, group }) => {
        const input = flags.in !== undefined ? createReadStream(flags.in) : process.stdin;
        const lines: string[] = [];
        for await (const line of createInterface({ input, crlfDelay: Infinity })) lines.push(line);
        const result = await importDeadLetters(transport, lines, { topic, group });
        print(
          flags,
          { topic, group, ...result },
          () => `imported ${result.imported} dead letter(s) into ${topic}/${group}`,
        );
      }),
    );
}
