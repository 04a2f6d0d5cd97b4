/**
 * Starts a private Redis Cluster for tests and `mqa verify`: 3 primaries and 3 replicas, each a redis-server
 * process ({@link RedisServerProcess}) on its own free port (and free cluster-bus port) with its own data
 * directory, joined by `redis-cli --cluster create … --cluster-replicas 1`. Faults: kill the primary owning
 * a slot (its replica takes over after `cluster-node-timeout`), restart a node, move a slot to another
 * primary the way resharding does (SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE). Nothing here touches
 * any other Redis. Exported for users' tests.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { clusterSlot, CLUSTER_SLOTS } from "../../transports/redis/layout.js";
import { freePort } from "./ports.js";
import { RedisServerProcess } from "./redis-launcher.js";
import { waitFor } from "./wait.js";

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Primaries (each gets `replicasPerPrimary` replicas). @defaultValue 3 */
  primaries?: number;
  /** @defaultValue 1 */
  replicasPerPrimary?: number;
  /** `cluster-node-timeout`: how long a silent primary has before its replica takes over. @defaultValue 2000 */
  nodeTimeoutMs?: number;
  /** AOF fsync policy of every node. @defaultValue "everysec" */
  appendfsync?: "always" | "everysec" | "no";
  /**
   * `cluster-require-full-coverage`: with false, the slots of live shards keep serving while one shard has
   * no primary (Redis's default is true: the whole cluster refuses commands). @defaultValue true
   */
  requireFullCoverage?: boolean;
  /** Give up waiting for the cluster to form (or heal) after this long. @defaultValue 30000 */
  readyTimeoutMs?: number;
  /** Path of the server binary. @defaultValue "redis-server" */
  serverBinary?: string;
  /** Path of redis-cli (for `--cluster create`). @defaultValue "redis-cli" */
  cliBinary?: string;
}

/** One node of the cluster as CLUSTER NODES describes it. */
export interface ClusterNodeInfo {
  readonly id: string;
  readonly port: number;
  readonly role: "primary" | "replica";
  /** Flagged `fail` or `fail?` by the node that answered. */
  readonly failing: boolean;
  /** Node id of its primary (replicas). */
  readonly primaryId: string | undefined;
  /** Slot ranges it serves, inclusive. */
  readonly slots: readonly (readonly [number, number])[];
}

/** A node of the private cluster: its process, and its id once the cluster knows it. */
export interface RedisClusterNode {
  readonly server: RedisServerProcess;
  readonly port: number;
}

/** Parse CLUSTER NODES output. */
export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  const nodes: ClusterNodeInfo[] = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split(" ");
    if (parts.length < 8) continue;
    const [id, address, flagText, primary] = parts as [string, string, string, string];
    const flags = flagText.split(",");
    const port = Number(address.split("@")[0]!.split(":").at(-1));
    const slots: [number, number][] = [];
    for (const s of parts.slice(8)) {
      if (s.startsWith("[")) continue; // a slot being imported or migrated
      const [from, to] = s.split("-").map(Number) as [number, number | undefined];
      slots.push([from, to ?? from]);
    }
    nodes.push({
      id,
      port,
      role: flags.includes("master") ? "primary" : "replica",
      failing: flags.includes("fail") || flags.includes("fail?"),
      primaryId: primary === "-" ? undefined : primary,
      slots,
    });
  }
  return nodes;
}

/** A throwaway admin connection to one node (no retries: a dead node fails fast). */
async function withNode<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    // A frozen node accepts the connection but never answers.
    commandTimeout: 3_000,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** A private Redis Cluster; see the module comment. */
export class RedisClusterProcess {
  private constructor(
    /** Every node, primaries first as created (roles change with failovers: ask {@link topology}). */
    readonly nodes: readonly RedisClusterNode[],
    private readonly options: RedisClusterOptions,
  ) {}

  /** Start the processes, create the cluster, and resolve once every node reports `cluster_state:ok`. */
  static async start(options: RedisClusterOptions = {}): Promise<RedisClusterProcess> {
    const primaries = options.primaries ?? 3;
    const replicas = options.replicasPerPrimary ?? 1;
    if (!Number.isInteger(primaries) || primaries < 3)
      throw new Error(`RedisClusterProcess: primaries must be an integer >= 3, got ${String(primaries)}`);
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new Error(
        `RedisClusterProcess: replicasPerPrimary must be an integer >= 0, got ${String(replicas)}`,
      );
    const nodes: RedisClusterNode[] = [];
    const cluster = new RedisClusterProcess(nodes, options);
    try {
      for (let i = 0; i < primaries * (1 + replicas); i++) {
        const busPort = await freePort();
        const server = await RedisServerProcess.start({
          ...(options.serverBinary !== undefined ? { binary: options.serverBinary } : {}),
          appendfsync: options.appendfsync ?? "everysec",
          args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-port",
            String(busPort),
            "--cluster-node-timeout",
            String(options.nodeTimeoutMs ?? 2_000),
            "--cluster-require-full-coverage",
            options.requireFullCoverage === false ? "no" : "yes",
          ],
        });
        nodes.push({ server, port: server.port });
      }
      await run(options.cliBinary ?? "redis-cli", [
        "--cluster",
        "create",
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        "--cluster-replicas",
        String(replicas),
        "--cluster-yes",
      ]);
      await cluster.waitHealthy();
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** Seed addresses for a cluster client. */
  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: "127.0.0.1", port: n.port }));
  }

  /** `redis://127.0.0.1:<port>` of the first node (any node is a valid seed). */
  get url(): string {
    return this.nodes[0]!.server.url;
  }

  /** The cluster as a running node sees it (the first one that answers). */
  async topology(): Promise<ClusterNodeInfo[]> {
    let last: unknown;
    for (const n of this.nodes) {
      if (!n.server.running) continue;
      try {
        return parseClusterNodes(String(await withNode(n.port, (c) => c.call("CLUSTER", "NODES"))));
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no node of the cluster answers CLUSTER NODES: ${String(last)}`);
  }

  /** The node serving `slotOrKey` now (a slot number or a key). */
  async primaryFor(slotOrKey: number | string): Promise<RedisClusterNode> {
    const slot = this.slotOf(slotOrKey);
    const owner = (await this.topology()).find(
      (n) => n.role === "primary" && !n.failing && n.slots.some(([a, b]) => slot >= a && slot <= b),
    );
    const node = owner && this.nodes.find((n) => n.port === owner.port);
    if (!node) throw new Error(`no live primary serves slot ${slot}`);
    return node;
  }

  /**
   * Crash (SIGKILL) the primary serving `slotOrKey`, then wait until a replica has taken the slot over and
   * every running node reports `cluster_state:ok` ({@link waitForFailover}). Returns the killed node and the
   * new primary.
   */
  async killPrimary(
    slotOrKey: number | string,
  ): Promise<{ killed: RedisClusterNode; promoted: RedisClusterNode }> {
    const killed = await this.primaryFor(slotOrKey);
    await killed.server.kill();
    return { killed, promoted: await this.waitForFailover(slotOrKey, killed) };
  }

  /**
   * Wait until a node other than `from` serves `slotOrKey` and every running node reports
   * `cluster_state:ok`; returns the new primary.
   */
  async waitForFailover(slotOrKey: number | string, from: RedisClusterNode): Promise<RedisClusterNode> {
    const slot = this.slotOf(slotOrKey);
    let promoted: RedisClusterNode | undefined;
    await waitFor(
      async () => {
        try {
          promoted = await this.primaryFor(slot);
        } catch {
          return false;
        }
        return promoted !== from && (await this.allOk());
      },
      this.options.readyTimeoutMs ?? 30_000,
      `another node to take over slot ${slot} from the one on port ${from.port}`,
      100,
    );
    return promoted!;
  }

  /** A replica of `primary` (as the cluster sees it now), or undefined when it has none alive. */
  async replicaOf(primary: RedisClusterNode): Promise<RedisClusterNode | undefined> {
    const topology = await this.topology();
    const id = topology.find((n) => n.port === primary.port)?.id;
    const replica = topology.find((n) => n.role === "replica" && !n.failing && n.primaryId === id);
    return replica && this.nodes.find((n) => n.port === replica.port);
  }

  /**
   * Freeze a node (SIGSTOP): it stays connected but answers nothing, as a stalled host does. With
   * `cutReplication`, its primary also drops the replication link to it (CLIENT KILL TYPE replica), so writes
   * from now on exist only on the primary until {@link thaw}.
   */
  async freeze(node: RedisClusterNode, options: { cutReplication?: boolean } = {}): Promise<void> {
    const pid = node.server.pid;
    if (pid === undefined || !node.server.running)
      throw new Error(`freeze: the node on port ${node.port} is not running`);
    const topology = await this.topology();
    const self = topology.find((n) => n.port === node.port);
    const primary = topology.find((n) => n.id === self?.primaryId);
    if (options.cutReplication && !primary)
      throw new Error(`freeze: the node on port ${node.port} is not a replica`);
    process.kill(pid, "SIGSTOP");
    if (options.cutReplication && primary)
      await withNode(primary.port, (c) => c.call("CLIENT", "KILL", "TYPE", "replica"));
  }

  /** Let a frozen node run again (SIGCONT). */
  thaw(node: RedisClusterNode): void {
    const pid = node.server.pid;
    if (pid !== undefined && node.server.running) process.kill(pid, "SIGCONT");
  }

  /** Start a stopped (killed) node again on its port and data; resolves once the cluster is healthy again. */
  async restart(node: RedisClusterNode): Promise<void> {
    await node.server.restart();
    await this.waitHealthy();
  }

  /**
   * Move `slot` (with its keys) to the primary `to` (default: the next primary after its owner), the way
   * resharding does: IMPORTING on the target, MIGRATING on the source, MIGRATE the keys in batches, then
   * SETSLOT NODE on both and on every other primary. Clients see MOVED or ASK meanwhile.
   */
  async moveSlot(slot: number, to?: RedisClusterNode): Promise<RedisClusterNode> {
    this.slotOf(slot);
    const topology = await this.topology();
    const source = await this.primaryFor(slot);
    const primaries = topology.filter((n) => n.role === "primary" && !n.failing);
    const sourceInfo = primaries.find((n) => n.port === source.port)!;
    const targetInfo = to
      ? primaries.find((n) => n.port === to.port)
      : primaries[(primaries.indexOf(sourceInfo) + 1) % primaries.length];
    if (!targetInfo)
      throw new Error(`moveSlot: the target on port ${String(to?.port)} is not a live primary`);
    if (targetInfo === sourceInfo)
      throw new Error(`moveSlot: slot ${slot} is already on port ${source.port}`);
    const target = this.nodes.find((n) => n.port === targetInfo.port)!;
    await withNode(target.port, (c) => c.call("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceInfo.id));
    await withNode(source.port, async (c) => {
      await c.call("CLUSTER", "SETSLOT", slot, "MIGRATING", targetInfo.id);
      for (;;) {
        const keys = (await c.call("CLUSTER", "GETKEYSINSLOT", slot, 100)) as string[];
        if (keys.length === 0) break;
        await c.call("MIGRATE", "127.0.0.1", target.port, "", 0, 10_000, "KEYS", ...keys);
      }
    });
    await withNode(target.port, (c) => c.call("CLUSTER", "SETSLOT", slot, "NODE", targetInfo.id));
    await withNode(source.port, (c) => c.call("CLUSTER", "SETSLOT", slot, "NODE", targetInfo.id));
    for (const p of primaries)
      if (p !== sourceInfo && p !== targetInfo)
        await withNode(p.port, (c) => c.call("CLUSTER", "SETSLOT", slot, "NODE", targetInfo.id));
    return target;
  }

  /** Thaw frozen nodes, start stopped ones, and wait until the cluster is healthy. */
  async heal(): Promise<void> {
    for (const n of this.nodes) this.thaw(n);
    for (const n of this.nodes) if (!n.server.running) await n.server.restart();
    await this.waitHealthy();
  }

  /** Stop every node and delete their data directories. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.server.dispose()));
  }

  /** Every running node answers `cluster_state:ok`, and every replica's link to its primary is up. */
  private async waitHealthy(): Promise<void> {
    await waitFor(
      async () => (await this.allOk()) && (await this.replicasLinked()),
      this.options.readyTimeoutMs ?? 30_000,
      "every node of the cluster to report cluster_state:ok and every replica to be in sync",
      100,
    );
  }

  private async allOk(): Promise<boolean> {
    for (const n of this.nodes) {
      if (!n.server.running) continue;
      const info = await withNode(n.port, (c) => c.call("CLUSTER", "INFO")).catch(() => "");
      if (!String(info).includes("cluster_state:ok")) return false;
    }
    return true;
  }

  private async replicasLinked(): Promise<boolean> {
    for (const n of this.nodes) {
      if (!n.server.running) continue;
      const info = String(await withNode(n.port, (c) => c.info("replication")).catch(() => ""));
      if (info.includes("role:slave") && !info.includes("master_link_status:up")) return false;
    }
    return true;
  }

  private slotOf(slotOrKey: number | string): number {
    if (typeof slotOrKey === "string") return clusterSlot(slotOrKey);
    if (!Number.isInteger(slotOrKey) || slotOrKey < 0 || slotOrKey >= CLUSTER_SLOTS)
      throw new Error(`slot must be an integer in 0..${CLUSTER_SLOTS - 1}, got ${String(slotOrKey)}`);
    return slotOrKey;
  }
}
