/**
 * Spec → concrete RabbitMQ resources in definitions.json shape: defaults filled in, patterns (topics, retry,
 * dead letters) expanded through the {@link RabbitConventions}, shared resources (`mqa.dlx`) listed once.
 */
import { InvalidSpecError, type SpecIssue } from "./errors.js";
import type {
  ArgumentValue,
  Arguments,
  BindingDefinition,
  ExchangeDefinition,
  QueueDefinition,
  RabbitDefinitions,
  UserDefinition,
} from "../brokers/rabbit-definitions.js";
import { emptyDefinitions } from "../brokers/rabbit-definitions.js";
import { stableJson } from "../brokers/stable-json.js";
import { groupResourcesOf, planHistoryTopology } from "../transports/amqp/layout.js";
import { rabbitGroups, rabbitMaxRetryDelayMs } from "../spec/rabbit-groups.js";
import { rabbitHistories } from "../spec/rabbit-history.js";
import { rabbitPasswordHash } from "./password-hash.js";
import {
  createRabbitConventions,
  planToResources,
  type RabbitConventions,
  type RabbitResources,
} from "./rabbit-conventions.js";
import type { RabbitSpec, TopologySpec } from "../spec/schema/spec.js";

export interface ExpandOptions {
  /** @defaultValue the transport's convention ({@link createRabbitConventions}, one per expansion) */
  conventions?: RabbitConventions;
  /** Where `passwordFromEnv` variables are read. @defaultValue process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Broker version (`3.10.8`): arguments adapt to it as the transport's do. @defaultValue newest */
  brokerVersion?: string;
  /** Fail when a `passwordFromEnv` variable is unset; plans pass false and check passwords by hash instead. @defaultValue true */
  requirePasswords?: boolean;
}

/** The expansion, plus which users take their password from the environment (plans compare those by hash check). */
export interface ExpandedRabbit {
  definitions: RabbitDefinitions;
  /** user name → environment variable holding the password */
  passwordEnv: Map<string, string>;
  /**
   * Resources the spec's topics use as they are (`existing: true`) without declaring them (keys
   * `vhost\u0000name`): someone else's, so a plan never deletes them, nor the bindings that lead to or from them.
   */
  existing: { exchanges: ReadonlySet<string>; queues: ReadonlySet<string> };
}

export const DEFAULT_VHOST = "/";

const key = (...parts: string[]): string => parts.join("\u0000");

/** Identity of each resource kind, as RabbitMQ sees it. */
export const identity = {
  exchange: (e: Pick<ExchangeDefinition, "vhost" | "name">) => key(e.vhost, e.name),
  queue: (q: Pick<QueueDefinition, "vhost" | "name">) => key(q.vhost, q.name),
  binding: (b: BindingDefinition) =>
    key(b.vhost, b.source, b.destination_type, b.destination, b.routing_key, stableJson(b.arguments)),
};

export { stableJson };

/**
 * A list that keeps the first of each identity, with a set of the identities it holds: adding is O(1) (one
 * identity computed per item), so expansion stays linear however many groups share a resource. A scan per
 * insert made a 10,000-topic spec take minutes.
 */
export class UniqueList<T extends object> {
  private readonly seen = new Set<string>();
  /** Items added already, by reference: conventions hand out shared resources as the same objects. */
  private readonly objects = new WeakSet<T>();
  constructor(
    readonly items: T[],
    private readonly id: (t: T) => string,
  ) {
    for (const x of items) this.seen.add(id(x));
  }
  /** Append `item` unless an item of the same identity is there; true when it was added. */
  add(item: T): boolean {
    if (this.objects.has(item)) return false;
    this.objects.add(item);
    const k = this.id(item);
    if (this.seen.has(k)) return false;
    this.seen.add(k);
    this.items.push(item);
    return true;
  }
}

function cleanArguments(args: Record<string, unknown> | undefined): Arguments {
  const out: Record<string, ArgumentValue> = {};
  for (const [k, v] of Object.entries(args ?? {})) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

function expandUsers(
  r: RabbitSpec,
  env: ExpandOptions["env"],
  requirePasswords: boolean,
  passwordEnv: Map<string, string>,
): UserDefinition[] {
  const issues: SpecIssue[] = [];
  const users = (r.users ?? []).map((u, i): UserDefinition => {
    const algorithm = u.hashingAlgorithm ?? "rabbit_password_hashing_sha256";
    let hash = u.passwordHash ?? "";
    if (u.passwordFromEnv !== undefined) {
      passwordEnv.set(u.name, u.passwordFromEnv);
      const password = env?.[u.passwordFromEnv];
      if (password === undefined || password === "") {
        if (requirePasswords)
          issues.push({
            path: `rabbitmq.users[${i}].passwordFromEnv`,
            message: `environment variable ${u.passwordFromEnv} is not set`,
          });
      } else hash = rabbitPasswordHash(password, algorithm);
    }
    return {
      name: u.name,
      password_hash: hash,
      hashing_algorithm: algorithm,
      tags: u.tags ?? [],
      limits: {},
    };
  });
  if (issues.length > 0) throw new InvalidSpecError("(environment)", issues);
  return users;
}

/** Expand the RabbitMQ part of a spec. Throws {@link InvalidSpecError} when a password variable is missing. */
export function expandRabbit(spec: TopologySpec, options: ExpandOptions = {}): ExpandedRabbit {
  const conventions = options.conventions ?? createRabbitConventions();
  const defs = emptyDefinitions();
  const passwordEnv = new Map<string, string>();
  const r = spec.rabbitmq;
  const existing = { exchanges: new Set<string>(), queues: new Set<string>() };
  if (!r) return { definitions: defs, passwordEnv, existing };

  defs.vhosts = (r.vhosts ?? []).map((v) =>
    v.description ? { name: v.name, description: v.description } : { name: v.name },
  );
  defs.users = expandUsers(r, options.env ?? process.env, options.requirePasswords ?? true, passwordEnv);
  defs.permissions = (r.permissions ?? []).map((p) => ({
    user: p.user,
    vhost: p.vhost ?? DEFAULT_VHOST,
    configure: p.configure,
    write: p.write,
    read: p.read,
  }));
  defs.policies = (r.policies ?? []).map((p) => ({
    vhost: p.vhost ?? DEFAULT_VHOST,
    name: p.name,
    pattern: p.pattern,
    "apply-to": p.applyTo ?? "queues",
    definition: { ...p.definition },
    priority: p.priority ?? 0,
  }));
  for (const e of r.exchanges ?? []) {
    defs.exchanges.push({
      name: e.name,
      vhost: e.vhost ?? DEFAULT_VHOST,
      type: e.type,
      durable: e.durable ?? true,
      auto_delete: e.autoDelete ?? false,
      internal: e.internal ?? false,
      arguments: cleanArguments(e.arguments),
    });
  }

  const exchanges = new UniqueList(defs.exchanges, identity.exchange);
  const queues = new UniqueList(defs.queues, identity.queue);
  const bindings = new UniqueList(defs.bindings, identity.binding);
  const addResources = (extra: RabbitResources): void => {
    extra.exchanges.forEach((x) => exchanges.add(x));
    extra.queues.forEach((x) => queues.add(x));
    extra.bindings.forEach((x) => bindings.add(x));
  };
  // Delay levels are shared, so they are sized once for the longest delay any retry policy asks for.
  const maxDelayMs = rabbitMaxRetryDelayMs(r);
  const shared = {
    maxDelayMs,
    ...(options.brokerVersion === undefined ? {} : { brokerVersion: options.brokerVersion }),
  };

  // The same resolution the RabbitMQ transport declares from (src/spec/rabbit-groups.ts): the spec's own
  // arguments win over the convention's, and what exists already (or another spec entry declares) is left out.
  // A set, not a scan per group: specs with thousands of topics must expand in linear time.
  const listedExchanges = new Set((r.exchanges ?? []).map((e) => key(e.vhost ?? DEFAULT_VHOST, e.name)));
  for (const g of rabbitGroups(r)) {
    // Someone else's exchange: not declared by the topic and not listed in the spec's own exchanges.
    const listed = listedExchanges.has(key(g.vhost, g.exchange));
    if (!g.declareExchange && !listed && g.exchange !== "" && !g.exchange.startsWith("amq."))
      existing.exchanges.add(key(g.vhost, g.exchange));
    if (!g.declareQueue && !g.describedQueue) existing.queues.add(key(g.vhost, g.queue));
    addResources(
      conventions.group({
        ...shared,
        vhost: g.vhost,
        topic: g.topic,
        group: g.group,
        queueType: g.queueType,
        deadLetter: g.deadLetter,
        retry: g.retry,
        ...(g.deliveryLimit === undefined ? {} : { deliveryLimit: g.deliveryLimit }),
        resources: groupResourcesOf(g),
      }),
    );
  }
  // A topic's history stream (`history`), from the same plan the transport declares it with.
  for (const h of rabbitHistories(r)) {
    const listed = listedExchanges.has(key(h.vhost, h.exchange));
    if (!h.declareExchange && !listed && h.exchange !== "" && !h.exchange.startsWith("amq."))
      existing.exchanges.add(key(h.vhost, h.exchange));
    addResources(planToResources(planHistoryTopology(h), h.vhost));
  }
  for (const q of r.queues ?? []) {
    const vhost = q.vhost ?? DEFAULT_VHOST;
    const type = q.type ?? "quorum";
    let patternArgs: Arguments = {};
    if (type !== "stream" && (q.retry !== undefined || q.deadLetter === true)) {
      const pattern = conventions.queue({
        ...shared,
        vhost,
        queue: q.name,
        queueType: type,
        deadLetter: q.deadLetter ?? false,
        retry: q.retry !== undefined,
      });
      patternArgs = pattern.queueArguments;
      addResources(pattern.resources);
    }
    queues.add({
      name: q.name,
      vhost,
      durable: q.durable ?? true,
      auto_delete: q.autoDelete ?? false,
      arguments: { ...patternArgs, "x-queue-type": type, ...cleanArguments(q.arguments) },
    });
  }
  for (const b of r.bindings ?? []) {
    bindings.add({
      source: b.source,
      vhost: b.vhost ?? DEFAULT_VHOST,
      destination: b.destination,
      destination_type: b.destinationType ?? "queue",
      routing_key: b.routingKey ?? "",
      arguments: cleanArguments(b.arguments),
    });
  }
  return { definitions: defs, passwordEnv, existing };
}

/**
 * The spec as a RabbitMQ definitions.json document, ready for `rabbitmqctl import_definitions` or the
 * management API's `POST /api/definitions`. Passwords given by environment variable are hashed with a fresh
 * salt. Throws {@link InvalidSpecError} when such a variable is missing.
 */
export function specToDefinitions(spec: TopologySpec, options: ExpandOptions = {}): RabbitDefinitions {
  return expandRabbit(spec, options).definitions;
}
