/** RabbitMQ security rules: users, passwords, permissions, credentials in shovel/federation URIs. */
import { createHash } from "node:crypto";
import type { RabbitParameter } from "../model.js";
import { defsOf, policyRef, q, userRef } from "./helpers.js";
import { settingOf } from "./rabbitmq-config.js";
import { settingRef } from "./redis-helpers.js";
import { releaseSeries } from "./release-support.js";
import type { Rule, RuleContext, RuleHit } from "./rule.js";

/** Release series of the audited definitions or broker, when known. */
function seriesOf(ctx: RuleContext): { major: number; minor: number } | undefined {
  const v = ctx.model.rabbit?.live?.rabbitmqVersion ?? defsOf(ctx)?.rabbitVersion;
  return v === undefined ? undefined : releaseSeries(v);
}

/** RabbitMQ before 3.3 let guest log in from any host (loopback_users arrived in 3.3.0). */
function guestRemoteByDefault(ctx: RuleContext): boolean {
  const s = seriesOf(ctx);
  return s !== undefined && s.major === 3 && s.minor < 3;
}

/**
 * On a node configured by these files, can guest log in from another host? Only when guest is the
 * default user (no default_user, or default_user = guest) and loopback_users no longer lists it.
 */
function guestOpenByConfig(ctx: RuleContext): { key: string } | undefined {
  const user = settingOf(ctx, "default_user")?.value ?? "guest";
  if (user !== "guest") return undefined;
  const none = settingOf(ctx, "loopback_users");
  if (none?.value === "none") return { key: none.key };
  const g = settingOf(ctx, "loopback_users.guest");
  return g?.value === "false" ? { key: g.key } : undefined;
}

const HASH_BY_ALGORITHM: Record<string, string> = {
  rabbit_password_hashing_sha256: "sha256",
  rabbit_password_hashing_sha512: "sha512",
  rabbit_password_hashing_md5: "md5",
};

/** RabbitMQ stores base64(salt(4 bytes) ++ hash(salt ++ password)); recompute it for a guess. */
export function passwordMatchesHash(password: string, hash: string, algorithm: string): boolean {
  const alg = HASH_BY_ALGORITHM[algorithm];
  if (!alg || !hash) return false;
  const raw = Buffer.from(hash, "base64");
  if (raw.length < 5) return false;
  const salt = raw.subarray(0, 4);
  const digest = createHash(alg)
    .update(Buffer.concat([salt, Buffer.from(password, "utf8")]))
    .digest();
  return Buffer.concat([salt, digest]).equals(raw);
}

const isAdmin = (tags: string[]): boolean => tags.includes("administrator");

export const guestUserPresent: Rule = {
  id: "rmq-guest-user",
  title: "The default guest user exists",
  severity: "medium",
  category: "security",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Everyone knows guest/guest. If loopback_users is ever relaxed (a common 'fix' for remote access), anyone who reaches the port is an administrator.",
  fix: "rabbitmqctl delete_user guest   # after creating a named administrator",
  check(ctx) {
    const defs = defsOf(ctx);
    const open = guestRemoteByDefault(ctx);
    return (defs?.users ?? [])
      .filter((u) => u.name === "guest")
      .map((u) => ({
        ...userRef(u.name),
        ...(open
          ? {
              severity: "critical" as const,
              why: "Before RabbitMQ 3.3 there is no loopback_users restriction: guest can log in from any host, so anyone who reaches the port and tries guest/guest (or the password in this export) administers the broker.",
            }
          : {}),
        message: `user guest exists (tags: ${u.tags.join(",") || "none"})${open ? ` and RabbitMQ ${defs?.rabbitVersion ?? ""} lets it log in remotely (loopback_users arrived in 3.3)` : ""}`,
      }));
  },
};

export const guestRemoteLogin: Rule = {
  id: "rmq-guest-remote",
  title: "guest can log in from a non-loopback address",
  severity: "critical",
  category: "security",
  broker: "rabbitmq",
  liveOnly: true,
  files: ["rabbitmq-conf", "advanced-config"],
  why: "loopback_users does not protect guest (the audit logged in as guest through a non-loopback address, or the configuration lifts the restriction): anyone on the network can administer the broker with the well-known password.",
  fix: "rabbitmqctl delete_user guest   # or in rabbitmq.conf: loopback_users.guest = true",
  check(ctx) {
    const open = guestOpenByConfig(ctx);
    if (open)
      return [
        {
          ...settingRef(open.key),
          message: `${open.key} = ${settingOf(ctx, open.key)?.value ?? ""} and guest is the default user (${settingOf(ctx, "default_user") ? "default_user = guest" : "no default_user"}): guest/guest can log in from any host`,
          fix: "rabbitmq.conf: loopback_users.guest = true\ndefault_user = <a named administrator>   # and provide default_pass from a secret at deploy time",
        },
      ];
    const live = ctx.model.rabbit?.live;
    if (!live || live.loggedInAs !== "guest" || live.loopbackHost) return [];
    return [{ ...userRef("guest"), message: `logged in as guest via ${live.url}` }];
  },
};

export const passwordEqualsUsername: Rule = {
  id: "rmq-password-equals-username",
  title: "A user's password is its user name",
  severity: "critical",
  category: "security",
  broker: "rabbitmq",
  liveOnly: false,
  why: "The first thing an attacker tries. Whoever can reach the AMQP or management port gets this user's permissions.",
  fix: 'rabbitmqctl change_password {user} "$(openssl rand -base64 24)"',
  files: ["rabbitmq-conf", "advanced-config"],
  check(ctx) {
    const out: RuleHit[] = (defsOf(ctx)?.users ?? [])
      .filter(
        (u) =>
          u.plaintextPassword === "same-as-name" ||
          passwordMatchesHash(u.name, u.passwordHash, u.hashingAlgorithm),
      )
      .map((u) => ({
        ...userRef(u.name),
        message: `user ${u.name} has the password "${u.name}" (${u.plaintextPassword === "same-as-name" ? "its cleartext password field" : "checked against its hash"})`,
        params: { user: q(u.name) },
      }));
    // A configuration file that sets default_user and default_pass to the same name (guest/guest written out).
    const user = settingOf(ctx, "default_user");
    const pass = settingOf(ctx, "default_pass");
    if (pass && pass.value === (user?.value ?? "guest"))
      out.push({
        ...settingRef(pass.key),
        message: `default_pass is the default user's name (${user ? "default_user" : "guest, the default user"}): the node creates ${user?.value ?? "guest"} with the password "${user?.value ?? "guest"}"`,
        fix: "rabbitmq.conf: default_user = <a named administrator>\n# default_pass: written at deploy time from your secret store into /etc/rabbitmq/conf.d/90-secrets.conf",
      });
    return out;
  },
};

export const appUserFullPermissions: Rule = {
  id: "rmq-app-user-full-permissions",
  title: "Application user has configure/write/read on everything",
  severity: "medium",
  category: "security",
  broker: "rabbitmq",
  liveOnly: false,
  why: "A service account that can configure `.*` can delete or redeclare any queue in the vhost: one bug or leaked credential wipes other teams' queues and their messages.",
  fix: "rabbitmqctl set_permissions -p {vhost} {user} '^{user}\\.' '^{user}\\.' '^{user}\\.'   # scope the service to its own names",
  check(ctx) {
    const defs = defsOf(ctx);
    if (!defs) return [];
    const out: RuleHit[] = [];
    for (const p of defs.permissions) {
      const user = defs.users.find((u) => u.name === p.user);
      if (user && isAdmin(user.tags)) continue;
      if (!user && defs.users.length > 0) continue; // rmq-permission-unknown-user says it, with the same facts
      if (p.configure === ".*" && p.write === ".*" && p.read === ".*")
        out.push({
          ...userRef(p.user),
          resource: `vhost ${p.vhost} user ${p.user}`,
          message: `user ${p.user} (tags: ${user?.tags.join(",") || "none"}) has configure/write/read ".*" on vhost ${p.vhost}`,
          params: { vhost: q(p.vhost), user: p.user },
        });
    }
    return out;
  },
};

export const md5Hashing: Rule = {
  id: "rmq-md5-password-hashing",
  title: "Password hashed with MD5",
  severity: "high",
  category: "security",
  broker: "rabbitmq",
  liveOnly: false,
  why: "MD5 hashes fall to commodity GPUs in minutes; anyone who reads a definitions export (backups, monitoring users) recovers the passwords.",
  fix: "rabbitmq.conf: password_hashing_module = rabbit_password_hashing_sha256\nrabbitmqctl change_password {user} '<new password>'   # rehashes with SHA-256",
  check(ctx) {
    const version = defsOf(ctx)?.rabbitVersion;
    return (defsOf(ctx)?.users ?? [])
      .filter((u) => u.hashingAlgorithm === "rabbit_password_hashing_md5" && u.passwordHash !== "")
      .map((u) => ({
        ...userRef(u.name),
        message: u.hashingAlgorithmImplied
          ? `user ${u.name} has no hashing_algorithm in a RabbitMQ ${version ?? "?"} export: its hash is MD5 (SHA-256 became the default in 3.6)`
          : `user ${u.name} uses rabbit_password_hashing_md5`,
        params: { user: q(u.name) },
      }));
  },
};

function uriRule(
  id: string,
  component: "shovel" | "federation-upstream",
  kind: "plaintext" | "credentials",
): Rule {
  const what = component === "shovel" ? "Shovel" : "Federation upstream";
  const plaintext = kind === "plaintext";
  return {
    id,
    title: plaintext ? `${what} URI without TLS to a remote host` : `${what} URI carries a password`,
    severity: plaintext ? "medium" : "high",
    category: "security",
    broker: "rabbitmq",
    liveOnly: false,
    why: plaintext
      ? "amqp:// to another host sends credentials and every message in clear text across the network."
      : "The password is stored in the definitions and shown to anyone with management/monitoring access or a definitions backup.",
    fix: plaintext
      ? 'rabbitmqctl set_parameter -p {vhost} {component} {name} \'{"{key}": "amqps://{host}:5671?cacertfile=/etc/rabbitmq/ca.pem&verify=verify_peer"}\''
      : 'use x509 (EXTERNAL) auth: "{key}": "amqps://{host}:5671?auth_mechanism=external&cacertfile=...&certfile=...&keyfile=...", or keep the secret in a secret store and template it at deploy time',
    check(ctx) {
      const out: RuleHit[] = [];
      for (const p of defsOf(ctx)?.parameters ?? []) {
        if (p.component !== component) continue;
        for (const u of p.uris) {
          const remote = u.host !== "" && !isLoopback(u.host);
          const bad = plaintext ? u.scheme === "amqp" && remote : u.hasPassword;
          if (!bad) continue;
          out.push({
            ...paramRef(p),
            message: plaintext
              ? `${p.component} ${p.name} ${u.key} = ${u.masked} (no TLS)`
              : `${p.component} ${p.name} ${u.key} = ${u.masked} embeds a password`,
            params: {
              vhost: q(p.vhost),
              component: p.component,
              name: q(p.name),
              key: u.key,
              host: u.host || "<host>",
            },
          });
        }
      }
      return out;
    },
  };
}

/** Loopback host names and addresses. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\./.test(h);
}

function paramRef(p: RabbitParameter): Pick<RuleHit, "resource" | "location"> {
  const ref = policyRef({ vhost: p.vhost, name: p.name });
  return {
    resource: `vhost ${p.vhost} ${p.component} ${p.name}`,
    location: { ...ref.location, kind: p.component },
  };
}

export const plaintextPassword: Rule = {
  id: "rmq-plaintext-password",
  title: "User with a cleartext password in the definitions",
  severity: "high",
  category: "security",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Definitions files are committed, copied into images and attached to tickets: a `password` field hands the credential to everyone who reads any copy. RabbitMQ only needs `password_hash`.",
  fix: 'rabbitmqctl change_password {user} "$(openssl rand -base64 24)"   # then export again: the export holds only password_hash',
  check(ctx) {
    return (defsOf(ctx)?.users ?? [])
      .filter((u) => u.plaintextPassword !== undefined && u.plaintextPassword !== "absent")
      .map((u) => ({
        ...userRef(u.name),
        message: `user ${u.name} has a cleartext "password" field (value not shown)`,
        params: { user: q(u.name) },
      }));
  },
};

export const permissionUnknownUser: Rule = {
  id: "rmq-permission-unknown-user",
  title: "Permission granted to a user the definitions do not define",
  severity: "medium",
  category: "security",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Importing these definitions fails on this permission (no such user), or, where users come from elsewhere (LDAP, a later import), grants rights to an account nobody reviews with the rest: often a leftover of a deleted or renamed user.",
  fix: "rabbitmqctl clear_permissions -p {vhost} {user}   # or add the user to the definitions if it is meant to exist",
  check(ctx) {
    const defs = defsOf(ctx);
    if (!defs || defs.users.length === 0) return []; // a partial export without users says nothing about them
    const known = new Set(defs.users.map((u) => u.name));
    return defs.permissions
      .filter((p) => !known.has(p.user))
      .map((p) => {
        const all = p.configure === ".*" && p.write === ".*" && p.read === ".*";
        return {
          ...userRef(p.user),
          resource: `vhost ${p.vhost} user ${p.user}`,
          severity: all ? ("high" as const) : undefined,
          message: `user ${p.user} is not defined, but has permissions on vhost ${p.vhost} (configure ${JSON.stringify(p.configure)}, write ${JSON.stringify(p.write)}, read ${JSON.stringify(p.read)})`,
          params: { vhost: q(p.vhost), user: q(p.user) },
        };
      });
  },
};

/** `''` or `""`: shell quoting that reached the broker literally (meant: the empty pattern "nothing"). */
const LITERAL_QUOTES = new Set(["''", '""']);

export const permissionLiteralQuotes: Rule = {
  id: "rmq-permission-literal-quotes",
  title: "Permission pattern is two quote characters",
  severity: "low",
  category: "security",
  broker: "rabbitmq",
  liveOnly: false,
  why: 'A permission regex of \'\' (two quote characters) usually comes from a script or config tool that passed the shell quotes through: it was meant as "nothing" (^$), and matches any resource whose name contains two quotes. What the user may do is then decided by an accident, and reviewers read it as "no access".',
  fix: "rabbitmqctl set_permissions -p {vhost} {user} {configure} {write} {read}",
  check(ctx) {
    const out: RuleHit[] = [];
    for (const p of defsOf(ctx)?.permissions ?? []) {
      const fields = (["configure", "write", "read"] as const).filter((f) => LITERAL_QUOTES.has(p[f]));
      if (fields.length === 0) continue;
      const fixed = (f: "configure" | "write" | "read"): string => q(LITERAL_QUOTES.has(p[f]) ? "^$" : p[f]);
      out.push({
        ...userRef(p.user),
        resource: `vhost ${p.vhost} user ${p.user}`,
        confidence: "medium",
        message: `user ${p.user} on vhost ${p.vhost}: ${fields.map((f) => `${f} is the literal regex ${p[f]}`).join(", ")} (probably meant "^$", nothing)`,
        params: {
          vhost: q(p.vhost),
          user: q(p.user),
          configure: fixed("configure"),
          write: fixed("write"),
          read: fixed("read"),
        },
      });
    }
    return out;
  },
};

export const rabbitmqSecurityRules: Rule[] = [
  guestUserPresent,
  guestRemoteLogin,
  passwordEqualsUsername,
  appUserFullPermissions,
  md5Hashing,
  plaintextPassword,
  permissionUnknownUser,
  permissionLiteralQuotes,
  uriRule("rmq-shovel-plaintext-uri", "shovel", "plaintext"),
  uriRule("rmq-shovel-uri-credentials", "shovel", "credentials"),
  uriRule("rmq-federation-plaintext-uri", "federation-upstream", "plaintext"),
  uriRule("rmq-federation-uri-credentials", "federation-upstream", "credentials"),
];
