/**
 * CLI: `node worker/main.ts --config worker.json [--once]`.
 * Exit codes: 0 done / stopped, 1 runtime failure, 2 bad configuration.
 */
import { Command } from "commander";
import { pino } from "pino";

import { ConfigError, loadConfig } from "./config.ts";

// node:sqlite is stable enough for this use but still flagged experimental in Node 22: keep that one
// notice out of stderr (other warnings still print). The worker is loaded after the filter is set.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name === "ExperimentalWarning" && /SQLite/.test(w.message)) return;
  process.stderr.write(`${w.name}: ${w.message}\n`);
});
const { Worker } = await import("./worker.ts");

const program = new Command()
  .name("verity-worker")
  .description("Verity operator node: serves inference requests and submits attested results")
  .requiredOption(
    "-c, --config <file>",
    "worker configuration (JSON); secrets come from VERITY_* environment variables",
  )
  .option("--once", "run one pass (catch up, execute, submit) and exit", false)
  .parse();

const opts = program.opts<{ config: string; once: boolean }>();

let config;
try {
  config = await loadConfig(opts.config);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
if (opts.once) config = { ...config, pollIntervalMs: 0 };

const logger = pino({ level: config.logLevel, base: { service: "verity-worker" } });
const worker = new Worker(config, { logger });

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down: finishing the current pass");
  worker
    .stop()
    .then(() => process.exit(0))
    .catch((err: Error) => {
      logger.error({ err: err.message }, "error during shutdown");
      process.exit(1);
    });
};
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));

try {
  await worker.start();
  if (config.pollIntervalMs === 0) {
    await worker.stop();
    process.exit(0);
  }
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  logger.fatal({ err: (err as Error).message }, "worker failed to start");
  await worker.stop().catch(() => undefined);
  process.exit(1);
}
