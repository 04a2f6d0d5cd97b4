/**
 * The Lua scripts of the Redis transport (one atomic operation each, in ./lua/) and the one place
 * their negative return codes become errors. Scripts run by EVALSHA and fall back to EVAL after
 * NOSCRIPT (a restarted or failed-over server has an empty script cache).
 */
import { createHash } from "node:crypto";
import type { RedisClient } from "./client.js";
import { MqaError } from "../../core/errors.js";
import { acquireLeaseLua } from "./lua/acquire-lease.js";
import { deadLetterEntryLua } from "./lua/dead-letter-entry.js";
import { declareGroupLua } from "./lua/declare-group.js";
import { promoteDueLua } from "./lua/promote-due.js";
import { publishBatchLua } from "./lua/publish-batch.js";
import { releaseLeaseLua } from "./lua/release-lease.js";
import { removeIdleConsumerLua } from "./lua/remove-idle-consumer.js";
import { retryEntryLua } from "./lua/retry-entry.js";
import { touchHeldLua } from "./lua/touch-held.js";
import { trimStreamLua } from "./lua/trim-stream.js";
import { isReplyError } from "./reply-error.js";

/** Negative return codes shared by every script. */
export enum ScriptFailure {
  /** The entry is no longer pending for this consumer: acked already, or reclaimed by another one. */
  NotOwner = -1,
}

/** A script returned a negative code. `failure` says which; callers branch on it. */
export class RedisScriptError extends MqaError {
  constructor(
    readonly script: string,
    readonly failure: ScriptFailure,
  ) {
    super(
      "precondition-failed",
      `redis script ${script} refused: ${ScriptFailure[failure] ?? `code ${String(failure)}`}`,
      { details: { script, failure } },
    );
  }
}

type Arg = string | number | Buffer;

/** One Lua script, loaded lazily by SHA. */
export class RedisScript {
  readonly sha: string;
  constructor(
    readonly name: string,
    readonly lua: string,
  ) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  /** Run with `keys` and `args`; a negative integer reply becomes a {@link RedisScriptError}. */
  async run(client: RedisClient, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    let reply: unknown;
    try {
      reply = await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isReplyError(err, "NOSCRIPT")) throw err;
      reply = await client.eval(this.lua, keys.length, ...keys, ...args);
    }
    if (typeof reply === "number" && reply < 0) throw new RedisScriptError(this.name, reply as ScriptFailure);
    return reply;
  }
}

/** Every script, by what it does. */
export const scripts = {
  declareGroup: new RedisScript("declare-group", declareGroupLua),
  retryEntry: new RedisScript("retry-entry", retryEntryLua),
  promoteDue: new RedisScript("promote-due", promoteDueLua),
  deadLetterEntry: new RedisScript("dead-letter-entry", deadLetterEntryLua),
  trimStream: new RedisScript("trim-stream", trimStreamLua),
  acquireLease: new RedisScript("acquire-lease", acquireLeaseLua),
  releaseLease: new RedisScript("release-lease", releaseLeaseLua),
  removeIdleConsumer: new RedisScript("remove-idle-consumer", removeIdleConsumerLua),
  touchHeld: new RedisScript("touch-held", touchHeldLua),
  publishBatch: new RedisScript("publish-batch", publishBatchLua),
} as const;
