/**
 * The setup of a designed topology in the team's own tools: RabbitMQ management-UI steps and
 * `rabbitmqadmin`/`rabbitmqctl` commands, or a `redis-cli` script. Derived from the same expansion
 * `mqa topology` uses (definitions.json for RabbitMQ, the stream model for Redis), so the steps declare
 * exactly what the spec does — never a second, hand-written description of it.
 */
import {
  redisScript,
  specToDefinitions,
  specToRedisModel,
  type RabbitDefinitions,
  type TopologySpec,
} from "../topology/mod.js";

/** How to create the topology without mqa's own apply. */
export interface Setup {
  broker: "rabbitmq" | "redis";
  /** Management-UI steps (RabbitMQ only; empty for Redis). */
  ui: string[];
  /** Shell commands, in order; lines starting with `#` are comments. */
  commands: string[];
  /** A file the commands read (the `redis-cli` script), with its content. */
  file?: { name: string; content: string };
}

/** Quote a shell word when it needs it (single quotes, `'` escaped). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const isDelay = (name: string): boolean => name.startsWith("mqa.delay.");
const json = (v: unknown): string => JSON.stringify(v);

/** How the management UI's argument editor needs a value typed. */
function uiArgument(key: string, v: unknown): string {
  const type = typeof v === "number" ? "Number" : typeof v === "boolean" ? "Boolean" : "String";
  return `${key} = ${String(v)} (${type})`;
}

/** RabbitMQ: import the whole definitions file, or declare each resource with rabbitmqadmin and rabbitmqctl. */
export function rabbitSetup(spec: TopologySpec, specFile: string, name: string): Setup {
  const d: RabbitDefinitions = specToDefinitions(spec, { requirePasswords: false });
  const defsFile = `${name}.definitions.json`;
  const vh = (v: string): string => `--vhost=${shellQuote(v)}`;
  const commands = [
    "# All at once, from the spec (what `mqa topology apply` would create):",
    `mqa topology export ${shellQuote(specFile)} --format rabbitmq-definitions -o ${shellQuote(defsFile)}`,
    `rabbitmqctl import_definitions ${shellQuote(defsFile)}`,
    "# Or one by one (rabbitmqadmin of the management plugin, 3.x syntax):",
  ];
  const ui = [
    `Everything at once: Overview → Import definitions → choose ${defsFile} (from the first command below) → Upload broker definitions.`,
    "Or step by step, in this order:",
  ];
  for (const v of d.vhosts)
    if (v.name !== "/") {
      commands.push(`rabbitmqctl add_vhost ${shellQuote(v.name)}`);
      ui.push(`Admin → Virtual Hosts → Add a new virtual host: name ${v.name}.`);
    }
  for (const x of d.exchanges) {
    if (x.name === "" || x.name.startsWith("amq.")) continue;
    commands.push(
      [
        "rabbitmqadmin",
        vh(x.vhost),
        "declare exchange",
        `name=${shellQuote(x.name)}`,
        `type=${x.type}`,
        `durable=${x.durable}`,
        `auto_delete=${x.auto_delete}`,
        `internal=${x.internal}`,
        ...(Object.keys(x.arguments).length > 0 ? [`arguments=${shellQuote(json(x.arguments))}`] : []),
      ].join(" "),
    );
    if (!isDelay(x.name))
      ui.push(
        `Exchanges → Add a new exchange: Name ${x.name}, Type ${x.type}, Durability ${x.durable ? "Durable" : "Transient"}` +
          `${x.internal ? ", Internal Yes" : ""}${Object.entries(x.arguments)
            .map(([k, v]) => `, Arguments ${uiArgument(k, v)}`)
            .join("")}.`,
      );
  }
  const delayExchanges = d.exchanges.filter((x) => isDelay(x.name)).map((x) => x.name);
  if (delayExchanges.length > 0)
    ui.push(
      `Exchanges → Add a new exchange, once for each of mqa's delay levels (${delayExchanges.join(", ")}), with the type and flags of its rabbitmqadmin line below.`,
    );
  for (const q of d.queues) {
    const { "x-queue-type": type, ...rest } = q.arguments as Record<string, unknown>;
    commands.push(
      [
        "rabbitmqadmin",
        vh(q.vhost),
        "declare queue",
        `name=${shellQuote(q.name)}`,
        `durable=${q.durable}`,
        `auto_delete=${q.auto_delete}`,
        `arguments=${shellQuote(json(q.arguments))}`,
      ].join(" "),
    );
    if (!isDelay(q.name))
      ui.push(
        `Queues and Streams → Add a new queue: Type ${String(type ?? "classic")}, Name ${q.name}, Durability ${q.durable ? "Durable" : "Transient"}` +
          (Object.keys(rest).length > 0
            ? `, Arguments ${Object.entries(rest)
                .map(([k, v]) => uiArgument(k, v))
                .join(", ")}`
            : "") +
          ".",
      );
  }
  const delayQueues = d.queues.filter((q) => isDelay(q.name)).map((q) => q.name);
  if (delayQueues.length > 0)
    ui.push(
      `Queues and Streams → Add a new queue, once for each of mqa's ${delayQueues.length} delay-level queues (${delayQueues[0]} … ${delayQueues.at(-1)}), with the arguments of its rabbitmqadmin line below (message TTL and dead-letter exchange).`,
    );
  for (const b of d.bindings) {
    commands.push(
      [
        "rabbitmqadmin",
        vh(b.vhost),
        "declare binding",
        `source=${shellQuote(b.source)}`,
        `destination=${shellQuote(b.destination)}`,
        `destination_type=${b.destination_type}`,
        `routing_key=${shellQuote(b.routing_key)}`,
        ...(Object.keys(b.arguments).length > 0 ? [`arguments=${shellQuote(json(b.arguments))}`] : []),
      ].join(" "),
    );
    if (!isDelay(b.source) && !isDelay(b.destination))
      ui.push(
        `Exchanges → ${b.source || "(AMQP default)"} → Bindings → Add binding from this exchange: To ${b.destination_type} ${b.destination}, Routing key ${b.routing_key === "" ? "(empty)" : b.routing_key}` +
          `${Object.entries(b.arguments)
            .map(([k, v]) => `, Arguments ${uiArgument(k, v)}`)
            .join("")}.`,
      );
  }
  const delayBindings = d.bindings.filter((b) => isDelay(b.source) || isDelay(b.destination)).length;
  if (delayBindings > 0)
    ui.push(
      `Exchanges → (each delay exchange) → Add binding: the ${delayBindings} delay-level bindings, as in the rabbitmqadmin lines below.`,
    );
  for (const p of d.policies) {
    commands.push(
      [
        "rabbitmqctl set_policy",
        `-p ${shellQuote(p.vhost)}`,
        `--apply-to ${p["apply-to"]}`,
        `--priority ${p.priority}`,
        shellQuote(p.name),
        shellQuote(p.pattern),
        shellQuote(json(p.definition)),
      ].join(" "),
    );
    ui.push(
      `Admin → Policies → Add / update a policy: Name ${p.name}, Pattern ${p.pattern}, Apply to ${p["apply-to"]}, Priority ${p.priority}, Definition ${Object.entries(
        p.definition,
      )
        .map(([k, v]) => uiArgument(k, v))
        .join(", ")}.`,
    );
  }
  return { broker: "rabbitmq", ui, commands };
}

/** Redis: the script `mqa topology export --format redis` writes, fed to redis-cli, plus the server settings. */
export function redisSetup(
  spec: TopologySpec,
  specFile: string,
  name: string,
  redisConf: readonly string[],
): Setup {
  const file = `${name}.setup.redis`;
  const settings = redisConf
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("protected-mode"))
    .map((l) => {
      const [key, ...value] = l.split(/\s+/);
      return `redis-cli -h HOST CONFIG SET ${key} ${value.join(" ")}`;
    });
  return {
    broker: "redis",
    ui: [],
    commands: [
      "# Server settings (then CONFIG REWRITE keeps them across restarts):",
      ...settings,
      "redis-cli -h HOST CONFIG REWRITE",
      `# The streams and consumer groups (${file} is below; the same as: mqa topology export ${shellQuote(specFile)} --format redis):`,
      `redis-cli -h HOST < ${shellQuote(file)}`,
    ],
    file: { name: file, content: redisScript(specToRedisModel(spec)) },
  };
}
