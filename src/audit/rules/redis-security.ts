/** Redis security rules: passwords, protected mode, TLS, over-privileged ACL users. */
import { configOf, defaultUser, openWithoutPassword, redisOf, settingRef } from "./redis-helpers.js";
import type { Rule } from "./rule.js";

export const defaultUserNoPassword: Rule = {
  id: "redis-default-user-nopass",
  title: "Default user needs no password",
  severity: "critical",
  category: "security",
  broker: "redis",
  liveOnly: true,
  files: ["redis-conf"],
  why: "Any process that reaches the port is the default user: it can read every message, XDEL or FLUSHALL the streams, or rewrite the config.",
  fix: "ACL SETUSER default on resetpass >'<long random password>'   # then ACL SAVE (or requirepass in redis.conf)",
  check(ctx) {
    if (openWithoutPassword(ctx) !== true) return [];
    const d = defaultUser(ctx);
    return [
      {
        resource: "user default",
        location: { kind: "user", name: "default" },
        message: d ? "ACL user default is on with nopass" : 'requirepass is ""',
      },
    ];
  },
};

export const protectedModeOff: Rule = {
  id: "redis-protected-mode-off",
  title: "protected-mode is off",
  severity: "high",
  category: "security",
  broker: "redis",
  liveOnly: true,
  files: ["redis-conf"],
  why: "Protected mode is the last guard that refuses non-loopback clients when no password is set; without it a Redis bound to a public interface is open to the network.",
  fix: "redis.conf: protected-mode yes   # and set a password; bind only the interfaces clients use",
  check(ctx) {
    if (configOf(ctx)?.["protected-mode"] !== "no") return [];
    // Bound to loopback only, protected mode has nothing to protect (CONFIG GET bind, or the file's bind line).
    const bind =
      redisOf(ctx)?.file?.bind ??
      configOf(ctx)
        ?.["bind"]?.split(/\s+/)
        .filter((a) => a !== "");
    if (bind && bind.length > 0 && bind.every((a) => isLoopbackBind(a))) return [];
    const open = openWithoutPassword(ctx);
    return [
      {
        ...settingRef("protected-mode"),
        severity: open === false ? "low" : undefined,
        message: `protected-mode is no${bind === undefined ? (redisOf(ctx)?.file ? " and there is no bind line (all interfaces)" : "") : ` and bind is ${bind.join(" ")}`}${open === false ? " (a password is set)" : open === true ? " and the default user needs no password" : ""}`,
      },
    ];
  },
};

export const noTls: Rule = {
  id: "redis-no-tls",
  title: "Connections are not encrypted",
  severity: "medium",
  category: "security",
  broker: "redis",
  liveOnly: true,
  why: "Message payloads and the AUTH password cross the network in clear text; anyone on the path can read or replay them.",
  fix: "redis.conf: tls-port 6380, port 0, tls-cert-file/tls-key-file/tls-ca-cert-file; clients use rediss://",
  check(ctx) {
    const r = redisOf(ctx);
    if (!r || r.fromSpec || r.file || r.tls) return []; // a redis.conf does not say how clients connect
    const tlsPort = r.config?.["tls-port"];
    if (tlsPort !== undefined && tlsPort !== "0") return [];
    return [
      {
        ...settingRef("tls-port"),
        message: `connected without TLS${tlsPort === "0" ? " and tls-port is 0" : ""}`,
      },
    ];
  },
};

export const aclUserAllCommands: Rule = {
  id: "redis-acl-user-all-commands",
  title: "Application ACL user may run every command on every key",
  severity: "medium",
  category: "security",
  broker: "redis",
  liveOnly: true,
  why: "A service account with +@all ~* can FLUSHALL, CONFIG SET or read other services' streams: one leaked credential or bug affects everything in the instance.",
  fix: "ACL SETUSER {user} resetkeys ~{user}:* resetchannels -@all +@stream +@connection +ping",
  check(ctx) {
    return (
      (redisOf(ctx)?.aclUsers ?? [])
        // A user named as an administrator is expected to hold everything; service accounts are not.
        .filter(
          (u) => u.name !== "default" && !/admin/i.test(u.name) && u.enabled && u.allCommands && u.allKeys,
        )
        .map((u) => ({
          resource: `user ${u.name}`,
          location: { kind: "user", name: u.name },
          message: `ACL user ${u.name} has +@all on ~*`,
          params: { user: u.name },
        }))
    );
  },
};

export const dangerousCommands: Rule = {
  id: "redis-dangerous-commands",
  title: "Default user may run dangerous commands",
  severity: "low",
  category: "security",
  broker: "redis",
  liveOnly: true,
  why: "FLUSHALL, DEBUG, CONFIG SET and friends are one typo or one injected command away from deleting every stream.",
  fix: "ACL SETUSER default -@dangerous   # give admins their own user",
  check(ctx) {
    const d = defaultUser(ctx);
    if (!d || !d.enabled || !d.dangerous) return [];
    return [
      {
        resource: "user default",
        location: { kind: "user", name: "default" },
        message: "ACL user default may run @dangerous commands (FLUSHALL, CONFIG, DEBUG, ...)",
      },
    ];
  },
};

/** A bind address that only local clients reach (`-` marks an optional address in Redis 7). */
function isLoopbackBind(addr: string): boolean {
  const a = addr.replace(/^-/, "");
  return a === "localhost" || a === "::1" || /^127\./.test(a);
}

export const secretInConfigFile: Rule = {
  id: "redis-password-in-file",
  title: "A Redis password is written in a configuration file",
  severity: "high",
  category: "security",
  broker: "redis",
  liveOnly: false,
  files: ["redis-conf"],
  filesOnly: true,
  why: "Configuration files live in repositories, images and backups: everyone who reads any copy can connect as the default user (requirepass), as the replica (masterauth) or as that ACL user, and rotating it means a redeploy.",
  fix: "include /run/secrets/redis-auth.conf   # a file with the {directive} line, written from your secret store at deploy time",
  check(ctx) {
    return (redisOf(ctx)?.file?.secretDirectives ?? []).map((d) => ({
      ...settingRef(d.name),
      location: { kind: "setting", name: d.name, file: redisOf(ctx)!.file!.file, line: d.line },
      message: `${d.name} holds a cleartext password in the file (value not shown)`,
      params: { directive: d.name.split(" ")[0]! },
    }));
  },
};

const DANGEROUS = new Set([
  "FLUSHALL",
  "FLUSHDB",
  "CONFIG",
  "DEBUG",
  "SHUTDOWN",
  "KEYS",
  "MODULE",
  "SCRIPT",
  "EVAL",
  "MIGRATE",
  "REPLICAOF",
  "SLAVEOF",
  "ACL",
  "SAVE",
  "BGSAVE",
  "BGREWRITEAOF",
  "CLUSTER",
]);

export const dangerousCommandRenamed: Rule = {
  id: "redis-dangerous-command-renamed",
  title: "Dangerous command renamed instead of disabled",
  severity: "medium",
  category: "security",
  broker: "redis",
  liveOnly: false,
  files: ["redis-conf"],
  filesOnly: true,
  why: 'Renaming hides a command only from those who cannot read the file; the new name is in the repository, and any client that learns it can still FLUSHALL or rewrite the configuration. Disable it (rename to "") or deny it with ACLs.',
  fix: 'rename-command {command} ""   # or, with ACLs: user default on ... -@dangerous',
  check(ctx) {
    const file = redisOf(ctx)?.file;
    return (file?.renamedCommands ?? [])
      .filter((r) => !r.disabled && DANGEROUS.has(r.command))
      .map((r) => ({
        resource: `command ${r.command}`,
        location: { kind: "command", name: r.command, file: file!.file, line: r.line },
        message: `rename-command ${r.command} gives it another name (not shown) instead of disabling it`,
        params: { command: r.command },
      }));
  },
};

export const redisSecurityRules: Rule[] = [
  defaultUserNoPassword,
  protectedModeOff,
  noTls,
  aclUserAllCommands,
  dangerousCommands,
  secretInConfigFile,
  dangerousCommandRenamed,
];
