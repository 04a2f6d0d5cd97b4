/**
 * The one client for the RabbitMQ management HTTP API, shared by topology (throwing calls that change the
 * broker), the audit and the monitor (tolerant reads that judge a status themselves).
 *
 * Rules every call keeps: credentials come from the URL's userinfo and travel only in the Authorization
 * header; every message carries the URL with its password masked; each call is bounded by `timeoutMs`; an
 * `https:` URL uses {@link AdminTlsOptions} the same way for every call.
 */
import { maskUrl } from "../core/redact.js";
import { BrokerApiError, UnsafeChangeError } from "./errors.js";
import { httpRequest, type AdminTlsOptions } from "./http.js";
import type {
  BindingDefinition,
  ExchangeDefinition,
  PermissionDefinition,
  PolicyDefinition,
  QueueDefinition,
  RabbitDefinitions,
  VhostDefinition,
} from "./rabbit-definitions.js";
import { stableJson } from "./stable-json.js";

const enc = encodeURIComponent;

export interface ManagementApiOptions {
  /** Bound on each call; declaring a quorum queue on a busy broker can take seconds. @defaultValue 30_000 */
  timeoutMs?: number;
  /** TLS settings for an `https:` URL; ignored for `http:`. */
  tls?: AdminTlsOptions;
}

/** Result of a tolerant GET: the JSON body, or the HTTP status when the broker said no. */
export type ApiResult = { ok: true; body: unknown } | { ok: false; status: number };

/** Body of a user PUT: a ready hash, or a password read from the environment (sent, never printed). */
export type UserBody =
  { password_hash: string; hashing_algorithm: string; tags: string[] } | { password: string; tags: string[] };

export interface QueueState {
  messages: number;
  consumers: number;
}

export class RabbitManagementApi {
  /** The URL without credentials or trailing slash; paths are appended to `${baseUrl}/api`. */
  readonly baseUrl: string;
  /** The URL with its password masked, for messages. */
  readonly maskedUrl: string;
  /** The user the URL logs in as (`guest` when it names none). */
  readonly user: string;
  /** The URL's host name. */
  readonly host: string;
  readonly #authorization: string;
  readonly #timeoutMs: number;
  readonly #tls: AdminTlsOptions | undefined;

  /**
   * `url`: `http(s)://user:pass@host:15672` (a path prefix is kept). Throws {@link BrokerApiError}
   * (`invalid-options`) for anything else.
   */
  constructor(url: string, options: ManagementApiOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new BrokerApiError(
        `not a URL: ${maskUrl(url)}; give the management URL, e.g. http://user:pass@host:15672`,
        { code: "invalid-options", cause },
      );
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new BrokerApiError(
        `${maskUrl(url)} is not a management URL: RabbitMQ's management HTTP API is needed, e.g. http://user:pass@host:15672`,
        { code: "invalid-options" },
      );
    }
    this.maskedUrl = maskUrl(url);
    this.user = decodeURIComponent(parsed.username) || "guest";
    const password = parsed.password ? decodeURIComponent(parsed.password) : "guest";
    this.#authorization = `Basic ${Buffer.from(`${this.user}:${password}`).toString("base64")}`;
    this.host = parsed.hostname;
    parsed.username = "";
    parsed.password = "";
    this.baseUrl = parsed.toString().replace(/\/+$/, "");
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#tls = options.tls;
  }

  /** @deprecated Use {@link RabbitManagementApi.maskedUrl}. */
  get displayUrl(): string {
    return this.maskedUrl;
  }

  /** One request; network failures and timeouts become {@link BrokerApiError} with the masked URL. */
  async #send(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    try {
      return await httpRequest(new URL(`${this.baseUrl}/api${path}`), {
        method,
        headers: {
          authorization: this.#authorization,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: this.#timeoutMs,
        tls: this.#tls,
      });
    } catch (cause) {
      throw new BrokerApiError(
        `cannot reach the RabbitMQ management API at ${this.maskedUrl}: ${(cause as Error).message}; is the rabbitmq_management plugin enabled and the port right?`,
        { cause },
      );
    }
  }

  #parse(path: string, text: string): unknown {
    if (text === "") return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new BrokerApiError(
        `${this.maskedUrl}/api${path} did not return JSON: is this the management port (15672)?`,
        { code: "invalid-options", cause },
      );
    }
  }

  /** A call that must succeed: any non-2xx status throws {@link BrokerApiError} (deleting what is gone excepted). */
  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const reply = await this.#send(method, path, body);
    // Deleting what is already gone is success: applies and rollbacks must be repeatable.
    if (method === "DELETE" && reply.status === 404) return undefined;
    if (reply.status < 200 || reply.status > 299) {
      let reason = reply.text.slice(0, 300);
      try {
        const parsed = JSON.parse(reply.text) as { reason?: string; error?: string };
        reason = parsed.reason ?? parsed.error ?? reason;
      } catch {
        // not JSON: keep the text
      }
      const hint = reply.status === 401 ? " (check the user and password in the URL)" : "";
      throw new BrokerApiError(`${method} ${path} at ${this.maskedUrl} → ${reply.status}: ${reason}${hint}`, {
        code: reply.status === 401 ? "invalid-options" : "connection-closed",
        details: { status: reply.status, method, path },
      });
    }
    return this.#parse(path, reply.text);
  }

  /**
   * GET `path` (relative to `/api`, e.g. `/overview`), leaving a non-2xx status for the caller to judge:
   * RabbitMQ answers 401 both for bad credentials and for "not an administrator" on some endpoints, so only
   * {@link checkCredentials} treats 401 as fatal. Unreachable, or not JSON: {@link BrokerApiError}.
   */
  async get(path: string): Promise<ApiResult> {
    const reply = await this.#send("GET", path);
    if (reply.status < 200 || reply.status > 299) return { ok: false, status: reply.status };
    return { ok: true, body: this.#parse(path, reply.text) };
  }

  /** Fail fast with {@link BrokerApiError} (`invalid-options`) when the URL's user cannot log in at all. */
  async checkCredentials(): Promise<void> {
    const r = await this.get("/whoami");
    if (!r.ok && r.status === 401)
      throw new BrokerApiError(
        `RabbitMQ management API at ${this.maskedUrl} refused the credentials (401): check the user and password in the URL`,
        { code: "invalid-options", details: { status: 401 } },
      );
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
      if (err instanceof BrokerApiError && err.status === 404) return undefined;
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
      if (!(err instanceof BrokerApiError && err.status === 400 && /not supported/.test(err.message)))
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
      if (err instanceof BrokerApiError && err.status === 404) return;
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
