/** Safe migration steps for changes RabbitMQ cannot make in place. Words, because a person runs them. */
import type { ExchangeDefinition, QueueDefinition } from "../brokers/rabbit-definitions.js";

/** Queue arguments a policy can set instead (policies change in place; arguments never do). */
export const POLICY_KEY_OF_ARGUMENT: Readonly<Record<string, string>> = {
  "x-max-length": "max-length",
  "x-max-length-bytes": "max-length-bytes",
  "x-message-ttl": "message-ttl",
  "x-expires": "expires",
  "x-overflow": "overflow",
  "x-dead-letter-exchange": "dead-letter-exchange",
  "x-dead-letter-routing-key": "dead-letter-routing-key",
  "x-dead-letter-strategy": "dead-letter-strategy",
  "x-delivery-limit": "delivery-limit",
  "x-queue-mode": "queue-mode",
  "x-max-age": "max-age",
  "x-queue-leader-locator": "queue-leader-locator",
};

/** Steps to move a queue to new arguments, type or durability without losing a message. */
export function queueMigration(
  actual: QueueDefinition,
  desired: QueueDefinition,
  changedFields: readonly string[],
  messages: number | undefined,
): string[] {
  const q = actual.name;
  const next = `${q}.v2`;
  const backlog = messages === undefined ? "" : ` (${messages} now)`;
  const steps = [
    `RabbitMQ cannot change ${changedFields.join(", ")} of an existing queue (redeclaring fails with PRECONDITION_FAILED); move it instead:`,
    `1. declare queue "${next}" with the new settings and the same bindings as "${q}"`,
    `2. start consumers on "${next}"`,
    `3. remove the bindings of "${q}": new messages now reach only "${next}"`,
    `4. let the consumers of "${q}" drain it${backlog}, or move the rest with a shovel: rabbitmqctl -p ${actual.vhost} set_parameter shovel ${q}-move '{"src-protocol":"amqp091","src-uri":"amqp:///${encodeURIComponent(actual.vhost)}","src-queue":"${q}","src-delete-after":"queue-length","dest-protocol":"amqp091","dest-uri":"amqp:///${encodeURIComponent(actual.vhost)}","dest-queue":"${next}"}'`,
    `5. stop the consumers of "${q}" and delete it once empty: rabbitmqctl -p ${actual.vhost} delete_queue ${q} --if-empty`,
    `6. rename "${q}" to "${next}" in the spec (or repeat 1-5 to return to the old name)`,
  ];
  const policyable = changedFields
    .map((f) => f.replace(/^arguments\./, ""))
    .filter((a) => POLICY_KEY_OF_ARGUMENT[a] !== undefined && desired.arguments[a] !== undefined);
  if (policyable.length > 0) {
    const keys = policyable.map((a) => POLICY_KEY_OF_ARGUMENT[a]).join(", ");
    const fresh = policyable.every((a) => actual.arguments[a] === undefined);
    steps.push(
      fresh
        ? `simpler: leave ${policyable.join(", ")} out of the queue's arguments and set ${keys} with a policy instead: policies apply in place, no migration needed`
        : `tip: ${policyable.join(", ")} can be set by a policy (${keys}), which changes in place; after this migration, keep them out of the queue's arguments`,
    );
  }
  return steps;
}

/** Steps to move an exchange to a new type or flags; exchanges hold no messages, but publishes in between would be unroutable. */
export function exchangeMigration(actual: ExchangeDefinition, changedFields: readonly string[]): string[] {
  const e = actual.name;
  return [
    `RabbitMQ cannot change ${changedFields.join(", ")} of an existing exchange; replace it:`,
    `1. declare exchange "${e}.v2" with the new settings and copy the bindings of "${e}"`,
    `2. move publishers to "${e}.v2" (mqa publishers reject unroutable messages, so nothing is silently dropped)`,
    `3. delete "${e}" once nothing publishes to it, and rename it in the spec`,
  ];
}
