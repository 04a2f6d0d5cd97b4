/** Empty building blocks for sources. */
import type { AuditModel, AuditSource, RabbitDeclarations } from "../model.js";

export function emptyDeclarations(): RabbitDeclarations {
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
