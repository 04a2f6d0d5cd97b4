/**
 * A single live status line on stderr, redrawn in place. Only when stderr is a terminal; in CI logs
 * and pipes it prints nothing until the final report, and it never touches stdout (kept for --json).
 */
export class ProgressLine {
  private last = "";
  private readonly enabled: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    enabled?: boolean,
  ) {
    this.enabled = enabled ?? Boolean(stream.isTTY);
  }

  /** Redraw the line with `text`. */
  update(text: string): void {
    if (!this.enabled || text === this.last) return;
    this.last = text;
    this.stream.write(`\r\x1b[2K${text}`);
  }

  /** Leave the last state on screen and move to a new line. */
  done(): void {
    if (this.enabled && this.last) this.stream.write("\n");
    this.last = "";
  }
}

/** A text bar like `[#######-------] 50%`. */
export function bar(done: number, total: number, width = 24): string {
  const ratio = total <= 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%`;
}
