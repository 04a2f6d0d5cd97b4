/**
 * RabbitMQ node configuration rules, judged offline on rabbitmq.conf / advanced.config: memory and disk
 * alarms, consumer timeout, TLS peer verification, and credentials written into the file. Where a live
 * rule has the same meaning (guest reachable remotely, disk_free_limit too low), that rule reads the file
 * too and keeps its id; see rabbitmq-security.ts and rabbitmq-live.ts.
 */
import type { ConfigSetting, RabbitConfig } from "../model.js";
import { settingRef } from "./redis-helpers.js";
import type { Rule, RuleContext } from "./rule.js";

/** The RabbitMQ configuration files of the model, if any. */
export function rabbitConfigOf(ctx: RuleContext): RabbitConfig | undefined {
  return ctx.model.rabbitConfig;
}

/** A setting written in the files, or undefined. */
export function settingOf(ctx: RuleContext, key: string): ConfigSetting | undefined {
  return ctx.model.rabbitConfig?.settings.get(key);
}

/** True when a rabbitmq.conf (not only an advanced.config) was read: only then can an absent key be judged. */
export function hasMainConf(ctx: RuleContext): boolean {
  return ctx.model.rabbitConfig?.files.some((f) => f.kind === "rabbitmq-conf") ?? false;
}

/** Parse a cuttlefish byte size: 2GB, 512MiB, 50000000. Undefined when not a size. */
export function parseBytes(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?$/i.exec(value.trim().replace(/^"|"$/g, ""));
  if (!m) return undefined;
  const unit = (m[2] ?? "").toLowerCase();
  const pow = { "": 0, b: 0, k: 1, m: 2, g: 3, t: 4 }[unit[0] ?? ""] ?? 0;
  const base = unit.includes("i") || unit.length === 1 ? 1024 : 1000;
  return Number(m[1]) * base ** pow;
}

export const memoryWatermarkHigh: Rule = {
  id: "rmq-memory-watermark-high",
  title: "Memory high watermark set too high",
  severity: "high",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  files: ["rabbitmq-conf", "advanced-config"],
  filesOnly: true,
  why: "The memory alarm must fire while there is room left: Erlang's garbage collector can briefly double a process's memory, so above ~0.7 of RAM the kernel's OOM killer ends the node before RabbitMQ blocks publishers. Every connection drops, and unreplicated messages in memory are lost.",
  fix: "rabbitmq.conf: vm_memory_high_watermark.relative = 0.6",
  check(ctx) {
    const s = settingOf(ctx, "vm_memory_high_watermark.relative");
    const v = s ? Number(s.value) : NaN;
    if (!s || !Number.isFinite(v) || v <= 0.7) return [];
    return [
      {
        ...settingRef(s.key),
        severity: v >= 0.9 ? "high" : "medium",
        message: `vm_memory_high_watermark.relative = ${s.value} (${Math.round(v * 100)}% of RAM before publishers are blocked)`,
      },
    ];
  },
};

export const consumerTimeoutDisabled: Rule = {
  id: "rmq-consumer-timeout-disabled",
  title: "consumer_timeout disabled",
  severity: "medium",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  files: ["rabbitmq-conf", "advanced-config"],
  filesOnly: true,
  why: "A consumer that hangs without closing its channel keeps its unacknowledged messages forever: nobody else gets them, nothing alerts, and on quorum queues the log cannot be truncated. The timeout closes such a channel so the messages are redelivered.",
  fix: "rabbitmq.conf: consumer_timeout = 1800000   # 30 minutes; raise it per queue (x-consumer-timeout) for long jobs",
  check(ctx) {
    const s = settingOf(ctx, "consumer_timeout");
    if (!s) return [];
    const disabled = ["disabled", "false", "undefined", "infinity"].includes(s.value);
    const ms = Number(s.value);
    const day = 24 * 3600 * 1000;
    if (!disabled && !(Number.isFinite(ms) && ms > 7 * day)) return [];
    return [
      {
        ...settingRef(s.key),
        severity: disabled ? "medium" : "low",
        message: disabled
          ? `consumer_timeout is disabled (${s.file.endsWith(".config") ? "advanced.config" : "rabbitmq.conf"})`
          : `consumer_timeout = ${s.value} (${(ms / day).toFixed(0)} days: effectively disabled)`,
      },
    ];
  },
};

export const tlsWithoutPeerVerification: Rule = {
  id: "rmq-tls-no-peer-verification",
  title: "TLS listener does not verify client certificates",
  severity: "medium",
  category: "security",
  broker: "rabbitmq",
  liveOnly: false,
  files: ["rabbitmq-conf", "advanced-config"],
  filesOnly: true,
  why: "With verify_none (the default), or verify_peer without fail_if_no_peer_cert, any client that reaches the TLS port is accepted without a certificate: TLS then encrypts but does not authenticate, and x509 (EXTERNAL) authentication or an mTLS-only network policy is not enforced.",
  fix: "rabbitmq.conf: ssl_options.verify = verify_peer\nssl_options.fail_if_no_peer_cert = true\nssl_options.cacertfile = /etc/rabbitmq/ca.pem",
  check(ctx) {
    const conf = rabbitConfigOf(ctx);
    if (!conf) return [];
    const listener = [...conf.settings.values()].find(
      (s) => /^listeners\.ssl\./.test(s.key) && s.value !== "none",
    );
    if (!listener) return [];
    const verify = settingOf(ctx, "ssl_options.verify");
    const fail = settingOf(ctx, "ssl_options.fail_if_no_peer_cert");
    const missing: string[] = [];
    if (verify?.value !== "verify_peer")
      missing.push(`ssl_options.verify is ${verify?.value ?? "not set (verify_none)"}`);
    if (fail?.value !== "true")
      missing.push(`ssl_options.fail_if_no_peer_cert is ${fail?.value ?? "not set (false)"}`);
    if (missing.length === 0) return [];
    return [
      {
        ...settingRef(listener.key),
        message: `TLS listener ${listener.key} = ${listener.value}, but ${missing.join(" and ")}`,
      },
    ];
  },
};

export const passwordInConfigFile: Rule = {
  id: "rmq-config-password-in-file",
  title: "A password is written in the configuration file",
  severity: "high",
  category: "security",
  broker: "rabbitmq",
  liveOnly: false,
  files: ["rabbitmq-conf", "advanced-config"],
  filesOnly: true,
  why: "Configuration files live in repositories, images, Helm releases and backups: everyone who can read any of them has the password, and it cannot be rotated without a redeploy.",
  fix: "# remove {key} from this file, and write it at deploy time from your secret store into\n# /etc/rabbitmq/conf.d/90-secrets.conf (RabbitMQ 3.10+ reads conf.d/*.conf):\n{key} = <from the secret store>",
  check(ctx) {
    const conf = rabbitConfigOf(ctx);
    if (!conf) return [];
    const user = settingOf(ctx, "default_user")?.value ?? "guest";
    return (
      [...conf.settings.values()]
        // A template expression ({{ .Values.auth.password }}) is filled at deploy time: not a secret in the file.
        .filter((s) => /(^|[._])(pass|password)$/.test(s.key) && s.value !== "" && !s.value.includes("{{"))
        // default_pass equal to default_user is rmq-password-equals-username, a worse finding of its own.
        .filter((s) => !(s.key === "default_pass" && s.value === user))
        .map((s) => ({
          ...settingRef(s.key),
          message: `${s.key} is set in ${s.file} (value not shown)`,
          params: { key: s.key },
        }))
    );
  },
};

export const rabbitmqConfigRules: Rule[] = [
  memoryWatermarkHigh,
  consumerTimeoutDisabled,
  tlsWithoutPeerVerification,
  passwordInConfigFile,
];
