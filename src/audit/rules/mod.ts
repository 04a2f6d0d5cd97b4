/** The rule catalogue: every rule, in documentation order. */
import { auditMetaRules } from "./audit-meta.js";
import { rabbitmqConfigRules } from "./rabbitmq-config.js";
import { rabbitmqDeadLetterRules } from "./rabbitmq-dead-letter.js";
import { rabbitmqDurabilityRules } from "./rabbitmq-durability.js";
import { rabbitmqLimitsRules } from "./rabbitmq-limits.js";
import { rabbitmqLiveRules } from "./rabbitmq-live.js";
import { rabbitmqPolicyRules } from "./rabbitmq-policies.js";
import { rabbitmqQuorumRules } from "./rabbitmq-quorum.js";
import { rabbitmqSecurityRules } from "./rabbitmq-security.js";
import { rabbitmqTopologyRules } from "./rabbitmq-topology.js";
import { redisConfigRules } from "./redis-config.js";
import { redisSecurityRules } from "./redis-security.js";
import { redisStreamRules } from "./redis-streams.js";
import type { Rule } from "./rule.js";

/** Rule families, named as in docs/rules.md. */
export const RULE_FAMILIES: readonly { name: string; rules: readonly Rule[] }[] = [
  { name: "RabbitMQ durability", rules: rabbitmqDurabilityRules },
  { name: "RabbitMQ dead-lettering", rules: rabbitmqDeadLetterRules },
  { name: "RabbitMQ replication and streams", rules: rabbitmqQuorumRules },
  { name: "RabbitMQ limits", rules: rabbitmqLimitsRules },
  { name: "RabbitMQ policies", rules: rabbitmqPolicyRules },
  { name: "RabbitMQ topology", rules: rabbitmqTopologyRules },
  { name: "RabbitMQ security", rules: rabbitmqSecurityRules },
  { name: "RabbitMQ live broker", rules: rabbitmqLiveRules },
  { name: "RabbitMQ configuration files", rules: rabbitmqConfigRules },
  { name: "Redis persistence and memory", rules: redisConfigRules },
  { name: "Redis security", rules: redisSecurityRules },
  { name: "Redis Streams", rules: redisStreamRules },
  { name: "Audit coverage", rules: auditMetaRules },
];

/** Every rule. */
export const ALL_RULES: readonly Rule[] = RULE_FAMILIES.flatMap((f) => f.rules);

export type { Rule, RuleContext, RuleHit } from "./rule.js";
