/**
 * A thin client for the RabbitMQ management HTTP API: the calls topology needs, nothing else. Node's global
 * fetch is enough; the URL's credentials become a Basic header and never appear in messages.
 */
import { maskUrl } from "../core/redact.js";
import { BrokerApiError, UnsafeChangeError } from "./errors.js";
import { stableJson } from "./expand-rabbit.js";
import type {
  BindingDefinition,
  ExchangeDefinition,
  PermissionDefinition,
  PolicyDefinition,
  QueueDefinition,
  RabbitDefinitions,
  VhostDefinition,
} from "./definitions.js";

const enc = encodeURIComponent;

/** Body of a user PUT: a ready hash, or a password read from the environment (sent, never printed). */
export type UserBody =
  { password_hash: string; hashing_algorithm: string; tags: string[] } | { password: string; tags: string[] };

export interface QueueState {
  messages: number;
  consumers: number;
}

export class RabbitManagementApi {
  readonly baseUrl: string;
  /** The URL with its password masked, for messages. */
  readonly displayUrl: string;
  readonly #authorization: string;
  readonly #timeoutMs: number;

  /**
   * `url`: `http(s)://user:pass@host:15672` (a path prefix is kept). `timeoutMs` bounds each call; declaring a
   * quorum queue on a busy broker can take seconds. @defaultValue 30_000
   */
  constructor(url: string, options: { timeoutMs?: number } = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new BrokerApiError(
        `not a URL: ${maskUrl(url)}; give the management URL, e.g. http://user:pass@host:15672`,
      );
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new BrokerApiError(
        `${maskUrl(url)} is not a management URL: RabbitMQ topology uses the management HTTP API, e.g. http://user:pass@host:15672`,
      );
    }
    this.displayUrl = maskUrl(url);
    const user = decodeURIComponent(parsed.username || "guest");
    const pass = decodeURIComponent(parsed.password || "guest");
    this.#authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    parsed.username = "";
    parsed.password = "";
    this.baseUrl = parsed.toString().replace(/\/+$/, "");
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/api${path}`, {
        method,
        headers: { authorization: this.#authorization, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw new BrokerApiError(
        `cannot reach the RabbitMQ management API at ${this.displayUrl}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    const text = await response.text();
    // Deleting what is already gone is success: applies and rollbacks must be repeatable.
    if (method === "DELETE" && response.status === 404) return undefined;
    if (!response.ok) {
      let reason = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { reason?: string; error?: string };
        reason = parsed.reason ?? parsed.error ?? reason;
      } catch {
        // not JSON: keep the text
      }
      const hint = response.status === 401 ? " (check the user and password in --broker)" : "";
      throw new BrokerApiError(`${method} ${path} → ${response.status}: ${reason}${hint}`, {
        details: { status: response.status, method, path },
      });
    }
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  }

  /** Every definition on the broker (needs the `administrator` tag). */
  async definitions(): Promise<RabbitDefinitions> {
    return (await this.#call("GET", "/definitions")) as RabbitDefinitions;
  }

  async overview(): Promise<{ rabbitmq_version?: string; management_version?: string }> {
    return (await this.#call("GET", "/overview")) as { rabbitmq_version?: string };
  }

  /** Messages per queue (`vhost\0name`) on the whole broker, in one call. */
  async queueMessageCounts(): Promise<Map<string, number>> {
    const list = (await this.#call("GET", "/queues?columns=vhost,name,messages")) as {
      vhost: string;
      name: string;
      messages?: number;
    }[];
    return new Map(list.map((q) => [`${q.vhost}\u0000${q.name}`, q.messages ?? 0]));
  }

  async queueState(vhost: string, name: string): Promise<QueueState | undefined> {
    try {
      const q = (await this.#call("GET", `/queues/${enc(vhost)}/${enc(name)}`)) as Partial<QueueState>;
      return { messages: q.messages ?? 0, consumers: q.consumers ?? 0 };
    } catch (err) {
      if (err instanceof BrokerApiError && err.details?.status === 404) return undefined;
      throw err;
    }
  }

  putVhost(v: VhostDefinition): Promise<unknown> {
    return this.#call("PUT", `/vhosts/${enc(v.name)}`, v.description ? { description: v.description } : {});
  }
  deleteVhost(name: string): Promise<unknown> {
    return this.#call("DELETE", `/vhosts/${enc(name)}`);
  }
  putUser(name: string, body: UserBody): Promise<unknown> {
    // A comma-separated string is what every broker version accepts for tags.
    return this.#call("PUT", `/users/${enc(name)}`, { ...body, tags: body.tags.join(",") });
  }
  deleteUser(name: string): Promise<unknown> {
    return this.#call("DELETE", `/users/${enc(name)}`);
  }
  putPermission(p: PermissionDefinition): Promise<unknown> {
    return this.#call("PUT", `/permissions/${enc(p.vhost)}/${enc(p.user)}`, {
      configure: p.configure,
      write: p.write,
      read: p.read,
    });
  }
  deletePermission(vhost: string, user: string): Promise<unknown> {
    return this.#call("DELETE", `/permissions/${enc(vhost)}/${enc(user)}`);
  }
  putPolicy(p: PolicyDefinition): Promise<unknown> {
    return this.#call("PUT", `/policies/${enc(p.vhost)}/${enc(p.name)}`, {
      pattern: p.pattern,
      definition: p.definition,
      priority: p.priority,
      "apply-to": p["apply-to"],
    });
  }
  deletePolicy(vhost: string, name: string): Promise<unknown> {
    return this.#call("DELETE", `/policies/${enc(vhost)}/${enc(name)}`);
  }
  putExchange(e: ExchangeDefinition): Promise<unknown> {
    return this.#call("PUT", `/exchanges/${enc(e.vhost)}/${enc(e.name)}`, {
      type: e.type,
      durable: e.durable,
      auto_delete: e.auto_delete,
      internal: e.internal,
      arguments: e.arguments,
    });
  }
  deleteExchange(vhost: string, name: string): Promise<unknown> {
    return this.#call("DELETE", `/exchanges/${enc(vhost)}/${enc(name)}`);
  }
  putQueue(q: QueueDefinition): Promise<unknown> {
    return this.#call("PUT", `/queues/${enc(q.vhost)}/${enc(q.name)}`, {
      durable: q.durable,
      auto_delete: q.auto_delete,
      arguments: q.arguments,
    });
  }
  /**
   * With `ifEmpty`, a queue that still holds messages is not deleted ({@link UnsafeChangeError}). Quorum
   * queues reject the broker's own if-empty flag, so the count is checked first and the flag used where it works.
   */
  async deleteQueue(vhost: string, name: string, options: { ifEmpty?: boolean } = {}): Promise<void> {
    const path = `/queues/${enc(vhost)}/${enc(name)}`;
    if (!options.ifEmpty) {
      await this.#call("DELETE", path);
      return;
    }
    const state = await this.queueState(vhost, name);
    if (state === undefined) return;
    if (state.messages > 0)
      throw new UnsafeChangeError(
        `queue ${vhost}/${name} still holds ${state.messages} messages, so it was not deleted: drain or move them first`,
        { details: { vhost, queue: name, messages: state.messages } },
      );
    try {
      await this.#call("DELETE", `${path}?if-empty=true`);
    } catch (err) {
      if (!(
        err instanceof BrokerApiError &&
        err.details?.status === 400 &&
        /not supported/.test(err.message)
      ))
        throw err;
      await this.#call("DELETE", path);
    }
  }
  putBinding(b: BindingDefinition): Promise<unknown> {
    const d = b.destination_type === "queue" ? "q" : "e";
    return this.#call("POST", `/bindings/${enc(b.vhost)}/e/${enc(b.source)}/${d}/${enc(b.destination)}`, {
      routing_key: b.routing_key,
      arguments: b.arguments,
    });
  }
  async deleteBinding(b: BindingDefinition): Promise<void> {
    const d = b.destination_type === "queue" ? "q" : "e";
    const path = `/bindings/${enc(b.vhost)}/e/${enc(b.source)}/${d}/${enc(b.destination)}`;
    // The API deletes by "properties key", which only the listing knows.
    let list: (BindingDefinition & { properties_key: string })[];
    try {
      list = (await this.#call("GET", path)) as (BindingDefinition & { properties_key: string })[];
    } catch (err) {
      if (err instanceof BrokerApiError && err.details?.status === 404) return;
      throw err;
    }
    for (const found of list) {
      if (
        found.routing_key === b.routing_key &&
        stableJson(found.arguments ?? {}) === stableJson(b.arguments)
      ) {
        await this.#call("DELETE", `${path}/${enc(found.properties_key)}`);
      }
    }
  }
}
