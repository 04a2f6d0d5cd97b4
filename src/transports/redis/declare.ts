/** Declares a topic's streams and a group on them, exactly as {@link planDeclaration} lists. */
import type { Redis } from "ioredis";
import { planDeclaration, type RedisKeyNames, type TrimPolicy } from "./naming.js";
import { scripts } from "./scripts.js";
import { PreconditionFailedError } from "../../core/errors.js";

/**
 * Fail loudly when the server says `topic` has another partition count than this process was
 * configured with: publishing would go to streams nobody reads, or consumers would miss partitions.
 * A topic nobody declared yet passes.
 */
export async function checkPartitions(
  client: Redis,
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

/** Create the streams and consumer groups of `group` on `topic` (idempotent). Returns groups created. */
export async function declareGroup(
  client: Redis,
  names: RedisKeyNames,
  input: { topic: string; group: string; partitions: number; deadLetter?: boolean; trim?: TrimPolicy },
): Promise<number> {
  let created = 0;
  for (const step of planDeclaration(names, input)) {
    if (step.kind === "meta") {
      await client.hsetnx(step.key, "partitions", step.partitions);
      await checkPartitions(client, names, input.topic, step.partitions);
      continue;
    }
    if (step.kind !== "group") continue;
    const reply = await scripts.declareGroup.run(
      client,
      [step.stream],
      [input.group, step.start === "0" ? "0" : "auto"],
    );
    created += Number(reply);
  }
  return created;
}
