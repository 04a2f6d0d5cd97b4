/**
 * Turns RabbitMQ's PRECONDITION_FAILED on a redeclare (an existing queue or exchange with other
 * arguments) into a {@link PreconditionFailedError} that names the object, the argument, both values
 * and the safe way out, instead of a bare "channel closed".
 */
import { PreconditionFailedError } from "../../core/errors.js";
import { PRECONDITION_FAILED, replyCodeOf } from "./reply-code.js";

/** What a PRECONDITION_FAILED close reason says, when it is about inequivalent arguments. */
export interface InequivalentArgument {
  readonly kind: "queue" | "exchange";
  readonly name: string;
  readonly argument: string;
  /** What mqa asked for. */
  readonly requested: string;
  /** What the broker has. */
  readonly existing: string;
}

const ARG_RE =
  /inequivalent arg '([^']+)' for (queue|exchange) '([^']+)' in vhost '[^']*': received (.+?) but current is (.+?)\s*$/;

function describe(value: string): string {
  // "the value 'quorum' of type 'longstr'" -> "'quorum'"; "none" stays "none (not set)".
  const m =
    /^(?:the value )?'(.*)' of type '[^']*'$/.exec(value.trim()) ??
    /^the value (.*) of type '[^']*'$/.exec(value.trim());
  if (m) return `'${m[1]}'`;
  return value.trim() === "none" ? "not set" : value.trim();
}

/** Parse the broker's close reason; `undefined` when it is not an inequivalent-argument failure. */
export function parseInequivalentArgument(reason: string): InequivalentArgument | undefined {
  const m = ARG_RE.exec(reason.replace(/"\s*$/, ""));
  if (!m) return undefined;
  return {
    argument: m[1]!,
    kind: m[2] as "queue" | "exchange",
    name: m[3]!,
    requested: describe(m[4]!),
    existing: describe(m[5]!),
  };
}

/**
 * True for an amqplib error carrying AMQP reply code 406 (PRECONDITION_FAILED), by its code only: the
 * reply text is parsed for details ({@link parseInequivalentArgument}), never to classify.
 */
export function isPreconditionFailed(err: unknown): err is Error {
  return err instanceof Error && replyCodeOf(err) === PRECONDITION_FAILED;
}

/** Build the error users see for a conflicting redeclare. */
export function preconditionFailedError(
  err: Error,
  fallback: { kind: "queue" | "exchange"; name: string },
): PreconditionFailedError {
  const parsed = parseInequivalentArgument(err.message);
  const kind = parsed?.kind ?? fallback.kind;
  const name = parsed?.name ?? fallback.name;
  const what = parsed
    ? `argument '${parsed.argument}': mqa declares ${parsed.requested}, the existing ${kind} has ${parsed.existing}`
    : err.message;
  const way =
    kind === "queue"
      ? `RabbitMQ cannot change a queue's arguments in place. Safe ways out: set the transport options so they ` +
        `match the existing queue; or declare a new group (a new queue), move consumers to it and delete '${name}' ` +
        `once it is empty (deleting a queue deletes its messages); policies can change some settings without redeclaring.`
      : `RabbitMQ cannot change an exchange in place. Match the existing exchange, or delete and recreate it ` +
        `when nothing publishes to it (bindings are lost with it).`;
  return new PreconditionFailedError(
    `${kind} '${name}' already exists with other settings — ${what}. ${way}`,
    {
      cause: err,
      details: {
        kind,
        name,
        ...(parsed
          ? { argument: parsed.argument, requested: parsed.requested, existing: parsed.existing }
          : {}),
      },
    },
  );
}
