/**
 * Minimal RabbitMQ management HTTP client on Node's global fetch (no HTTP library for a few GETs).
 * Credentials come from the URL's userinfo and travel only in the Authorization header; every error
 * message carries the masked URL.
 */
import { ConnectionClosedError, MqaError } from "../../core/errors.js";
import { maskUrl } from "../../core/redact.js";
import { AuditInputError } from "./definitions.js";

/** Result of a GET: the JSON body, or the HTTP status when the broker said no. */
export type ApiResult = { ok: true; body: unknown } | { ok: false; status: number };

export class ManagementClient {
  readonly maskedUrl: string;
  readonly user: string;
  readonly host: string;
  private readonly base: string;
  private readonly auth: string;

  /** `url` like `http://user:pass@host:15672` (an optional path prefix is kept). */
  constructor(
    url: string,
    private readonly timeoutMs = 10_000,
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch (err) {
      throw new AuditInputError(`not a valid management URL: ${maskUrl(url)}`, { cause: err });
    }
    this.maskedUrl = maskUrl(url);
    this.user = decodeURIComponent(u.username) || "guest";
    const password = u.password ? decodeURIComponent(u.password) : "guest";
    this.auth = "Basic " + Buffer.from(`${this.user}:${password}`).toString("base64");
    this.host = u.hostname;
    u.username = "";
    u.password = "";
    this.base = u.toString().replace(/\/$/, "");
  }

  /**
   * GET `path` (e.g. `/api/overview`). Non-2xx statuses are returned for the caller to judge: RabbitMQ
   * answers 401 both for bad credentials and for "not an administrator" on some endpoints, so only
   * {@link checkCredentials} treats 401 as fatal.
   */
  async get(path: string): Promise<ApiResult> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        headers: { authorization: this.auth, accept: "application/json" },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ConnectionClosedError(
        `cannot reach the RabbitMQ management API at ${this.maskedUrl} (${(err as Error).name}): is the rabbitmq_management plugin enabled and the port right?`,
        { cause: err },
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      return { ok: false, status: res.status };
    }
    try {
      return { ok: true, body: (await res.json()) as unknown };
    } catch (err) {
      throw new AuditInputError(
        `${this.maskedUrl}${path} did not return JSON: is this the management port (15672)?`,
        { cause: err },
      );
    }
  }

  /** Fail fast with a clear message when the URL's user cannot log in at all. */
  async checkCredentials(): Promise<void> {
    const r = await this.get("/api/whoami");
    if (!r.ok && r.status === 401)
      throw new MqaError(
        "invalid-options",
        `RabbitMQ management API at ${this.maskedUrl} refused the credentials (401): check the user and password in the URL`,
      );
  }
}
