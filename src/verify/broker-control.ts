/**
 * A broker that `mqa verify --spawn-broker` started itself, so `broker-restart` may restart it. mqa
 * never restarts a broker it did not start.
 */
import { MqaError } from "../core/errors.js";

/** A broker this process owns. */
export interface OwnedBroker {
  /** URL of the broker (credentials included; mask before printing). */
  readonly url: string;
  /** What it is, for the report (`RabbitMQ 4.0.5 on port 41234`). */
  readonly description: string;
  /** Stop and start it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stop it and remove what it created. */
  stop(): Promise<void>;
  /** Every node's URL, when it is a cluster (clients get them all). */
  readonly urls?: readonly string[];
  /** What the cluster is made of, when it is one. */
  readonly cluster?: ClusterKind;
  /**
   * A RabbitMQ cluster only: SIGKILL the node hosting the leader of quorum queue `queue`, then start it again;
   * resolves with what happened, for the report.
   */
  killLeader?(queue: string): Promise<string>;
  /**
   * A Redis Cluster only: SIGKILL the primary serving `key`'s slot, wait for its replica to take over, start
   * the old one again (it rejoins as a replica); resolves with what happened, for the report.
   */
  killPrimary?(key: string): Promise<string>;
  /** A Redis Cluster only: move `key`'s slot (with its keys) to another primary; resolves with what happened. */
  moveSlot?(key: string): Promise<string>;
}

/** The brokers mqa can start a private cluster of. */
export type ClusterKind = "rabbitmq" | "redis";

/** Which private cluster `--cluster` starts for `url`; throws `unsupported` for a URL mqa has none for. */
export function clusterKindOf(url: string): ClusterKind {
  const protocol = URL.canParse(url) ? new URL(url).protocol : url;
  if (protocol === "amqp:") return "rabbitmq";
  if (protocol === "redis:") return "redis";
  throw new MqaError(
    "unsupported",
    "--cluster starts a private RabbitMQ cluster (amqp://) or Redis Cluster (redis://); " +
      `it has none for ${protocol}//`,
  );
}

type Launcher = () => Promise<OwnedBroker>;

/** A private RabbitMQ node (its own name, ports and data directory); restart = graceful stop + start. */
const rabbitmq: Launcher = async () => {
  const { RabbitMqLauncher } = await import("../brokers/local/rabbitmq-launcher.js");
  const node = new RabbitMqLauncher();
  try {
    await node.start();
  } catch (err) {
    await node.stop().catch(() => undefined);
    throw err;
  }
  return {
    url: node.url,
    description: `private RabbitMQ node ${node.nodeName} on port ${node.port}`,
    restart: () => node.restart(),
    stop: () => node.stop(),
  };
};

/** A private RabbitMQ cluster of `nodes` nodes; restart = restart of every node, one after another. */
async function rabbitmqCluster(nodes: number): Promise<OwnedBroker> {
  const { RabbitMqCluster } = await import("../brokers/local/rabbitmq-cluster.js");
  const cluster = new RabbitMqCluster({ nodes });
  await cluster.start(); // removes what it started if it fails
  return {
    url: cluster.urls[0]!,
    urls: cluster.urls,
    description: `private ${nodes}-node RabbitMQ cluster on ports ${cluster.nodes.map((n) => n.port).join(", ")}`,
    restart: async () => {
      for (const node of cluster.nodes) await cluster.restart(node.nodeName);
    },
    stop: () => cluster.stop(),
    cluster: "rabbitmq",
    killLeader: async (queue) => {
      const before = await cluster.quorumLeader(queue);
      const t0 = Date.now();
      await cluster.kill(before);
      const after = await cluster.waitForLeaderOtherThan(queue, before);
      const elected = Date.now() - t0;
      await cluster.restart(before);
      return (
        `SIGKILL ${before} (leader of ${queue}); new leader ${after} after ${elected} ms; ` +
        `node back in the cluster after ${Date.now() - t0} ms`
      );
    },
  };
}

/** A private redis-server (AOF, appendfsync always); restart = SIGTERM + start on the same data. */
const redis: Launcher = async () => {
  const { RedisServerProcess } = await import("../brokers/local/redis-launcher.js");
  const server = await RedisServerProcess.start();
  return {
    url: server.url,
    description: `private redis-server (appendfsync always) on port ${server.port}`,
    restart: () => server.restart(),
    stop: () => server.dispose(),
  };
};

/**
 * A private Redis Cluster of `primaries` primaries with one replica each (AOF, fsync every second, node
 * timeout 2 s); restart = every node in turn, each after the cluster is healthy again.
 */
async function redisCluster(primaries: number): Promise<OwnedBroker> {
  const { RedisClusterProcess } = await import("../brokers/local/redis-cluster.js");
  const { clusterSlot } = await import("../transports/redis/layout.js");
  const cluster = await RedisClusterProcess.start({ primaries, nodeTimeoutMs: 2_000 }); // removes what it started if it fails
  return {
    url: cluster.url,
    description:
      `private Redis Cluster of ${primaries} primaries and ${primaries} replicas on ports ` +
      cluster.nodes.map((n) => n.port).join(", "),
    restart: async () => {
      for (const node of cluster.nodes) await cluster.restart(node); // SIGTERM, start, wait until healthy
    },
    stop: () => cluster.stop(),
    cluster: "redis",
    killPrimary: async (key) => {
      const slot = clusterSlot(key);
      const t0 = Date.now();
      const { killed, promoted } = await cluster.killPrimary(slot);
      const tookOver = Date.now() - t0;
      await cluster.restart(killed);
      const role = (await cluster.topology()).find((n) => n.port === killed.port)?.role ?? "unknown role";
      return (
        `SIGKILL primary on port ${killed.port} (slot ${slot} of ${key}); replica on port ${promoted.port} ` +
        `took over after ${tookOver} ms; old primary back as ${role} after ${Date.now() - t0} ms`
      );
    },
    moveSlot: async (key) => {
      const slot = clusterSlot(key);
      const t0 = Date.now();
      const from = await cluster.primaryFor(slot);
      const to = await cluster.moveSlot(slot);
      return `moved slot ${slot} (${key}) with its keys from port ${from.port} to port ${to.port} in ${Date.now() - t0} ms`;
    },
  };
}

/** Launchers by URL scheme: the private broker launchers in src/brokers/local/. TLS URLs have none. */
const launchers: Record<string, () => Promise<Launcher | undefined>> = {
  "amqp:": async () => rabbitmq,
  "redis:": async () => redis,
};

/**
 * Start a broker of the same kind as `url` on free ports (with `clusterSize`, a cluster: that many RabbitMQ
 * nodes, or that many Redis primaries with a replica each); throws `unsupported` when mqa has no launcher for it.
 */
export async function spawnBroker(url: string, clusterSize?: number): Promise<OwnedBroker> {
  if (clusterSize !== undefined) {
    return clusterKindOf(url) === "rabbitmq" ? rabbitmqCluster(clusterSize) : redisCluster(clusterSize);
  }
  const protocol = new URL(url).protocol;
  const launcher = await launchers[protocol]?.();
  if (!launcher) {
    throw new MqaError(
      "unsupported",
      `--spawn-broker is not available for ${protocol}// in this build (no broker launcher); ` +
        "run without it (broker-restart is then skipped)",
    );
  }
  return launcher();
}
