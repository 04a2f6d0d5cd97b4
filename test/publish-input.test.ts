/**
 * `mqa publish` never alters what it is given (issue 13, item 10): invalid UTF-8 is refused with where it is,
 * binary goes through base64 or a file byte for byte. Checked on the real Redis, reading the stored field
 * back as bytes; each test uses its own stream key and deletes it.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { byteLines, decodeBase64, invalidUtf8Offset } from "../src/cli/payload-input.js";
import { REDIS_URL } from "./redis-helpers.js";

const bin = new URL("../bin/mqa.js", import.meta.url).pathname;
const redis = new Redis(REDIS_URL);
const keys: string[] = [];
afterAll(async () => {
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** Run `mqa publish` with raw bytes on stdin. */
function publish(args: string[], stdin?: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, "publish", ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}

function streamKey(): string {
  const key = `mqa-test:publish-input:${randomBytes(4).toString("hex")}`;
  keys.push(key);
  return key;
}

/** The `data` field of every entry of `key`, as bytes. */
async function stored(key: string): Promise<Buffer[]> {
  const entries = await redis.xrangeBuffer(key, "-", "+");
  return entries.map(([, fields]) => {
    const i = fields.findIndex((f, n) => n % 2 === 0 && f.toString() === "data");
    return fields[i + 1] as Buffer;
  });
}

const to = (key: string): string[] => ["--broker", REDIS_URL, "--stream", key, "--payload-field", "data"];

describe("mqa publish input", () => {
  it("refuses a stdin line that is not valid UTF-8, saying where, and publishes the other lines unaltered", async () => {
    const key = streamKey();
    const input = Buffer.concat([
      Buffer.from('{"n":1}\n'),
      Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0x0a]), // "ok" then two bytes no UTF-8 text contains
      Buffer.from("caf\u00e9\r\n"),
    ]);
    const r = await publish([...to(key), "-"], input);
    expect(r.code).toBe(1);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { line: number; confirmed: boolean; code?: string; error?: string });
    const refused = lines.find((l) => !l.confirmed);
    expect(refused).toMatchObject({ line: 2, code: "invalid-payload" });
    expect(refused?.error).toMatch(/line 2 is not valid UTF-8 \(byte 2\).*--encoding base64/);
    expect(
      lines
        .filter((l) => l.confirmed)
        .map((l) => l.line)
        .sort(),
    ).toEqual([1, 3]);
    expect((await stored(key)).map((b) => b.toString("utf8")).sort()).toEqual(
      ['{"n":1}', "caf\u00e9"].sort(),
    );
  });

  it("publishes binary exactly from --payload-file and from --encoding base64", async () => {
    const key = streamKey();
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const dir = await mkdtemp(join(tmpdir(), "mqa-payload-"));
    try {
      const file = join(dir, "blob.bin");
      await writeFile(file, bytes);
      const fromFile = await publish([...to(key), "--payload-file", file]);
      expect(fromFile.code, fromFile.stderr).toBe(0);
      const fromArg = await publish([...to(key), "--encoding", "base64", bytes.toString("base64")]);
      expect(fromArg.code, fromArg.stderr).toBe(0);
      const fromStdin = await publish(
        [...to(key), "--encoding", "base64", "-"],
        Buffer.from(`${bytes.toString("base64url")}\n`),
      );
      expect(fromStdin.code, fromStdin.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const got = await stored(key);
    expect(got).toHaveLength(3);
    for (const b of got) expect(b.equals(bytes)).toBe(true);
  });

  it("refuses an argument carrying U+FFFD and base64 that is not base64, publishing nothing", async () => {
    const key = streamKey();
    const lost = await publish([...to(key), "bytes were \uFFFD lost"]);
    expect(lost.code).not.toBe(0);
    expect(lost.stderr).toMatch(/U\+FFFD.*--encoding base64 or --payload-file/);
    const bad = await publish([...to(key), "--encoding", "base64", "not base64!"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/not valid base64/);
    expect(await redis.exists(key)).toBe(0);
  });
});

describe("payload input helpers", () => {
  it("finds the first byte that is not UTF-8", () => {
    expect(invalidUtf8Offset(Buffer.from("plain"))).toBe(-1);
    expect(invalidUtf8Offset(Buffer.from([0x61, 0x62, 0xc3]))).toBe(2);
    expect(invalidUtf8Offset(Buffer.from([0xe2, 0x82, 0xac, 0x80]))).toBe(3);
  });

  it("splits byte lines, strips CR, and reports a line over the limit without holding it", async () => {
    async function* chunks(): AsyncGenerator<Buffer> {
      yield Buffer.from("a\r\nbb");
      yield Buffer.from("b\n");
      yield Buffer.alloc(50, 0x78);
      yield Buffer.from("\nlast");
    }
    const out = [];
    for await (const l of byteLines(chunks(), 20))
      out.push(
        "error" in l
          ? { line: l.line, error: true }
          : { line: l.line, text: Buffer.from(l.bytes).toString() },
      );
    expect(out).toEqual([
      { line: 1, text: "a" },
      { line: 2, text: "bbb" },
      { line: 3, error: true },
      { line: 4, text: "last" },
    ]);
  });

  it("decodes base64 strictly", () => {
    expect(Buffer.from(decodeBase64("AAEC", "x")).toString("hex")).toBe("000102");
    expect(() => decodeBase64("A", "x")).toThrow(/not valid base64/);
    expect(() => decodeBase64("@@", "x")).toThrow(/not valid base64/);
  });
});
