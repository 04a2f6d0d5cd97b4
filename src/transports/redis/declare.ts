/** Declares a topic's streams and a group on them, exactly as {@link planDeclaration} lists. */
import type { RedisClient } from "./client.js";
import { planDeclaration, type RedisKeyNames, type TrimPolicy } from "./naming.js";
import { replyErrorOf } from "./reply-error.js";
import { scripts } from "./scripts.js";
import { PreconditionFailedError, ResourceNotFoundError } from "../../core/errors.js";

/**
 * Fail loudly when the server says `topic` has another partition count than this process was
 * configured with: publishing would go to streams nobody reads, or consumers would miss partitions.
 * A topic nobody declared yet passes.
 */
export async function checkPartitions(
  client: RedisClient,
  names: RedisKeyNames,
  topic: string,
  partitions: number,
): Promise<void> {
  const stored = await client.hget(names.meta(topic), "partitions");
  if (stored !== null && Number(stored) !== partitions) {
    throw new PreconditionFailedError(
      `topic ${JSON.stringify(topic)} has ${stored} partition(s) on the server but this process is configured ` +
        `with ${partitions}; set topics[${JSON.stringify(topic)}].partitions to ${stored} everywhere ` +
        "(changing a topic's partition count needs a migration)",
      { details: { topic, server: Number(stored), configured: partitions } },
    );
  }
}

/** Quote a key or group name for a command line the user can paste into redis-cli. */
function arg(s: string): string {
  return /^[A-Za-z0-9_.:{}#@$*-]+$/.test(s) ? s : JSON.stringify(s);
}

/**
 * Check that `group` exists on `stream` (a group declared `existing`): never creates either. Throws
 * {@link ResourceNotFoundError} when the stream or the group is missing.
 */
export async function requireExistingGroup(
  client: RedisClient,
  stream: string,
  group: string,
  topic: string,
): Promise<void> {
  let rows: unknown[];
  try {
    rows = (await client.xinfo("GROUPS", stream)) as unknown[];
  } catch (err) {
    // A plain ERR reply: Redis has no error code for a missing key, only this documented detail.
    const reply = replyErrorOf(err);
    if (reply?.code !== "ERR" || !/^no such key/i.test(reply.detail)) throw err;
    return missing(stream, group, topic, "the stream does not exist");
  }
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    for (let i = 0; i + 1 < row.length; i += 2)
      if (String(row[i]) === "name" && String(row[i + 1]) === group) return;
  }
  return missing(stream, group, topic, "the stream has no such group");
}

function missing(stream: string, group: string, topic: string, what: string): never {
  throw new ResourceNotFoundError(
    `consumer group ${JSON.stringify(group)} on stream ${JSON.stringify(stream)} (topic ${JSON.stringify(topic)}) ` +
      `must exist already (groups.${group}.existing is true, so mqa never creates it), but ${what}: create it ` +
      `with XGROUP CREATE ${arg(stream)} ${arg(group)} $ MKSTREAM, or drop existing to let mqa create it`,
    { details: { topic, stream, group } },
  );
}

/** Create the streams and consumer groups of `group` on `topic` (idempotent). Returns groups created. */
export async function declareGroup(
  client: RedisClient,
  names: RedisKeyNames,
  input: {
    topic: string;
    group: string;
    partitions: number;
    deadLetter?: boolean;
    trim?: TrimPolicy;
    existing?: boolean;
  },
): Promise<number> {
  let created = 0;
  const steps = planDeclaration(names, input);
  // Groups that must exist are checked before anything is written: a missing one leaves no trace of mqa.
  for (const step of steps)
    if (step.kind === "group" && step.start === "existing")
      await requireExistingGroup(client, step.stream, input.group, input.topic);
  for (const step of steps) {
    if (step.kind === "meta") {
      await client.hsetnx(step.key, "partitions", step.partitions);
      await checkPartitions(client, names, input.topic, step.partitions);
      continue;
    }
    if (step.kind !== "group") continue;
    if (step.start === "existing") continue;
    const reply = await scripts.declareGroup.run(
      client,
      [step.stream],
      [input.group, step.start === "0" ? "0" : "auto"],
    );
    created += Number(reply);
  }
  return created;
}
