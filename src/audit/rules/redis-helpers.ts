/** Shared helpers for Redis rules. */
import type { FindingLocation } from "../finding.js";
import type { RedisAclUser, RedisModel } from "../model.js";
import type { RuleContext, RuleHit } from "./rule.js";

export const redisOf = (ctx: RuleContext): RedisModel | undefined => ctx.model.redis;

/** CONFIG values when the server let us read them (never for a spec). */
export function configOf(ctx: RuleContext): Record<string, string> | undefined {
  return ctx.model.redis?.config;
}

export function settingRef(name: string): Pick<RuleHit, "resource" | "location"> {
  const location: FindingLocation = { kind: "setting", name };
  return { resource: `setting ${name}`, location };
}

export function streamRef(
  key: string,
  group?: string,
  consumer?: string,
): Pick<RuleHit, "resource" | "location"> {
  const name = [key, group, consumer].filter((x) => x !== undefined).join("/");
  const kind = consumer !== undefined ? "consumer" : group !== undefined ? "group" : "stream";
  const resource =
    `stream ${key}` +
    (group !== undefined ? ` / group ${group}` : "") +
    (consumer !== undefined ? ` / consumer ${consumer}` : "");
  return { resource, location: { kind, name } };
}

/** The default user, when ACLs could be read. */
export function defaultUser(ctx: RuleContext): RedisAclUser | undefined {
  return ctx.model.redis?.aclUsers?.find((u) => u.name === "default");
}

/** True when anyone can connect without a password (ACL default user nopass, or empty requirepass). */
export function openWithoutPassword(ctx: RuleContext): boolean | undefined {
  const d = defaultUser(ctx);
  if (d) return d.enabled && d.nopass;
  const rp = configOf(ctx)?.["requirepass"];
  return rp === undefined ? undefined : rp === "";
}
