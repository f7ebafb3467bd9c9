/**
 * Runs the operator node from a config file until SIGINT/SIGTERM (or one pass with `once`): what the
 * `verity-node` executable and `verity worker start` do. Resolves with the process exit code:
 * 0 done / stopped, 1 runtime failure, 2 bad configuration.
 */
import { createLogger } from "./logformat.ts";

import { ConfigError, loadConfig } from "./config.ts";

export async function runWorker(configPath: string, opts: { once?: boolean } = {}): Promise<number> {
  // node:sqlite is stable enough for this use but still flagged experimental in Node 22: keep that
  // one notice out of stderr (other warnings still print). The worker is loaded after the filter.
  process.removeAllListeners("warning");
  process.on("warning", (w) => {
    if (w.name === "ExperimentalWarning" && /SQLite/.test(w.message)) return;
    process.stderr.write(`${w.name}: ${w.message}\n`);
  });
  const { Worker } = await import("./worker.ts");

  let config;
  try {
    config = await loadConfig(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (opts.once) config = { ...config, pollIntervalMs: 0 };

  const logger = createLogger({ level: config.logLevel, format: config.logFormat, service: "verity-node" });
  const worker = new Worker(config, { logger });

  let stopped: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (stopped = resolve));
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: finishing the current pass");
    worker
      .stop()
      .then(() => stopped(0))
      .catch((err: Error) => {
        logger.error({ err: err.message }, "error during shutdown");
        stopped(1);
      });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));

  try {
    await worker.start();
    if (config.pollIntervalMs === 0) {
      await worker.stop();
      return 0;
    }
    // The loop ends on a stop (then `done` gives the exit code) or on its own when the node cannot
    // go on (a chain replaced under it): then it exits 1 with the reason.
    return await worker.ended().then(async (err) => {
      if (err === undefined) return done;
      process.stderr.write(`${err.message}\n`);
      await worker.stop().catch(() => undefined);
      return 1;
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    logger.fatal({ err: (err as Error).message }, "worker failed to start");
    await worker.stop().catch(() => undefined);
    return 1;
  }
}
