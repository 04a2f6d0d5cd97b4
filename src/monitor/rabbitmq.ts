/** Samples a live RabbitMQ through the management API: one GET of the queue list with the columns needed. */
import { BrokerApiError } from "../brokers/errors.js";
import { RabbitManagementApi } from "../brokers/management-api.js";
import { amqpUrlFor, dlqCommands } from "./dlq-commands.js";
import { rabbitDlqAddress, rabbitQueueAddress, type RabbitBinding } from "./rabbit-dlq.js";
import {
  looksLikeDeadLetters,
  type BrokerHealth,
  type QueueRole,
  type QueueStatus,
  type Snapshot,
} from "./snapshot.js";

/** Why the monitor shows no reasons on RabbitMQ (docs/monitor.md). */
export const RABBIT_REASONS_NOTE =
  "not read: reading a RabbitMQ queue's messages takes them off the queue, so the monitor only counts them; run the stats command";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

const COLUMNS = [
  "name",
  "vhost",
  "arguments",
  "consumers",
  "messages_ready",
  "messages_unacknowledged",
  "message_stats.publish_details.rate",
  "message_stats.ack_details.rate",
  "message_stats.deliver_get_details.rate",
].join(",");

const NODE_COLUMNS = "name,running,mem_alarm,disk_free_alarm,mem_used,mem_limit,partitions";

/** Reads queue statuses from one management URL (`http://user:pass@host:15672`). */
export class RabbitSampler {
  private readonly api: RabbitManagementApi;
  /** The broker's AMQP port, asked once (undefined: not known yet, or not reported). */
  private amqpPort: Promise<number | undefined> | undefined;

  constructor(
    private readonly url: string,
    private readonly vhost?: string,
  ) {
    this.api = new RabbitManagementApi(url, { timeoutMs: 10_000 });
  }

  get target(): string {
    return this.api.maskedUrl;
  }

  async sample(): Promise<Snapshot> {
    const path = this.vhost === undefined ? "/queues" : `/queues/${encodeURIComponent(this.vhost)}`;
    const res = await this.api.get(`${path}?columns=${COLUMNS}`);
    if (!res.ok) {
      throw new BrokerApiError(
        `RabbitMQ management API at ${this.api.maskedUrl} answered ${res.status} for the queue list` +
          (res.status === 401
            ? ": check the user and password in the URL (monitoring needs the monitoring tag)"
            : ""),
        {
          code: res.status === 401 ? "invalid-options" : "connection-closed",
          details: { status: res.status },
        },
      );
    }
    const queues = (Array.isArray(res.body) ? res.body : []).map(obj).map(toStatus);
    const gaps: string[] = [];
    const [bindings, health] = await Promise.all([this.readBindings(gaps), this.readHealth(gaps)]);
    for (const q of queues) if (q.role === "work") q.address = rabbitQueueAddress(q.name, q.scope, bindings);
    await this.addDeadLetterCommands(queues, bindings);
    return { at: new Date().toISOString(), target: this.api.maskedUrl, queues, gaps, health };
  }

  /** Every binding (one GET): it tells each queue's topic and each DLQ's group. */
  private async readBindings(gaps: string[]): Promise<RabbitBinding[]> {
    const path = this.vhost === undefined ? "/bindings" : `/bindings/${encodeURIComponent(this.vhost)}`;
    const res = await this.api.get(`${path}?columns=source,vhost,destination,destination_type,routing_key`);
    if (!res.ok) {
      gaps.push(
        `bindings not readable (HTTP ${res.status}): queues are not grouped by topic and dead-letter commands have placeholders`,
      );
      return [];
    }
    return (Array.isArray(res.body) ? res.body : []).map((b) => {
      const o = obj(b);
      const text = (k: string): string => (typeof o[k] === "string" ? o[k] : "");
      return {
        source: text("source"),
        vhost: text("vhost"),
        destination: text("destination"),
        destinationType: text("destination_type"),
        routingKey: text("routing_key"),
      };
    });
  }

  /** Version, connections and every node's state: `/api/overview` and `/api/nodes`. */
  private async readHealth(gaps: string[]): Promise<BrokerHealth | undefined> {
    const [overview, nodes] = await Promise.all([
      this.api.get("/overview?columns=rabbitmq_version,object_totals").catch(() => undefined),
      this.api.get(`/nodes?columns=${NODE_COLUMNS}`).catch(() => undefined),
    ]);
    if (!overview?.ok && !nodes?.ok) {
      gaps.push(
        `broker health not readable (HTTP ${overview?.status ?? "no answer"}): the user needs the monitoring tag`,
      );
      return undefined;
    }
    const o = obj(overview?.ok ? overview.body : undefined);
    const version = o["rabbitmq_version"];
    if (!nodes?.ok) gaps.push(`nodes not readable (HTTP ${nodes?.status ?? "no answer"})`);
    return {
      broker: "rabbitmq",
      version: typeof version === "string" ? version : undefined,
      connections: num(obj(o["object_totals"])["connections"]),
      nodes: (nodes?.ok && Array.isArray(nodes.body) ? nodes.body : []).map(obj).map((n) => ({
        name: typeof n["name"] === "string" ? n["name"] : "?",
        running: n["running"] === true,
        memoryAlarm: n["mem_alarm"] === true,
        diskAlarm: n["disk_free_alarm"] === true,
        memoryUsedBytes: num(n["mem_used"]),
        memoryLimitBytes: num(n["mem_limit"]),
        partitions: (Array.isArray(n["partitions"]) ? n["partitions"] : []).map(String),
      })),
    };
  }

  /**
   * Each DLQ's `mqa dlq` commands, from the bindings. Its messages are never read: on RabbitMQ that would
   * take them off the queue (decision 0090), so no reasons are shown here.
   */
  private async addDeadLetterCommands(queues: QueueStatus[], bindings: RabbitBinding[]): Promise<void> {
    const dlqs = queues.filter((q) => q.role === "dead-letter");
    if (dlqs.length === 0) return;
    const port = await (this.amqpPort ??= this.readAmqpPort());
    if (port === undefined) this.amqpPort = undefined; // ask again next time; meanwhile assume the default
    for (const q of dlqs) {
      const named = rabbitDlqAddress(q.name, q.scope, bindings);
      const broker = amqpUrlFor(this.url, q.scope, port);
      if ("address" in named) q.address = named.address;
      q.deadLetters = {
        commands:
          "address" in named
            ? dlqCommands(broker, named.address)
            : dlqCommands(broker, undefined, named.reason),
        reasonsNote: RABBIT_REASONS_NOTE,
      };
    }
  }

  /** The port of the broker's plain (or TLS, behind https) AMQP listener, from `/api/overview`. */
  private async readAmqpPort(): Promise<number | undefined> {
    const res = await this.api.get("/overview?columns=listeners").catch(() => undefined);
    if (!res?.ok) return undefined;
    const want = this.url.startsWith("https:") ? "amqp/ssl" : "amqp";
    const listeners = obj(res.body)["listeners"];
    const found = (Array.isArray(listeners) ? listeners : []).map(obj).find((l) => l["protocol"] === want);
    return num(found?.["port"]);
  }
}

function toStatus(q: Obj): QueueStatus {
  const name = typeof q["name"] === "string" ? q["name"] : "";
  const args = obj(q["arguments"]);
  const consumers = num(q["consumers"]) ?? 0;
  const stats = obj(q["message_stats"]);
  return {
    broker: "rabbitmq",
    scope: typeof q["vhost"] === "string" ? q["vhost"] : "/",
    name,
    role: roleOf(name, args, consumers),
    backlog: num(q["messages_ready"]) ?? 0,
    inFlight: num(q["messages_unacknowledged"]) ?? 0,
    consumers,
    publishRate: num(obj(stats["publish_details"])["rate"]),
    ackRate: num(obj(stats["ack_details"])["rate"]),
    deliverRate: num(obj(stats["deliver_get_details"])["rate"]),
  };
}

/** A queue whose messages leave by expiring into a DLX, with nobody consuming it, is a delay queue (mqa's levels). */
function roleOf(name: string, args: Obj, consumers: number): QueueRole {
  if (looksLikeDeadLetters(name)) return "dead-letter";
  if (consumers === 0 && args["x-message-ttl"] !== undefined && args["x-dead-letter-exchange"] !== undefined)
    return "delay";
  return "work";
}
