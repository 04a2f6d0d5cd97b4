import { writeFile } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import type { Command } from "commander";
import { Option } from "commander";
import { readDocument } from "../../audit/mod.js";
import { parseOptions } from "../../core/options.js";
import { advise } from "../../design/advise.js";
import { InvalidOptionsError } from "../../core/errors.js";
import { renderDesign, renderSystemDesign, topologyYaml } from "../../design/render.js";
import { requirementsSchema, systemRequirementsSchema } from "../../design/requirements.js";
import { adviseSystem } from "../../design/system.js";
import { compareBrokers, renderComparison } from "../../design/compare.js";
import { askRequirements } from "../../design/interactive.js";

interface DesignCliOptions {
  name?: string;
  rate?: string;
  size?: string;
  latency?: string;
  durability?: string;
  ordering?: string;
  groups?: string;
  replay?: string;
  handlerTime?: string;
  attempts?: string;
  brokers?: string;
  redisMemory?: string;
  json?: boolean;
  format: "text" | "markdown";
  specOut?: string;
  compare?: boolean;
}

/** Where `mqa design` reads answers and writes its report; a test passes its own streams. */
export interface DesignIo {
  stdin: Readable;
  stdout: Writable;
  /** Whether a person is at a terminal (asked for requirements when none are given). */
  interactive: boolean;
}

const num = (v: string | undefined): number | string | undefined =>
  v === undefined ? undefined : /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;

/** `mqa design`: requirements in, a recommended broker, topology, settings, test plan and rollback out. */
export function registerDesignCommand(program: Command): void {
  program
    .command("design")
    .description(
      "from requirements (volume, size, latency, durability, ordering, fan-out, replay) to a recommended broker " +
        "and topology, with trade-offs, settings, a test plan and a rollback procedure",
    )
    .argument(
      "[requirements]",
      "a YAML or JSON file of requirements (flags override its fields), or of `flows:` designed together",
    )
    .option("--name <name>", "topic / system name")
    .option("--rate <msgs>", "peak messages per second")
    .option("--size <size>", "typical message size, e.g. 512, 4KiB")
    .option("--latency <ms>", "end-to-end p99 target in ms")
    .addOption(
      new Option("--durability <level>", "strict, standard or best-effort").choices([
        "strict",
        "standard",
        "best-effort",
      ]),
    )
    .addOption(
      new Option("--ordering <kind>", "none, per-key or global").choices(["none", "per-key", "global"]),
    )
    .option("--groups <names>", "consumer groups that each get every message, comma-separated")
    .option("--replay <duration>", "how far back consumers must re-read, e.g. 7d (0: none)")
    .option("--handler-time <duration>", "handler time per message, e.g. 20ms")
    .option("--attempts <n>", "attempts before dead-lettering")
    .option("--brokers <list>", "brokers you can run: rabbitmq,redis")
    .option("--redis-memory <size>", "memory Redis may use for these streams, e.g. 4GiB")
    .option("--json", "print the design as one JSON object")
    .addOption(new Option("--format <format>", "report format").choices(["text", "markdown"]).default("text"))
    .option("--spec-out <file>", "also write the topology spec (YAML) to this file")
    .option(
      "--compare",
      "RabbitMQ vs Redis Streams side by side for these requirements, deciding factors marked",
    )
    .action((file: string | undefined, opts: DesignCliOptions) =>
      runDesign(file, opts, {
        stdin: process.stdin,
        stdout: process.stdout,
        interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
      }),
    );
}

/** The `mqa design` action: requirements from a file, flags or questions; a design or a comparison out. */
export async function runDesign(
  file: string | undefined,
  opts: DesignCliOptions,
  io: DesignIo,
): Promise<void> {
  const base = file === undefined ? {} : ((await readDocument(file)) as Record<string, unknown>);
  const flags: Record<string, unknown> = {
    name: opts.name,
    rate: num(opts.rate),
    messageSize: num(opts.size),
    latencyP99Ms: num(opts.latency),
    durability: opts.durability,
    ordering: opts.ordering,
    groups: opts.groups?.split(",").map((g) => g.trim()),
    replay: num(opts.replay),
    handlerTime: num(opts.handlerTime),
    attempts: num(opts.attempts),
    brokers: opts.brokers?.split(",").map((b) => b.trim()),
    redisMemory: num(opts.redisMemory),
  };
  const set = Object.entries(flags).filter(([, v]) => v !== undefined);
  const where = file ? `requirements in ${file}` : "requirements";
  if ("flows" in base) {
    // Several flows: each flow's fields live in the file; a flag would not say which flow it means.
    if (set.length > 0)
      throw new InvalidOptionsError(
        `${where}: with flows, write ${set.map(([k]) => k).join(", ")} in each flow instead of as flags`,
      );
    if (opts.compare)
      throw new InvalidOptionsError(
        `${where}: --compare takes one flow; run it with each flow's requirements`,
      );
    const flows = parseOptions(systemRequirementsSchema, base, where).flows;
    const givenPerFlow = (base["flows"] as Record<string, unknown>[]).map((f) => Object.keys(f));
    const system = adviseSystem(flows, { ...(opts.specOut ? { specFile: opts.specOut } : {}), givenPerFlow });
    if (opts.specOut)
      await writeFile(
        opts.specOut,
        topologyYaml({ topology: system.topology, patterns: system.flows.flatMap((d) => d.patterns) }),
      );
    io.stdout.write(
      opts.json ? `${JSON.stringify(system, null, 2)}\n` : renderSystemDesign(system, opts.format),
    );
    return;
  }
  for (const [k, v] of set) base[k] = v;
  if (file === undefined && base["rate"] === undefined) {
    if (!io.interactive)
      throw new InvalidOptionsError(
        "requirements: rate is missing: give --rate <msgs/s> (and the other flags), a requirements file, or run mqa design in a terminal to be asked",
      );
    const asked = await askRequirements(io.stdin, io.stdout);
    for (const [k, v] of Object.entries(asked.requirements)) if (base[k] === undefined) base[k] = v;
  }
  const given = Object.keys(base);
  const requirements = parseOptions(requirementsSchema, base, where);
  if (opts.compare) {
    if (opts.specOut)
      throw new InvalidOptionsError(
        "--compare prints a comparison, not a design: drop --spec-out, or --compare",
      );
    const comparison = compareBrokers(requirements);
    io.stdout.write(
      opts.json ? `${JSON.stringify(comparison, null, 2)}\n` : renderComparison(comparison, opts.format),
    );
    return;
  }
  // The report names the file the spec is written to (the test plan and rollback run against it).
  const design = advise(requirements, { ...(opts.specOut ? { specFile: opts.specOut } : {}), given });
  if (opts.specOut) await writeFile(opts.specOut, topologyYaml(design));
  io.stdout.write(opts.json ? `${JSON.stringify(design, null, 2)}\n` : renderDesign(design, opts.format));
}
