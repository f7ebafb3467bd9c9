/**
 * Log output: JSON lines (pino's own) when stdout is piped or collected, and one readable line per
 * event on a terminal: `12:00:01.234 INFO  model fetched and verified weightsHash=0x… uri=https://…`.
 * `logFormat` ("auto" | "pretty" | "json", env VERITY_LOG_FORMAT) forces either. Written here
 * rather than taken from pino-pretty: a few lines, synchronous, and no transport thread.
 */
import { pino, type DestinationStream, type Logger } from "pino";

export type LogFormat = "auto" | "pretty" | "json";

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: "TRACE", color: "\x1b[90m" },
  20: { name: "DEBUG", color: "\x1b[36m" },
  30: { name: "INFO", color: "\x1b[32m" },
  40: { name: "WARN", color: "\x1b[33m" },
  50: { name: "ERROR", color: "\x1b[31m" },
  60: { name: "FATAL", color: "\x1b[35m" },
};
const RESET = "\x1b[0m";
const DIM = "\x1b[2m";
/** Fields every line carries that a person reading a terminal does not need. */
const HIDDEN = new Set(["level", "time", "msg", "pid", "hostname", "service"]);

function value(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === "bigint") return v.toString();
  return JSON.stringify(v) ?? String(v);
}

function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

/** One pino JSON record as a readable line (UTC time, level, message, then key=value fields). */
export function prettyLine(record: Record<string, unknown>, color = false): string {
  const lv = LEVELS[Number(record.level)] ?? { name: String(record.level).toUpperCase(), color: "" };
  const time = typeof record.time === "number" ? clock(record.time) : "";
  const fields = Object.entries(record)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => (color ? `${DIM}${k}=${RESET}${value(v)}` : `${k}=${value(v)}`));
  const level = lv.name.padEnd(5);
  const head = color ? `${DIM}${time}${RESET} ${lv.color}${level}${RESET}` : `${time} ${level}`;
  return [head, typeof record.msg === "string" ? record.msg : "", ...fields].filter((s) => s !== "").join(" ");
}

/** Whether `format` means readable lines on `stream`. */
export function wantsPretty(format: LogFormat, stream: { isTTY?: boolean }): boolean {
  return format === "pretty" || (format === "auto" && stream.isTTY === true);
}

/** A pino destination writing readable lines to `out` (colours when `out` is a terminal). */
export function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): DestinationStream {
  const color = out.isTTY === true;
  return {
    write(chunk: string) {
      for (const line of chunk.split("\n")) {
        if (line === "") continue;
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(line) as Record<string, unknown>;
        } catch {
          out.write(`${line}\n`);
          continue;
        }
        out.write(`${prettyLine(record, color)}\n`);
      }
    },
  };
}

/** The node's logger: readable on a terminal, JSON lines otherwise (or as `format` forces). */
export function createLogger(
  opts: { level: string; format: LogFormat; service: string },
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): Logger {
  const options = { level: opts.level, base: { service: opts.service } };
  return wantsPretty(opts.format, out)
    ? pino(options, prettyDestination(out))
    : pino(options, out === process.stdout ? undefined : (out as unknown as DestinationStream));
}
