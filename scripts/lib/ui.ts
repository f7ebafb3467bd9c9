/** Numbered steps with a live progress line, for `npm start`. */
export class Steps {
  readonly total: number;
  #n = 0;
  current: string | undefined;

  constructor(total: number) {
    this.total = total;
  }

  async run<T>(
    title: string,
    fn: (progress: (msg: string) => void) => Promise<T>,
    describe?: (value: T) => string,
  ): Promise<T> {
    this.#n++;
    this.current = title;
    const label = `[${this.#n}/${this.total}] ${title}`;
    const started = Date.now();
    const tty = process.stdout.isTTY;
    let last = "";
    const progress = (msg: string) => {
      if (tty) process.stdout.write(`\r${label} … ${msg}\x1b[K`);
      else if (msg !== last) console.log(`${label} … ${msg}`);
      last = msg;
    };
    if (tty) process.stdout.write(`${label} …`);
    else console.log(`${label} …`);
    const value = await fn(progress);
    const detail = describe ? describe(value) : typeof value === "string" ? value : "";
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const line = `${label} ✔ ${detail ? `${detail} ` : ""}(${secs} s)`;
    if (tty) process.stdout.write(`\r${line}\x1b[K\n`);
    else console.log(line);
    this.current = undefined;
    return value;
  }
}

/** A plain text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? "").padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
