/** Samples a live RabbitMQ through the management API: one GET of the queue list with the columns needed. */
import { BrokerApiError } from "../brokers/errors.js";
import { RabbitManagementApi } from "../brokers/management-api.js";
import { looksLikeDeadLetters, type QueueRole, type QueueStatus, type Snapshot } from "./snapshot.js";

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
].join(",");

/** Reads queue statuses from one management URL (`http://user:pass@host:15672`). */
export class RabbitSampler {
  private readonly api: RabbitManagementApi;

  constructor(
    url: string,
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
    return { at: new Date().toISOString(), target: this.api.maskedUrl, queues, gaps: [] };
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
  };
}

/** A queue whose messages leave by expiring into a DLX, with nobody consuming it, is a delay queue (mqa's levels). */
function roleOf(name: string, args: Obj, consumers: number): QueueRole {
  if (looksLikeDeadLetters(name)) return "dead-letter";
  if (consumers === 0 && args["x-message-ttl"] !== undefined && args["x-dead-letter-exchange"] !== undefined)
    return "delay";
  return "work";
}
