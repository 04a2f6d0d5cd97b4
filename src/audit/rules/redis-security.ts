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
  why: "Protected mode is the last guard that refuses non-loopback clients when no password is set; without it a Redis bound to a public interface is open to the network.",
  fix: "redis.conf: protected-mode yes   # and set a password; bind only the interfaces clients use",
  check(ctx) {
    if (configOf(ctx)?.["protected-mode"] !== "no") return [];
    const open = openWithoutPassword(ctx);
    return [
      {
        ...settingRef("protected-mode"),
        severity: open === false ? "low" : undefined,
        message: `protected-mode is no${open === false ? " (a password is set)" : open === true ? " and the default user needs no password" : ""}`,
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
    if (!r || r.fromSpec || r.tls) return [];
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

export const redisSecurityRules: Rule[] = [
  defaultUserNoPassword,
  protectedModeOff,
  noTls,
  aclUserAllCommands,
  dangerousCommands,
];
