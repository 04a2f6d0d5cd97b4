/**
 * Parse `redis.conf`: one directive per line, arguments split on blanks, "double" (with \ escapes) or
 * 'single' quoted as Redis's own sdssplitargs does; lines starting with # are comments. Directive names are
 * case-insensitive and kept lower case. Unbalanced quotes are refused with the line number, as Redis does.
 */
import { ConfigSyntaxError } from "./syntax-error.js";

export interface RedisDirective {
  name: string;
  args: string[];
  line: number;
}

const ESC: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" };

function splitArgs(line: string, file: string, n: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let cur = "";
    const q = line[i] === '"' || line[i] === "'" ? line[i]! : undefined;
    if (q) i++;
    for (;;) {
      const c = line[i];
      if (c === undefined) {
        if (q) throw new ConfigSyntaxError(file, n, "unbalanced quotes");
        break;
      }
      if (!q && /\s/.test(c)) break;
      i++;
      if (q && c === q) {
        // A closing quote must be followed by a blank or the end of the line (Redis refuses "a"b).
        if (i < line.length && !/\s/.test(line[i]!))
          throw new ConfigSyntaxError(file, n, "a closing quote must be followed by a space");
        break;
      }
      if (q === '"' && c === "\\" && i < line.length) {
        const e = line[i++]!;
        if (e === "x" && /^[0-9a-fA-F]{2}/.test(line.slice(i, i + 2))) {
          cur += String.fromCharCode(parseInt(line.slice(i, i + 2), 16));
          i += 2;
        } else cur += ESC[e] ?? e;
      } else if (q === "'" && c === "\\" && line[i] === "'") {
        cur += "'";
        i++;
      } else cur += c;
    }
    out.push(cur);
  }
  return out;
}

/** Every directive in file order. */
export function parseRedisConf(text: string, file: string): RedisDirective[] {
  const out: RedisDirective[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) return;
    const [name, ...args] = splitArgs(line, file, i + 1);
    if (name === undefined || !/^[a-zA-Z][a-zA-Z0-9-]*$/.test(name))
      throw new ConfigSyntaxError(
        file,
        i + 1,
        "expected a redis.conf directive (a name, then its arguments)",
      );
    out.push({ name: name.toLowerCase(), args, line: i + 1 });
  });
  return out;
}
