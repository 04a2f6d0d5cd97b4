/**
 * The built console page (src/monitor/ui, bundled by Vite into dist/ui/) as the server serves it: read
 * once into memory when the server starts, so a request can only ever get one of the files the build wrote
 * (no path from the URL reaches the file system, so no traversal), each with its content type. Found next
 * to this module: `../ui/` when running from dist/ (the published package), `../../dist/ui/` when running
 * from src/ (tests under vitest, after `npm run build`).
 */
import { access, readdir, readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { MqaError } from "../core/errors.js";

export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
  /** Hashed by the build (under assets/): its content never changes under that name. */
  immutable: boolean;
}

export interface ConsoleAssets {
  /** The directory the files came from. */
  readonly dir: string;
  /** The file for a URL path (`/` is index.html); undefined for anything the build did not write. */
  get(urlPath: string): ConsoleAsset | undefined;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

/** Where the build puts the page, relative to this module in dist/ and in src/. */
const CANDIDATES = ["../ui/", "../../dist/ui/"];

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** The built page's directory: the first candidate holding an index.html. */
export async function findConsoleDir(): Promise<string> {
  const tried: string[] = [];
  for (const candidate of CANDIDATES) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (await exists(join(dir, "index.html"))) return dir;
    tried.push(dir);
  }
  throw new MqaError(
    "not-found",
    `mqa monitor: the console page is not built (no index.html in ${tried.join(" or ")}); run npm run build`,
    { details: { tried } },
  );
}

/** Every regular file under a directory (symbolic links are not followed). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Read every file of the built page into memory. */
export async function loadConsoleAssets(dir?: string): Promise<ConsoleAssets> {
  const root = dir ?? (await findConsoleDir());
  const files = new Map<string, ConsoleAsset>();
  for (const file of await filesUnder(root)) {
    const contentType = CONTENT_TYPES[extname(file).toLowerCase()];
    if (contentType === undefined) continue; // only what a browser needs; nothing else leaves the directory
    const urlPath = `/${relative(root, file).split(sep).join("/")}`;
    files.set(urlPath, {
      body: await readFile(file),
      contentType,
      immutable: urlPath.startsWith("/assets/"),
    });
  }
  if (!files.has("/index.html"))
    throw new MqaError("not-found", `mqa monitor: no index.html in ${root}; run npm run build`);
  return {
    dir: root,
    get: (urlPath) => files.get(urlPath === "/" ? "/index.html" : urlPath),
  };
}
