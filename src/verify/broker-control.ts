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
  /**
   * A cluster only: SIGKILL the node hosting the leader of quorum queue `queue`, then start it again;
   * resolves with what happened, for the report.
   */
  killLeader?(queue: string): Promise<string>;
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

/** Launchers by URL scheme: the private broker launchers in src/brokers/local/. TLS URLs have none. */
const launchers: Record<string, () => Promise<Launcher | undefined>> = {
  "amqp:": async () => rabbitmq,
  "redis:": async () => redis,
};

/**
 * Start a broker of the same kind as `url` on free ports (a cluster of `clusterNodes` nodes when given: RabbitMQ
 * only); throws `unsupported` when mqa has no launcher for it.
 */
export async function spawnBroker(url: string, clusterNodes?: number): Promise<OwnedBroker> {
  if (clusterNodes !== undefined) {
    if (new URL(url).protocol !== "amqp:")
      throw new MqaError(
        "unsupported",
        `--cluster starts a private RabbitMQ cluster; it needs an amqp:// broker URL, not ${new URL(url).protocol}//`,
      );
    return rabbitmqCluster(clusterNodes);
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
