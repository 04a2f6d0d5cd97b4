/**
 * Lookups over a model's RabbitMQ declarations by name, built once per model: rules ask "is there a queue
 * named …", "which bindings leave exchange …" for every resource, and a scan per question made auditing a
 * spec of thousands of topics quadratic.
 */
import type { RabbitBinding, RabbitDeclarations, RabbitExchange, RabbitQueue } from "../model.js";

/** Name lookups of one set of declarations. Keys are per vhost, as RabbitMQ names resources. */
export interface DeclarationIndex {
  queue(vhost: string, name: string): RabbitQueue | undefined;
  exchange(vhost: string, name: string): RabbitExchange | undefined;
  /** Bindings whose source is `exchange` in `vhost`, in declaration order. */
  bindingsFrom(vhost: string, exchange: string): readonly RabbitBinding[];
  /** Bindings from `exchange` with exactly `routingKey` (what a direct exchange matches), in declaration order. */
  bindingsWithKey(vhost: string, exchange: string, routingKey: string): readonly RabbitBinding[];
}

const key = (vhost: string, name: string): string => `${vhost}\u0000${name}`;
const cache = new WeakMap<RabbitDeclarations, DeclarationIndex>();

/** First wins, as the scans it replaces found the first match. */
function byName<T extends { vhost: string; name: string }>(items: readonly T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const x of items) if (!out.has(key(x.vhost, x.name))) out.set(key(x.vhost, x.name), x);
  return out;
}

/** The index of `defs` (built on first use; the declarations must not change afterwards). */
export function declarationIndex(defs: RabbitDeclarations): DeclarationIndex {
  const cached = cache.get(defs);
  if (cached) return cached;
  const queues = byName(defs.queues);
  const exchanges = byName(defs.exchanges);
  const from = new Map<string, RabbitBinding[]>();
  const withKey = new Map<string, RabbitBinding[]>();
  const push = (map: Map<string, RabbitBinding[]>, k: string, b: RabbitBinding): void => {
    const list = map.get(k);
    if (list) list.push(b);
    else map.set(k, [b]);
  };
  for (const b of defs.bindings) {
    push(from, key(b.vhost, b.source), b);
    push(withKey, `${key(b.vhost, b.source)}\u0000${b.routingKey}`, b);
  }
  const index: DeclarationIndex = {
    queue: (vhost, name) => queues.get(key(vhost, name)),
    exchange: (vhost, name) => exchanges.get(key(vhost, name)),
    bindingsFrom: (vhost, exchange) => from.get(key(vhost, exchange)) ?? [],
    bindingsWithKey: (vhost, exchange, routingKey) =>
      withKey.get(`${key(vhost, exchange)}\u0000${routingKey}`) ?? [],
  };
  cache.set(defs, index);
  return index;
}
