/** Narrow a RabbitMQ model to one virtual host (users, nodes and cluster facts stay: they are shared). */
import type { AuditModel } from "../model.js";

/** Keep only `vhost`'s queues, exchanges, bindings, policies, permissions, parameters and live objects. */
export function restrictToVhost(model: AuditModel, vhost: string): AuditModel {
  const r = model.rabbit;
  if (!r) return model;
  const inV = <T extends { vhost: string }>(xs: T[]): T[] => xs.filter((x) => x.vhost === vhost);
  const d = r.definitions;
  const live = r.live && {
    ...r.live,
    queues: inV(r.live.queues),
    consumers: inV(r.live.consumers),
    channels: inV(r.live.channels),
  };
  return {
    ...model,
    rabbit: {
      definitions: {
        ...d,
        vhosts: d.vhosts.filter((v) => v === vhost),
        permissions: inV(d.permissions),
        parameters: inV(d.parameters),
        policies: inV(d.policies),
        queues: inV(d.queues),
        exchanges: inV(d.exchanges),
        bindings: inV(d.bindings),
      },
      live,
    },
  };
}
