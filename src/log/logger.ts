/**
 * Structured logging with pino. Every logger mqa creates masks secrets: values under secret-looking keys
 * are censored, and URLs with passwords are masked wherever they appear in a message or error.
 */
import { pino } from "pino";
import type { Logger, LoggerOptions } from "pino";
import { describeThrown } from "../core/errors.js";
import { maskSecretsInText } from "../core/redact.js";

export type { Logger } from "pino";

const REDACT_PATHS = [
  "password",
  "*.password",
  "pass",
  "*.pass",
  "secret",
  "*.secret",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.key",
  "*.cert",
  "*.ca",
];

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  /** pino level. @defaultValue process.env.MQA_LOG_LEVEL ?? "info" */
  level?: string;
  /** Logger name. @defaultValue "mqa" */
  name?: string;
  /** Where to write; defaults to stderr so stdout stays free for `--json` output. */
  destination?: pino.DestinationStream;
}

/** A pino logger with secret masking; writes JSON lines to stderr by default. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    name: options.name ?? "mqa",
    level: options.level ?? process.env["MQA_LOG_LEVEL"] ?? "info",
    redact: { paths: REDACT_PATHS, censor: "****" },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === "string" ? maskSecretsInText(a) : a)) as typeof args;
        method.apply(this, masked);
      },
    },
    serializers: {
      err: (err: unknown) => {
        // `throw null`, a string, a plain object: logged as a description, never read as an Error (a logger
        // that throws here would turn a handler's failure into a failure of the retry middleware itself).
        if (!(err instanceof Error)) return { type: "NonError", message: describeThrown(err) };
        const serialized = pino.stdSerializers.err(err);
        if (typeof serialized.message === "string")
          serialized.message = maskSecretsInText(serialized.message);
        if (typeof serialized.stack === "string") serialized.stack = maskSecretsInText(serialized.stack);
        return serialized;
      },
    },
  };
  return pino(config, options.destination ?? pino.destination(2));
}

/** A logger that writes nothing, for libraries used without one. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
