/** Declares a topic's streams and a group on them, exactly as {@link planDeclaration} lists. */
import type { Redis } from "ioredis";
import { planDeclaration, type RedisKeyNames, type TrimPolicy } from "./naming.js";
import { scripts } from "./scripts.js";

/** Create the streams and consumer groups of `group` on `topic` (idempotent). Returns groups created. */
export async function declareGroup(
  client: Redis,
  names: RedisKeyNames,
  input: { topic: string; group: string; partitions: number; deadLetter?: boolean; trim?: TrimPolicy },
): Promise<number> {
  let created = 0;
  for (const step of planDeclaration(names, input)) {
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
