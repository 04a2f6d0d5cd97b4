/**
 * How mqa's patterns (topic + group, retry, dead letter) become RabbitMQ resources. Kept behind one interface
 * so the expansion follows whatever the RabbitMQ transport declares; {@link defaultRabbitConventions} is the
 * convention the transport uses.
 */
import type { Arguments, BindingDefinition, ExchangeDefinition, QueueDefinition } from "./definitions.js";
import { formatDuration } from "./duration.js";

/** One queue and the patterns it asks for. */
export interface QueuePatternInput {
  vhost: string;
  queue: string;
  queueType: "quorum" | "classic";
  /** Delay before each retry, ms; empty for no broker-side retry. */
  retryDelaysMs: readonly number[];
  deadLetter: boolean;
}

/** Concrete resources, in definitions.json shape. */
export interface RabbitResources {
  exchanges: ExchangeDefinition[];
  queues: QueueDefinition[];
  bindings: BindingDefinition[];
}

export interface RabbitConventions {
  /** Exchange a topic publishes to. */
  topicExchange(vhost: string, topic: string): ExchangeDefinition;
  /** Queue name of a group of a topic. */
  groupQueueName(topic: string, group: string): string;
  /** Arguments the queue itself needs, and the extra resources (delay queues, exchanges, DLQ). */
  queuePattern(input: QueuePatternInput): { queueArguments: Arguments; resources: RabbitResources };
}

/** Dead letters leave every queue through this direct exchange, keyed by the queue's name. */
export const DLX_EXCHANGE = "mqa.dlx";
/** Retries are published here with the delay queue's name as routing key. */
export const RETRY_EXCHANGE = "mqa.retry";

function exchange(vhost: string, name: string, type: string): ExchangeDefinition {
  return { name, vhost, type, durable: true, auto_delete: false, internal: false, arguments: {} };
}

function binding(vhost: string, source: string, destination: string, routingKey: string): BindingDefinition {
  return { source, vhost, destination, destination_type: "queue", routing_key: routingKey, arguments: {} };
}

/**
 * mqa's convention: topic T + group G → topic exchange `T`, queue `T.G` bound with `#`; dead letters through
 * direct exchange `mqa.dlx` to `T.G.dlq` (key `T.G`); each distinct retry delay d → classic queue
 * `T.G.retry.<d>` (TTL d, dead-lettering back to `T.G` through the default exchange), fed by `mqa.retry`.
 */
export const defaultRabbitConventions: RabbitConventions = {
  topicExchange: (vhost, topic) => exchange(vhost, topic, "topic"),
  groupQueueName: (topic, group) => `${topic}.${group}`,
  queuePattern(input) {
    const { vhost, queue } = input;
    const resources: RabbitResources = { exchanges: [], queues: [], bindings: [] };
    const queueArguments: Arguments = {};
    if (input.deadLetter) {
      queueArguments["x-dead-letter-exchange"] = DLX_EXCHANGE;
      queueArguments["x-dead-letter-routing-key"] = queue;
      resources.exchanges.push(exchange(vhost, DLX_EXCHANGE, "direct"));
      resources.queues.push({
        name: `${queue}.dlq`,
        vhost,
        durable: true,
        auto_delete: false,
        arguments: { "x-queue-type": input.queueType },
      });
      resources.bindings.push(binding(vhost, DLX_EXCHANGE, `${queue}.dlq`, queue));
    }
    const delays = [...new Set(input.retryDelaysMs)].filter((d) => d > 0).sort((a, b) => a - b);
    if (delays.length > 0) resources.exchanges.push(exchange(vhost, RETRY_EXCHANGE, "direct"));
    for (const delay of delays) {
      const name = `${queue}.retry.${formatDuration(delay)}`;
      resources.queues.push({
        name,
        vhost,
        durable: true,
        auto_delete: false,
        arguments: {
          "x-queue-type": "classic",
          "x-message-ttl": delay,
          "x-dead-letter-exchange": "",
          "x-dead-letter-routing-key": queue,
        },
      });
      resources.bindings.push(binding(vhost, RETRY_EXCHANGE, name, name));
    }
    return { queueArguments, resources };
  },
};
