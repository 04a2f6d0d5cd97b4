import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidSpecError } from "./errors.js";
import { loadSpecFile, parseSpecText } from "./parse.js";
import { DEFAULT_MAX_SPEC_BYTES, maxSpecBytes } from "./size-limit.js";

describe("spec size limit", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mqa-spec-size-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a file over the limit before parsing it, saying its size, the limit and how to raise it", async () => {
    const file = join(dir, "big.yaml");
    // Not YAML at all: a parse would report broken syntax, so the size error proves nothing was parsed.
    await writeFile(file, "{".repeat(2048));
    const err = await loadSpecFile(file, { maxBytes: 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidSpecError);
    expect((err as InvalidSpecError).message).toMatch(/2048 bytes\), over the limit of .*1024 bytes/);
    expect((err as InvalidSpecError).message).toContain("MQA_MAX_SPEC_BYTES");
  });

  it("reads a file under the limit", async () => {
    const file = join(dir, "small.yaml");
    await writeFile(file, "version: 1\n");
    await expect(loadSpecFile(file, { maxBytes: 1024 })).resolves.toEqual({ version: 1 });
  });

  it("counts bytes, not characters, for text", () => {
    const text = `version: 1\n# ${"€".repeat(400)}\n`; // 400 characters, 1,200 bytes
    expect(() => parseSpecText(text, "yaml", "(text)", { maxBytes: 1000 })).toThrow(/over the limit/);
    expect(parseSpecText(text, "yaml", "(text)", { maxBytes: 2000 })).toEqual({ version: 1 });
  });

  it("takes the limit from MQA_MAX_SPEC_BYTES and rejects a value that is not a byte count", () => {
    expect(maxSpecBytes({})).toBe(DEFAULT_MAX_SPEC_BYTES);
    expect(maxSpecBytes({ MQA_MAX_SPEC_BYTES: "5000" })).toBe(5000);
    expect(() => maxSpecBytes({ MQA_MAX_SPEC_BYTES: "8MB" })).toThrow(/positive number of bytes, got "8MB"/);
  });
});
