/** Which broker a `--broker` URL points at. */
import { maskUrl } from "../core/redact.js";
import { BrokerApiError } from "./errors.js";

export type BrokerKind = "rabbitmq" | "redis";

/** `http(s)://` is RabbitMQ's management API; `redis(s)://` is Redis. An AMQP URL gets a hint. */
export function brokerKindOf(url: string): BrokerKind {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "http" || scheme === "https") return "rabbitmq";
  if (scheme === "redis" || scheme === "rediss") return "redis";
  if (scheme === "amqp" || scheme === "amqps")
    throw new BrokerApiError(
      `${maskUrl(url)} is an AMQP URL; topology talks to the management API: use http://user:pass@host:15672`,
      { code: "invalid-options" },
    );
  throw new BrokerApiError(
    `unsupported broker URL ${maskUrl(url)}: use http(s):// (RabbitMQ management) or redis(s)://`,
    { code: "invalid-options" },
  );
}
