/**
 * Optional publish durability beyond "the primary has it in memory": WAIT for replicas and WAITAOF
 * for an fsync, detected on the server. One WAIT covers every earlier write of the connection, so
 * concurrent publishes share one WAIT instead of sending one each. On a Redis Cluster the WAIT goes to
 * the connection of the primary that took the write (WAIT counts one connection's writes): one waiter
 * per primary.
 */
import type { Cluster, Redis } from "ioredis";
import { connectionForKey, isCluster, type RedisClient } from "./client.js";
import { DurabilityNotMetError } from "../../core/errors.js";

export interface DurabilityRequirement {
  replicas: number;
  localFsync: boolean;
  timeoutMs: number;
}

/** What the server can confirm, detected once per connection. */
export interface ServerDurability {
  /** WAITAOF exists (Redis ≥ 7.2). */
  readonly waitAof: boolean;
  /** `appendonly yes` (undefined when CONFIG is not allowed for this user). */
  readonly appendOnly: boolean | undefined;
  /** `appendfsync always`: every write is fsynced before its reply. */
  readonly fsyncAlways: boolean | undefined;
}

/** Ask the server what it can confirm. CONFIG may be forbidden by ACLs: then those stay unknown. */
export async function detectServerDurability(client: RedisClient): Promise<ServerDurability> {
  const info = (await client.call("COMMAND", "INFO", "WAITAOF")) as unknown[];
  let appendOnly: boolean | undefined;
  let fsyncAlways: boolean | undefined;
  try {
    const cfg = (await client.call("CONFIG", "GET", "append*")) as string[];
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < cfg.length; i += 2) map.set(cfg[i]!, cfg[i + 1]!);
    appendOnly = map.get("appendonly") === "yes";
    fsyncAlways = appendOnly && map.get("appendfsync") === "always";
  } catch {
    // NOPERM: leave unknown.
  }
  return { waitAof: Array.isArray(info) && info[0] != null, appendOnly, fsyncAlways };
}

/** Confirms the durability of the writes to `key` sent so far. */
export interface DurabilityConfirmer {
  readonly requirement: DurabilityRequirement;
  confirm(key: string): Promise<void>;
}

/** Confirms durability after writes on one connection, sharing each WAIT among concurrent callers. */
export class DurabilityWaiter implements DurabilityConfirmer {
  private inFlight: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    private readonly client: Redis,
    private readonly server: () => ServerDurability | undefined,
    readonly requirement: DurabilityRequirement,
  ) {}

  /**
   * Resolve once every write sent on this connection before this call meets the requirement; else
   * DurabilityNotMetError. (`_key` only matters on a cluster.)
   */
  confirm(_key?: string): Promise<void> {
    // A WAIT already on the wire may have been sent before our write's reply; join the next one.
    if (!this.inFlight) return (this.inFlight = this.once().finally(() => (this.inFlight = undefined)));
    if (!this.next) {
      this.next = this.inFlight
        .catch(() => undefined)
        .then(() => {
          this.next = undefined;
          return this.confirm();
        });
    }
    return this.next;
  }

  private async once(): Promise<void> {
    const { replicas, localFsync, timeoutMs } = this.requirement;
    const server = this.server();
    if (localFsync && server?.waitAof) {
      const [local, acked] = (await this.client.call("WAITAOF", 1, replicas, timeoutMs)) as [number, number];
      if (local < 1 || acked < replicas) {
        throw new DurabilityNotMetError(
          `WAITAOF confirmed local fsync ${local}/1 and ${acked}/${replicas} replicas within ${timeoutMs} ms; ` +
            "the message is stored but not as durably as durability asks (raise durability.timeoutMs or check replicas)",
          { details: { local, replicas: acked, wanted: replicas } },
        );
      }
      return;
    }
    if (localFsync && server?.fsyncAlways !== true) {
      throw new DurabilityNotMetError(
        "durability.localFsync needs WAITAOF (Redis >= 7.2) or `appendfsync always`; this server has neither " +
          `(appendonly=${String(server?.appendOnly ?? "unknown")}), so the fsync cannot be confirmed`,
        { details: { waitAof: server?.waitAof ?? false, fsyncAlways: server?.fsyncAlways ?? null } },
      );
    }
    if (replicas > 0) {
      const acked = (await this.client.call("WAIT", replicas, timeoutMs)) as number;
      if (acked < replicas) {
        throw new DurabilityNotMetError(
          `WAIT: ${acked}/${replicas} replicas acknowledged within ${timeoutMs} ms; the message is on the ` +
            "primary but could be lost in a failover (raise durability.timeoutMs or check the replicas)",
          { details: { replicas: acked, wanted: replicas } },
        );
      }
    }
  }
}

/** Durability on a Redis Cluster: each write is confirmed on the primary serving its key's slot. */
export class ClusterDurability implements DurabilityConfirmer {
  private readonly waiters = new Map<Redis, DurabilityWaiter>();

  constructor(
    private readonly cluster: Cluster,
    private readonly server: () => ServerDurability | undefined,
    readonly requirement: DurabilityRequirement,
  ) {}

  confirm(key: string): Promise<void> {
    const node = connectionForKey(this.cluster, key);
    if (node === undefined)
      return Promise.reject(
        new DurabilityNotMetError(
          `no primary is known for the slot of ${key} (a failover is under way): the write's replication ` +
            "cannot be confirmed; it is stored on the primary that answered but could be lost",
          { details: { key } },
        ),
      );
    let waiter = this.waiters.get(node);
    if (waiter === undefined) {
      waiter = new DurabilityWaiter(node, this.server, this.requirement);
      this.waiters.set(node, waiter);
      node.once("end", () => this.waiters.delete(node));
    }
    return waiter.confirm();
  }
}

/** The durability confirmer for `client`: per connection on one server, per primary on a cluster. */
export function durabilityFor(
  client: RedisClient,
  server: () => ServerDurability | undefined,
  requirement: DurabilityRequirement,
): DurabilityConfirmer {
  return isCluster(client)
    ? new ClusterDurability(client, server, requirement)
    : new DurabilityWaiter(client, server, requirement);
}
