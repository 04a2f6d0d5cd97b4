/**
 * `mqa topology …`: validate, plan, apply, diff, rollback, export, import and diagram a topology spec.
 * Thin: parsing options and printing; the work is in src/topology.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type Command, Option } from "commander";
import { stringify } from "yaml";
import { maskUrl } from "../../core/redact.js";
import { bar, ProgressLine } from "../progress.js";
import {
  addConnectionOptions,
  resolveConnection,
  resolveConnections,
  type ConnectionFlags,
} from "../connection.js";
import {
  InvalidSpecError,
  RabbitManagementApi,
  applyTopology,
  definitionsToSpec,
  expandRabbit,
  loadSpecFile,
  planTopology,
  publicPlan,
  readRollbackFile,
  redisScript,
  rollbackTarget,
  rollbackTopology,
  specToDefinitions,
  specToFlowGraph,
  specToRedisModel,
  toAscii,
  toMermaid,
  type ApplyResult,
  type Change,
  type Plan,
  type RabbitDefinitions,
} from "../../topology/mod.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function json(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

const SIGN: Record<Change["action"], string> = { create: "+", update: "~", replace: "!", delete: "-" };

function show(value: unknown): string {
  return value === undefined ? "(none)" : typeof value === "string" ? value : JSON.stringify(value);
}

/** Human form of a plan. */
export function formatPlan(plan: Plan, options: { prune?: boolean } = {}): string {
  const count = (a: Change["action"]): number => plan.changes.filter((c) => c.action === a).length;
  const lines = [
    `${plan.broker} at ${plan.target}: ${count("create")} to create, ${count("update")} to update, ${count("replace")} to replace, ${count("delete")} to delete; ${plan.unchanged} unchanged`,
  ];
  // The shared delay levels are dozens of resources made the same way: one line per action says enough.
  const isDelay = (c: Change): boolean => c.broker === "rabbitmq" && /(^|\/|: )mqa\.delay\./.test(c.name);
  for (const action of ["create", "delete"] as const) {
    const levels = plan.changes.filter((c) => c.action === action && isDelay(c));
    if (levels.length > 0)
      lines.push(
        `  ${SIGN[action]} ${levels.length} resources of the shared delay levels (mqa.delay.*; listed by --json)`,
      );
  }
  for (const c of plan.changes) {
    if ((c.action === "create" || c.action === "delete") && isDelay(c)) continue;
    const note =
      c.action === "replace"
        ? "  (cannot change in place: migrate)"
        : c.action === "delete" && !options.prune
          ? "  (not in the spec; deleted only with --prune)"
          : "";
    lines.push(`  ${SIGN[c.action]} ${c.kind} ${c.name}${note}`);
    if (c.action === "update" || c.action === "replace")
      for (const f of c.fields) lines.push(`      ${f.field}: ${show(f.from)} → ${show(f.to)}`);
    for (const step of c.migration ?? []) lines.push(`      ${step}`);
  }
  return `${lines.join("\n")}\n`;
}

function formatApply(r: ApplyResult): string {
  const verb = r.dryRun ? "would apply" : "applied";
  const lines = [
    `${r.plan.broker} at ${r.plan.target}: ${verb} ${r.applied.length} changes; ${r.plan.unchanged} unchanged`,
  ];
  const delay = r.applied.filter((c) => c.broker === "rabbitmq" && /(^|\/|: )mqa\.delay\./.test(c.name));
  if (delay.length > 0) lines.push(`  ${delay.length} changes to the shared delay levels (mqa.delay.*)`);
  for (const c of r.applied) if (!delay.includes(c)) lines.push(`  ${SIGN[c.action]} ${c.kind} ${c.name}`);
  for (const c of r.skipped) {
    lines.push(
      `  ${SIGN[c.action]} ${c.kind} ${c.name}  (skipped: ${c.action === "replace" ? "cannot change in place, see `mqa topology plan`" : "use --prune to delete"})`,
    );
  }
  if (r.rollbackFile)
    lines.push(
      `rollback file: ${r.rollbackFile} (undo with: mqa topology rollback ${r.rollbackFile} --broker URL)`,
    );
  return `${lines.join("\n")}\n`;
}

/** The `--broker` URLs (else MQA_BROKER_URL) with credentials merged and TLS flags applied (connection.ts). */
async function brokers(opts: { broker?: string[] } & ConnectionFlags): Promise<string[]> {
  return (await resolveConnections(opts.broker ?? [], opts)).urls;
}

async function loadDefinitionsSource(source: string): Promise<RabbitDefinitions> {
  if (/^https?:\/\//i.test(source)) return new RabbitManagementApi(source).definitions();
  try {
    return JSON.parse(await readFile(source, "utf8")) as RabbitDefinitions;
  } catch (cause) {
    throw new InvalidSpecError(
      source,
      [{ path: "(root)", message: `not a readable definitions.json: ${(cause as Error).message}` }],
      {
        cause,
      },
    );
  }
}

async function writeOrPrint(text: string, file: string | undefined): Promise<void> {
  if (file === undefined) return out(text);
  await writeFile(file, text);
  process.stderr.write(`wrote ${file}\n`);
}

/** Register `mqa topology` and its subcommands. */
export function registerTopologyCommand(program: Command): void {
  const topology = program
    .command("topology")
    .description(
      "topology as code: validate, plan, apply, diff, rollback, export, import and diagram a spec",
    );
  const brokerOption = (): Option =>
    new Option(
      "--broker <url>",
      "http://user:pass@host:15672 (RabbitMQ management API) or redis://host:6379; repeat for both",
    ).argParser(collect);

  topology
    .command("validate <spec>")
    .description("check a spec (YAML or JSON): schema, unknown keys, references; exit 1 when invalid")
    .option("--json", "print JSON")
    .action(async (file: string, opts: { json?: boolean }) => {
      try {
        const spec = await loadSpecFile(file);
        const defs = expandRabbit(spec, { requirePasswords: false }).definitions;
        const redis = specToRedisModel(spec);
        const summary = {
          valid: true,
          rabbitmq: {
            vhosts: defs.vhosts.length,
            exchanges: defs.exchanges.length,
            queues: defs.queues.length,
            bindings: defs.bindings.length,
            policies: defs.policies.length,
            users: defs.users.length,
            permissions: defs.permissions.length,
          },
          redis: {
            streams: redis.streams.length,
            groups: redis.streams.reduce((n, s) => n + s.groups.length, 0),
          },
        };
        if (opts.json) return json(summary);
        const r = summary.rabbitmq;
        out(`${file}: valid`);
        out(
          `  rabbitmq: ${r.vhosts} vhosts, ${r.exchanges} exchanges, ${r.queues} queues, ${r.bindings} bindings, ${r.policies} policies, ${r.users} users, ${r.permissions} permissions (patterns expanded)`,
        );
        out(`  redis: ${summary.redis.streams} streams, ${summary.redis.groups} groups`);
      } catch (err) {
        if (!(err instanceof InvalidSpecError)) throw err;
        process.exitCode = 1;
        if (opts.json) return json({ valid: false, issues: err.issues });
        process.stderr.write(`${err.message}\n`);
      }
    });

  const planLike = (name: "plan" | "diff", description: string): void => {
    topology
      .command(`${name} <spec>`)
      .description(description)
      .addOption(brokerOption())
      .option("--json", "print JSON")
      .action(async (file: string, opts: { broker?: string[]; json?: boolean }) => {
        const spec = await loadSpecFile(file);
        const plans: Plan[] = [];
        for (const url of await brokers(opts)) plans.push(await planTopology(spec, url));
        const drift = plans.some((p) => p.changes.length > 0);
        if (opts.json)
          json(name === "diff" ? { drift, plans: plans.map(publicPlan) } : { plans: plans.map(publicPlan) });
        else for (const p of plans) out(formatPlan(p));
        if (name === "diff" && drift) process.exitCode = 1;
      });
  };
  planLike(
    "plan",
    "show what apply would create, change and delete, with migration steps for changes that cannot be made in place",
  );
  planLike("diff", "show drift between the spec and a live broker; exit 1 when they differ (for CI)");

  topology
    .command("apply <spec>")
    .description("make the broker match the spec (idempotent); writes a rollback file first")
    .addOption(brokerOption())
    .option("--dry-run", "show what would change; change nothing")
    .option("--prune", "also delete what the spec no longer declares (queues only when empty)")
    .option(
      "--rollback-file <path>",
      "where to write the rollback file (default .mqa/rollback-<time>-<broker>.json)",
    )
    .option("--json", "print JSON")
    .action(
      async (
        file: string,
        opts: { broker?: string[]; dryRun?: boolean; prune?: boolean; rollbackFile?: string; json?: boolean },
      ) => {
        const spec = await loadSpecFile(file);
        const results: ApplyResult[] = [];
        for (const url of await brokers(opts)) {
          const kind = url.startsWith("redis") ? "redis" : "rabbitmq";
          const rollbackFile =
            opts.rollbackFile && opts.broker?.length === 1
              ? opts.rollbackFile
              : join(
                  opts.rollbackFile ? dirname(opts.rollbackFile) : ".mqa",
                  `rollback-${new Date().toISOString().replace(/[:.]/g, "-")}-${kind}.json`,
                );
          if (!opts.dryRun) await mkdir(dirname(rollbackFile), { recursive: true });
          const progress = new ProgressLine(process.stderr, opts.json ? false : undefined);
          try {
            results.push(
              await applyTopology(spec, url, {
                dryRun: opts.dryRun === true,
                prune: opts.prune === true,
                rollbackFile,
                onProgress: (done, total) =>
                  progress.update(`${bar(done, total)} ${kind}: ${done}/${total} operations`),
              }),
            );
          } finally {
            progress.done();
          }
        }
        if (opts.json)
          json({
            results: results.map((r) => ({
              ...publicPlan({ ...r.plan, changes: r.applied }),
              dryRun: r.dryRun,
              skipped: publicPlan({ ...r.plan, changes: r.skipped }).changes,
              rollbackFile: r.rollbackFile ?? null,
            })),
          });
        else for (const r of results) out(formatApply(r));
        // Work left undone (a replacement needs a person) is not success for CI.
        if (results.some((r) => r.skipped.some((c) => c.action === "replace"))) process.exitCode = 1;
      },
    );

  topology
    .command("rollback <file>")
    .description("undo an apply with the rollback file it wrote")
    .option(
      "--broker <url>",
      "broker URL (default: the file's target; the password from --password-file or MQA_BROKER_PASSWORD)",
    )
    .option("--json", "print JSON")
    .action(async (file: string, opts: { broker?: string; json?: boolean } & ConnectionFlags) => {
      const target = opts.broker ?? rollbackTarget(await readRollbackFile(file));
      const { url } = await resolveConnection(target, opts);
      const done = await rollbackTopology(file, url);
      if (opts.json)
        json({ rolledBack: true, broker: done.broker, target: done.target, steps: done.steps.length });
      else
        out(
          `rolled back ${done.steps.length} steps on ${done.broker} at ${opts.broker ? maskUrl(opts.broker) : done.target}`,
        );
    });

  topology
    .command("export <spec>")
    .description(
      "write the spec as a RabbitMQ definitions.json (for rabbitmqctl import_definitions) or a Redis command script",
    )
    .addOption(
      new Option("--format <format>", "output format")
        .choices(["rabbitmq-definitions", "redis"])
        .makeOptionMandatory(),
    )
    .option("-o, --output <file>", "write to a file instead of stdout")
    .action(async (file: string, opts: { format: "rabbitmq-definitions" | "redis"; output?: string }) => {
      const spec = await loadSpecFile(file);
      const text =
        opts.format === "redis"
          ? redisScript(specToRedisModel(spec))
          : `${JSON.stringify(specToDefinitions(spec), null, 2)}\n`;
      await writeOrPrint(text, opts.output);
    });

  topology
    .command("import <source>")
    .description("turn a definitions.json file or a live RabbitMQ (management URL) into a spec")
    .option("--vhost <name>", "only this vhost (repeatable)", collect)
    .addOption(new Option("--format <format>", "spec format").choices(["yaml", "json"]).default("yaml"))
    .option("-o, --output <file>", "write to a file instead of stdout")
    .option("--json", "print JSON: { spec, warnings }")
    .action(
      async (
        source: string,
        opts: {
          vhost?: string[];
          format: "yaml" | "json";
          output?: string;
          json?: boolean;
        } & ConnectionFlags,
      ) => {
        // A management URL takes the connection flags too (password, TLS); a file does not connect.
        const from = /^https?:\/\//i.test(source)
          ? (await resolveConnection(source, opts, "source")).url
          : source;
        const defs = await loadDefinitionsSource(from);
        const { spec, warnings } = definitionsToSpec(defs, opts.vhost ? { vhosts: opts.vhost } : {});
        if (opts.json) return json({ spec, warnings });
        for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
        const text = opts.format === "json" ? `${JSON.stringify(spec, null, 2)}\n` : stringify(spec);
        await writeOrPrint(text, opts.output);
      },
    );

  topology
    .command("diagram <spec>")
    .description(
      "draw the message flow: publishers → exchanges → queues → consumers, retry loops and dead letters",
    )
    .addOption(
      new Option("--format <format>", "diagram format").choices(["ascii", "mermaid"]).default("ascii"),
    )
    .option("--json", "print the flow graph as JSON")
    .action(async (file: string, opts: { format: "ascii" | "mermaid"; json?: boolean }) => {
      const graph = specToFlowGraph(await loadSpecFile(file));
      if (opts.json) return json(graph);
      out(opts.format === "mermaid" ? toMermaid(graph) : toAscii(graph));
    });
  // --password-file and --tls-* for the subcommands that connect.
  for (const sub of topology.commands.filter((c) =>
    ["plan", "diff", "apply", "rollback", "import"].includes(c.name()),
  ))
    addConnectionOptions(sub);
}
