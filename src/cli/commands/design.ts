import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { Option } from "commander";
import { readDocument } from "../../audit/mod.js";
import { parseOptions } from "../../core/options.js";
import { advise } from "../../design/advise.js";
import { InvalidOptionsError } from "../../core/errors.js";
import { renderDesign, renderSystemDesign, topologyYaml } from "../../design/render.js";
import { requirementsSchema, systemRequirementsSchema } from "../../design/requirements.js";
import { adviseSystem } from "../../design/system.js";

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
    .action(async (file: string | undefined, opts: DesignCliOptions) => {
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
        const system = adviseSystem(
          parseOptions(systemRequirementsSchema, base, where).flows,
          opts.specOut ? { specFile: opts.specOut } : {},
        );
        if (opts.specOut) await writeFile(opts.specOut, topologyYaml(system));
        process.stdout.write(
          opts.json ? `${JSON.stringify(system, null, 2)}\n` : renderSystemDesign(system, opts.format),
        );
        return;
      }
      for (const [k, v] of set) base[k] = v;
      const requirements = parseOptions(requirementsSchema, base, where);
      // The report names the file the spec is written to (the test plan and rollback run against it).
      const design = advise(requirements, opts.specOut ? { specFile: opts.specOut } : {});
      if (opts.specOut) await writeFile(opts.specOut, topologyYaml(design));
      process.stdout.write(
        opts.json ? `${JSON.stringify(design, null, 2)}\n` : renderDesign(design, opts.format),
      );
    });
}
