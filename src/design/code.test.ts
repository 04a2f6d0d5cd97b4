/**
 * The producer and consumer a design hands out compile against mqa's own types, as a user's project would
 * import them ("mqa", "mqa/amqp", "mqa/redis" mapped to src/ with `paths`): any diagnostic fails.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { parseOptions } from "../core/options.js";
import { advise, type Design } from "./advise.js";
import { requirementsSchema, type RequirementsInput } from "./requirements.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const design = (input: RequirementsInput): Design =>
  advise(parseOptions(requirementsSchema, input, "requirements"));

/** Type-check `files` (name → source) in one program; the diagnostics as text. */
async function typeCheck(files: Record<string, string>): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "mqa-design-code-"));
  try {
    const names: string[] = [];
    for (const [name, text] of Object.entries(files)) {
      const path = join(dir, name);
      await writeFile(path, text);
      names.push(path);
    }
    const program = ts.createProgram(names, {
      strict: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2023.d.ts"],
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      esModuleInterop: true,
      types: ["node"],
      typeRoots: [join(root, "node_modules/@types")],
      baseUrl: root,
      // As package.json's exports, but to the sources, so the check runs without a build.
      paths: {
        mqa: ["src/index.ts"],
        "mqa/amqp": ["src/transports/amqp/mod.ts"],
        "mqa/redis": ["src/transports/redis/mod.ts"],
        "mqa/memory": ["src/transports/memory/mod.ts"],
      },
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file
        ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : "(program)";
      return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("design code", () => {
  it("compiles the producer and consumer of every kind of design against mqa's types", async () => {
    const designs: Record<string, Design> = {
      quorum: design({ rate: 2000, durability: "strict", groups: ["billing", "shipping"] }),
      partitioned: design({ rate: 5000, handlerTime: "50ms", ordering: "per-key", durability: "strict" }),
      redisPerKey: design({
        rate: 5000,
        handlerTime: "10ms",
        ordering: "per-key",
        latencyP99Ms: 5,
        durability: "best-effort",
      }),
      redisDurable: design({ rate: 1000, latencyP99Ms: 5, brokers: ["redis"] }),
      claimCheck: design({ rate: 50, messageSize: "20MiB" }),
      stream: design({ rate: 1000, replay: "7d" }),
      lanes: design({
        rate: 3000,
        ordering: "per-key",
        handlerTime: "20ms",
        durability: "strict",
        latencyClasses: [
          { name: "interactive", share: 0.2, latencyP99Ms: 50 },
          { name: "bulk", share: 0.8, latencyP99Ms: 5000 },
        ],
      }),
    };
    expect(designs["partitioned"]!.code.consumer).toContain('order: "per-key"');
    expect(designs["claimCheck"]!.code.producer).toMatch(/await store\.put[\s\S]*await transport\.publish/);
    expect(designs["redisPerKey"]!.code.producer).toContain('from "mqa/redis"');
    expect(designs["lanes"]!.code.consumer).toContain('topic: "events.interactive" | "events.bulk"');
    const files: Record<string, string> = {};
    for (const [name, d] of Object.entries(designs)) {
      files[`${name}-producer.ts`] = d.code.producer;
      files[`${name}-consumer.ts`] = d.code.consumer;
    }
    expect(await typeCheck(files)).toEqual([]);
  }, 120_000);

  it("fails on code that does not use mqa's API as it is", async () => {
    const wrong =
      'import { createAmqpTransport } from "mqa/amqp";\ncreateAmqpTransport({ prefetchCount: 1 });\n';
    const diagnostics = await typeCheck({ "wrong.ts": wrong });
    expect(diagnostics.join("\n")).toMatch(/prefetchCount/);
  }, 120_000);
});
