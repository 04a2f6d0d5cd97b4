/** Empty building blocks for sources. */
import type { AuditModel, AuditSource, RabbitDefinitions } from "../model.js";

export function emptyDefinitions(): RabbitDefinitions {
  return {
    rabbitVersion: undefined,
    users: [],
    vhosts: [],
    permissions: [],
    parameters: [],
    globalParameters: [],
    policies: [],
    queues: [],
    exchanges: [],
    bindings: [],
  };
}

export function emptyModel(source: AuditSource): AuditModel {
  return { source, rabbit: undefined, redis: undefined, inspectGaps: [], secrets: new Set() };
}
