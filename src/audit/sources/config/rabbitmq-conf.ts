/**
 * Parse `rabbitmq.conf`, the sysctl-like (cuttlefish) format: one `key = value` per line, `#` starts a
 * comment (also after a value, as cuttlefish reads it). Keys are not checked against RabbitMQ's schema
 * (every plugin adds some); a line that is not a setting is refused with its line number.
 */
import type { ConfigSetting } from "../../model.js";
import { ConfigSyntaxError } from "./syntax-error.js";

const KEY = /^[A-Za-z0-9_$.-]+$/;

/** Settings in file order; a key written twice keeps its last value (as RabbitMQ does). */
export function parseRabbitmqConf(text: string, file: string): ConfigSetting[] {
  const out: ConfigSetting[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    const hash = line.indexOf("#");
    const body = (hash >= 0 ? line.slice(0, hash) : line).trim();
    if (body === "") return;
    const eq = body.indexOf("=");
    if (eq < 0)
      throw new ConfigSyntaxError(file, i + 1, `expected "key = value" (rabbitmq.conf format), found no "="`);
    const key = body.slice(0, eq).trim();
    const value = body.slice(eq + 1).trim();
    if (!KEY.test(key))
      throw new ConfigSyntaxError(file, i + 1, `"${key.slice(0, 80)}" is not a rabbitmq.conf key`);
    if (value === "") throw new ConfigSyntaxError(file, i + 1, `${key} has no value`);
    out.push({ key, value, file, line: i + 1 });
  });
  return out;
}
