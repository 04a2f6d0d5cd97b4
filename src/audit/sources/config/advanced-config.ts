/**
 * Translate the `rabbit` section of an advanced.config into rabbitmq.conf keys, so one set of rules reads
 * both files. Only the settings the rules judge are translated; everything else is ignored, not refused
 * (advanced.config configures every plugin and Erlang application on the node).
 */
import type { ConfigSetting } from "../../model.js";
import { ConfigSyntaxError } from "./syntax-error.js";
import { ErlangSyntaxError, parseErlangTerms, proplist, termText } from "./erlang-terms.js";
import type { ErlTerm } from "./erlang-terms.js";

function scalar(t: ErlTerm): string | undefined {
  if (t.type === "number") return String(t.value);
  return termText(t);
}

/** Settings from advanced.config text; throws {@link ConfigSyntaxError} naming file and line. */
export function parseAdvancedConfig(text: string, file: string): ConfigSetting[] {
  let terms: ErlTerm[];
  try {
    terms = parseErlangTerms(text);
  } catch (err) {
    if (err instanceof ErlangSyntaxError) throw new ConfigSyntaxError(file, err.line, err.reason);
    throw err;
  }
  const [top, ...rest] = terms;
  if (!top) return [];
  if (top.type !== "list" || rest.length > 0)
    throw new ConfigSyntaxError(
      file,
      top.line,
      "advanced.config must be one list of {application, [settings]} ending in a dot",
    );
  const out: ConfigSetting[] = [];
  const set = (key: string, value: string, line: number): void => void out.push({ key, value, file, line });
  for (const app of proplist(top)) {
    if (app.key !== "rabbit") continue;
    for (const { key, value, line } of proplist(app.value)) {
      switch (key) {
        case "loopback_users": {
          if (value.type !== "list") break;
          const names = value.items.map(termText);
          if (names.length === 0) set("loopback_users", "none", line);
          set("loopback_users.guest", names.includes("guest") ? "true" : "false", line);
          break;
        }
        case "default_user":
        case "default_pass": {
          const v = termText(value);
          if (v !== undefined) set(key, v, line);
          break;
        }
        case "vm_memory_high_watermark":
          if (value.type === "number") set("vm_memory_high_watermark.relative", String(value.value), line);
          else if (value.type === "tuple" && termText(value.items[0]) === "absolute" && value.items[1])
            set("vm_memory_high_watermark.absolute", scalar(value.items[1]) ?? "", line);
          break;
        case "disk_free_limit":
          if (value.type === "tuple" && termText(value.items[0]) === "mem_relative" && value.items[1])
            set("disk_free_limit.relative", scalar(value.items[1]) ?? "", line);
          else {
            const v = scalar(value);
            if (v !== undefined) set("disk_free_limit.absolute", v, line);
          }
          break;
        case "consumer_timeout": {
          const v = scalar(value);
          if (value.type === "atom" && ["false", "undefined", "infinity"].includes(value.value))
            set("consumer_timeout", "disabled", line);
          else if (v !== undefined) set("consumer_timeout", v, line);
          break;
        }
        case "ssl_listeners":
        case "tcp_listeners":
          if (value.type === "list" && value.items.length > 0) {
            const first = value.items[0]!;
            const port = first.type === "tuple" ? first.items[1] : first;
            set(
              `listeners.${key === "ssl_listeners" ? "ssl" : "tcp"}.default`,
              (port && scalar(port)) ?? "?",
              line,
            );
          }
          break;
        case "ssl_options":
          for (const o of proplist(value)) {
            const v = scalar(o.value);
            if (v !== undefined && ["verify", "fail_if_no_peer_cert", "password"].includes(o.key))
              set(`ssl_options.${o.key}`, v, o.line);
          }
          break;
      }
    }
  }
  return out;
}
