/**
 * Starts a private RabbitMQ cluster for tests and `mqa verify`: N nodes (3 by default) of
 * {@link RabbitMqLauncher}, each with its own node name, ports and data directory, sharing one
 * throwaway Erlang cookie. The nodes boot in parallel as standalone nodes (a boot costs ~10 s of CPU; two
 * cores make parallel boots cheaper than serial ones), then nodes 2..N `join_cluster` node 1, and
 * `start()` resolves once node 1's `cluster_status` lists every node as running. Nodes can then be killed
 * (SIGKILL, as a crash) and restarted one by one, which is what node-loss tests need.
 */
import { randomBytes } from "node:crypto";
import { RabbitMqLauncher } from "./rabbitmq-launcher.js";
import { waitFor } from "./wait.js";

/** Options of {@link RabbitMqCluster}. */
export interface RabbitMqClusterOptions {
  /** Number of nodes, 2 to 7. @defaultValue 3 */
  nodes?: number;
  /** Extra rabbitmq.conf lines for every node, e.g. `consumer_timeout = 5000`. */
  config?: readonly string[];
  /** How long to wait for the cluster to form (boot and joins). @defaultValue 120000 */
  bootTimeoutMs?: number;
}

/** A node of the cluster: its index (0-based) or its Erlang node name. */
export type ClusterNodeRef = number | string;

/** A private RabbitMQ cluster: `start()`, then `urls`; `kill(node)`, `restart(node)`, `stop()`. */
export class RabbitMqCluster {
  /** The nodes, in order; node 0 is the one the others joined. */
  readonly nodes: readonly RabbitMqLauncher[];
  private readonly bootTimeoutMs: number;

  constructor(options: RabbitMqClusterOptions = {}) {
    const count = options.nodes ?? 3;
    if (!Number.isInteger(count) || count < 2 || count > 7)
      throw new Error(`RabbitMqCluster option nodes must be an integer from 2 to 7 (got ${String(count)})`);
    this.bootTimeoutMs = options.bootTimeoutMs ?? 120_000;
    const erlangCookie = randomBytes(16).toString("hex").toUpperCase();
    const id = `${process.pid}-${randomBytes(3).toString("hex")}`;
    this.nodes = Array.from(
      { length: count },
      (_, i) =>
        new RabbitMqLauncher({
          nodeName: `mqa-cluster-${id}-${i + 1}@localhost`,
          erlangCookie,
          bootTimeoutMs: this.bootTimeoutMs,
          ...(options.config ? { config: options.config } : {}),
        }),
    );
  }

  /** AMQP URLs of every node, in node order. */
  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** Erlang node names, in node order. */
  get nodeNames(): string[] {
    return this.nodes.map((n) => n.nodeName);
  }

  /** The node `ref` names; throws on an unknown index or name. */
  node(ref: ClusterNodeRef): RabbitMqLauncher {
    const found = typeof ref === "number" ? this.nodes[ref] : this.nodes.find((n) => n.nodeName === ref);
    if (!found)
      throw new Error(`RabbitMqCluster has no node ${String(ref)} (nodes: ${this.nodeNames.join(", ")})`);
    return found;
  }

  /** Boot every node, join them into one cluster, wait until all run. Cleans up everything if it fails. */
  async start(): Promise<void> {
    try {
      const started = await Promise.allSettled(this.nodes.map((n) => n.start()));
      const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      const first = this.nodes[0]!;
      const joining = this.nodes.slice(1);
      // Stopping and starting the app are per node, so they run in parallel; the joins themselves go one at
      // a time, since concurrent joins race on node 1's cluster membership change.
      await Promise.all(joining.map((node) => node.ctl(["stop_app"])));
      for (const node of joining) await node.ctl(["join_cluster", first.nodeName]);
      await Promise.all(joining.map((node) => node.ctl(["start_app"])));
      await this.waitUntilRunning(this.nodes.length);
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  /** Names of the nodes the cluster reports as running, asked of the first node that answers. */
  async runningNodes(): Promise<string[]> {
    let lastError: unknown;
    for (const node of this.nodes.filter((n) => n.running)) {
      try {
        const status = JSON.parse(await node.ctl(["cluster_status", "--formatter", "json"])) as {
          running_nodes?: unknown;
        };
        return Array.isArray(status.running_nodes) ? status.running_nodes.map(String) : [];
      } catch (err) {
        lastError = err;
      }
    }
    throw new Error(`no node of the cluster answered cluster_status`, { cause: lastError });
  }

  /** Wait until `count` nodes run in the cluster (polls `cluster_status` every 500 ms). */
  async waitUntilRunning(count: number, timeoutMs = this.bootTimeoutMs): Promise<void> {
    let seen: string[] = [];
    await waitFor(
      async () => {
        seen = await this.runningNodes().catch(() => []);
        return seen.length === count;
      },
      timeoutMs,
      `${count} running nodes in the cluster (last seen: ${seen.join(", ") || "none"})`,
      500,
    );
  }

  /** The node hosting the leader of quorum queue `queue` (vhost `/`), from `rabbitmqctl list_queues`. */
  async quorumLeader(queue: string): Promise<string> {
    const node = this.nodes.find((n) => n.running);
    if (!node) throw new Error("no node of the cluster runs");
    const rows = JSON.parse(await node.ctl(["list_queues", "name", "leader", "--formatter", "json"])) as {
      name?: unknown;
      leader?: unknown;
    }[];
    const leader = rows.find((r) => r.name === queue)?.leader;
    if (typeof leader !== "string" || leader === "")
      throw new Error(
        `queue ${queue} has no leader listed by ${node.nodeName} (not a quorum queue, or absent)`,
      );
    return leader;
  }

  /** Wait until quorum queue `queue` has a leader other than `previous`; resolves with it. */
  async waitForLeaderOtherThan(queue: string, previous: string, timeoutMs = 60_000): Promise<string> {
    let leader = previous;
    await waitFor(
      async () => {
        leader = await this.quorumLeader(queue).catch(() => previous);
        return leader !== previous;
      },
      timeoutMs,
      `a new leader of ${queue} (other than ${previous})`,
      250,
    );
    return leader;
  }

  /** Kill a node at once (SIGKILL of its Erlang VM), as a crash would. Its data stays. */
  async kill(ref: ClusterNodeRef): Promise<void> {
    await this.node(ref).kill();
  }

  /** Start a killed or stopped node again on its ports and data; resolves once the cluster runs it again. */
  async restart(ref: ClusterNodeRef): Promise<void> {
    const node = this.node(ref);
    if (node.running) await node.shutdown();
    await node.start();
    await waitFor(
      async () => (await this.runningNodes().catch((): string[] => [])).includes(node.nodeName),
      this.bootTimeoutMs,
      `${node.nodeName} to run in the cluster again`,
      500,
    );
  }

  /** Kill every node and delete their directories. Safe to call twice. */
  async stop(): Promise<void> {
    // The data goes away with the nodes, so there is nothing a graceful stop would save.
    await Promise.all(this.nodes.map((n) => n.kill().catch(() => undefined)));
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
