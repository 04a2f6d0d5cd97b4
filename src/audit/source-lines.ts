/**
 * Where in a file source a finding's resource is declared, found through an index of the names each line
 * quotes: built once per source, so placing thousands of findings in a file of thousands of lines is
 * linear, not one scan of the file per finding.
 */

/** Line lookups over one file's lines. */
export class SourceLineIndex {
  /** name → indexes (ascending) of the lines that name it: quoted "…" or '…', or as the line's last word. */
  private readonly byName = new Map<string, number[]>();
  private readonly sections = new Map<string, number>();

  constructor(private readonly lines: readonly string[]) {
    lines.forEach((line, i) => {
      const names = new Set<string>();
      for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
        try {
          names.add(JSON.parse(m[0]) as string);
        } catch {
          names.add(m[1]!);
        }
      }
      for (const m of line.matchAll(/'([^']*)'/g)) names.add(m[1]!);
      const words = line.trimEnd().split(" ");
      if (words.length > 1) names.add(words[words.length - 1]!);
      for (const n of names) {
        const list = this.byName.get(n);
        if (list) list.push(i);
        else this.byName.set(n, [i]);
      }
    });
  }

  /** Index of the first line starting section `section` (`"queues":` or `queues:`), or -1. */
  sectionStart(section: string): number {
    let at = this.sections.get(section);
    if (at === undefined) {
      const heading = new RegExp(`^\\s*"?${section.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"?\\s*:`);
      at = this.lines.findIndex((l) => heading.test(l));
      this.sections.set(section, at);
    }
    return at;
  }

  /**
   * Index of the first line at or after `from` that names `name`, or -1. A name with a space cannot be a
   * line's last word in the index, so such names are looked for by a scan (rare: resource names seldom have one).
   */
  firstNaming(name: string, from = 0): number {
    if (/\s/.test(name)) {
      const quoted = JSON.stringify(name);
      const names = (l: string): boolean =>
        l.includes(quoted) || l.includes(`'${name}'`) || l.trimEnd().endsWith(` ${name}`);
      return this.lines.findIndex((l, j) => j >= from && names(l));
    }
    const list = this.byName.get(name);
    if (!list) return -1;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length ? list[lo]! : -1;
  }
}
