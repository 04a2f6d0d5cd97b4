/** The error every config-file parser throws: names the file and the line, never echoes a value. */
import { AuditInputError } from "../definitions.js";

/** Unparsable configuration file; `details` carries `file` and `line`. */
export class ConfigSyntaxError extends AuditInputError {
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`, { details: { file, line } });
  }
}
