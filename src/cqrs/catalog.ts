/**
 * The catalog of a system's commands and events: each name with its zod schema, and the topic it travels on
 * (`<prefix>.commands.<Name>`, `<prefix>.events.<Name>`). Names and payloads are checked at compile time
 * through the catalog's types, and at run time with the schemas: on send (an invalid payload is refused before
 * it reaches the broker) and on receipt (the Router dead-letters an invalid one as `invalid-payload`).
 */
import { z } from "zod";
import { InvalidOptionsError, InvalidPayloadError } from "../core/errors.js";
import { formatIssues, parseOptions } from "../core/options.js";

/** Message names mapped to their payload schemas. */
export type MessageSchemas = Record<string, z.ZodType>;

/** What {@link defineMessages} takes. */
export interface MessageDefinitions<C extends MessageSchemas, E extends MessageSchemas> {
  /** First part of every topic name. @defaultValue "cqrs" */
  prefix?: string;
  /**
   * The one consumer group that handles each command (queue `<topic>.<commandGroup>` on RabbitMQ, consumer
   * group on Redis). @defaultValue "handler"
   */
  commandGroup?: string;
  /** Requests to one handler: `PlaceOrder`, `ChargeCard`. */
  commands: C;
  /** Facts that happened, for any number of subscribers: `OrderPlaced`, `PaymentCaptured`. */
  events: E;
}

/** Whether a message is a command or an event. */
export type MessageKind = "command" | "event";

/** Header naming the message's kind (`command`, `event`), for consumers in other languages and `mqa trace`. */
export const MESSAGE_KIND_HEADER = "x-mqa-message-kind";
/** Header naming the message's catalog name (`PlaceOrder`). */
export const MESSAGE_NAME_HEADER = "x-mqa-message-name";

/** Default topic prefix. */
export const DEFAULT_PREFIX = "cqrs";
/** Default consumer group of command handlers. */
export const DEFAULT_COMMAND_GROUP = "handler";

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;
const nameMessage = "must start with a letter and hold only letters, digits, _ and - (at most 100)";
const schemaOf = z.custom<z.ZodType>((v) => v instanceof z.ZodType, "expected a zod schema");
const schemasShape = z.record(z.string(), schemaOf).superRefine((value, ctx) => {
  for (const name of Object.keys(value))
    if (!NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `name ${nameMessage}` });
});
const definitionsShape = z.strictObject({
  prefix: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/,
      "must be letters, digits, _, - and . (not first), at most 100",
    )
    .optional(),
  commandGroup: z.string().regex(NAME, nameMessage).optional(),
  commands: schemasShape,
  events: schemasShape,
});

/** A defined set of commands and events; pass it to the buses and to `onCommand` / `onEvent`. */
export class MessageCatalog<C extends MessageSchemas, E extends MessageSchemas> {
  readonly prefix: string;
  readonly commandGroup: string;

  constructor(
    readonly commands: Readonly<C>,
    readonly events: Readonly<E>,
    prefix: string,
    commandGroup: string,
  ) {
    this.prefix = prefix;
    this.commandGroup = commandGroup;
  }

  /** The topic of command `name`: `<prefix>.commands.<name>`. */
  commandTopic(name: keyof C & string): string {
    this.schema("command", name);
    return `${this.prefix}.commands.${name}`;
  }

  /** The topic of event `name`: `<prefix>.events.<name>`. */
  eventTopic(name: keyof E & string): string {
    this.schema("event", name);
    return `${this.prefix}.events.${name}`;
  }

  /** Every topic of the catalog, commands first, in definition order. */
  topics(): { kind: MessageKind; name: string; topic: string }[] {
    return [
      ...Object.keys(this.commands).map((name) => ({
        kind: "command" as const,
        name,
        topic: `${this.prefix}.commands.${name}`,
      })),
      ...Object.keys(this.events).map((name) => ({
        kind: "event" as const,
        name,
        topic: `${this.prefix}.events.${name}`,
      })),
    ];
  }

  /** The schema of a command or event; throws `invalid-options` naming the known ones for an unknown name. */
  schema(kind: MessageKind, name: string): z.ZodType {
    const table: MessageSchemas = kind === "command" ? this.commands : this.events;
    const schema = Object.hasOwn(table, name) ? table[name] : undefined;
    if (schema === undefined)
      throw new InvalidOptionsError(
        `unknown ${kind} ${JSON.stringify(name)}; the catalog's ${kind}s are: ${Object.keys(table).join(", ") || "(none)"}`,
        { details: { kind, name } },
      );
    return schema;
  }

  /**
   * Check `payload` against the schema of `name`; throws `invalid-payload` listing each problem with its path.
   * Returns the payload as given (consumers validate again, with the same schema).
   */
  check(kind: MessageKind, name: string, payload: unknown): unknown {
    const result = this.schema(kind, name).safeParse(payload);
    if (!result.success) {
      const issues = formatIssues(result.error.issues);
      throw new InvalidPayloadError(
        `${kind} ${name} refused, its payload failed validation: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
        { details: { kind, name, issues } },
      );
    }
    return payload;
  }
}

/**
 * Define a catalog of commands and events with their zod schemas:
 * `defineMessages({ commands: { PlaceOrder: z.object(…) }, events: { OrderPlaced: z.object(…) } })`.
 * Throws `invalid-options` for a bad prefix or name, or something that is not a zod schema.
 */
export function defineMessages<C extends MessageSchemas, E extends MessageSchemas>(
  definitions: MessageDefinitions<C, E>,
): MessageCatalog<C, E> {
  parseOptions(definitionsShape, definitions, "message definitions");
  return new MessageCatalog<C, E>(
    { ...definitions.commands },
    { ...definitions.events },
    definitions.prefix ?? DEFAULT_PREFIX,
    definitions.commandGroup ?? DEFAULT_COMMAND_GROUP,
  );
}

/** Payload a sender gives for message `N` (the schema's input). */
export type PayloadIn<S extends MessageSchemas, N extends keyof S> = z.input<S[N]>;
/** Payload a handler gets for message `N` (the schema's output). */
export type PayloadOut<S extends MessageSchemas, N extends keyof S> = z.output<S[N]>;
