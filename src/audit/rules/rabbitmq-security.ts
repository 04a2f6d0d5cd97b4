/** RabbitMQ security rules: users, passwords, permissions, credentials in shovel/federation URIs. */
import { createHash } from "node:crypto";
import type { RabbitParameter } from "../model.js";
import { defsOf, policyRef, q, userRef } from "./helpers.js";
import type { Rule, RuleHit } from "./rule.js";

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
    return (defs?.users ?? [])
      .filter((u) => u.name === "guest")
      .map((u) => ({
        ...userRef(u.name),
        message: `user guest exists (tags: ${u.tags.join(",") || "none"})`,
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
  why: "The audit logged in as guest through a non-loopback address, so loopback_users does not protect guest: anyone on the network can administer the broker with the well-known password.",
  fix: "rabbitmqctl delete_user guest   # or in rabbitmq.conf: loopback_users.guest = true",
  check(ctx) {
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
  check(ctx) {
    return (defsOf(ctx)?.users ?? [])
      .filter((u) => passwordMatchesHash(u.name, u.passwordHash, u.hashingAlgorithm))
      .map((u) => ({
        ...userRef(u.name),
        message: `user ${u.name} has the password "${u.name}" (checked against its hash)`,
        params: { user: q(u.name) },
      }));
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
    return (defsOf(ctx)?.users ?? [])
      .filter((u) => u.hashingAlgorithm === "rabbit_password_hashing_md5")
      .map((u) => ({
        ...userRef(u.name),
        message: `user ${u.name} uses rabbit_password_hashing_md5`,
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

export const rabbitmqSecurityRules: Rule[] = [
  guestUserPresent,
  guestRemoteLogin,
  passwordEqualsUsername,
  appUserFullPermissions,
  md5Hashing,
  uriRule("rmq-shovel-plaintext-uri", "shovel", "plaintext"),
  uriRule("rmq-shovel-uri-credentials", "shovel", "credentials"),
  uriRule("rmq-federation-plaintext-uri", "federation-upstream", "plaintext"),
  uriRule("rmq-federation-uri-credentials", "federation-upstream", "credentials"),
];
