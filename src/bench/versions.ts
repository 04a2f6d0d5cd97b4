/** Versions of mqa and of the clients it is measured against, read from their package.json. */
import { readFileSync } from "node:fs";

/** `version` of package `name` (`"mqa"` for this package), or null when it cannot be read. */
export function packageVersion(name: string): string | null {
  try {
    const url =
      name === "mqa"
        ? new URL("../../package.json", import.meta.url)
        : new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
}
