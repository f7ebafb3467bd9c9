/** @verity-ai/node: the operator node as a library (the `verity-node` executable runs `runWorker`). */
export { runWorker } from "./run.ts";
export { Worker } from "./worker.ts";
export { ConfigError, configSchema, loadConfig, parseConfig, redactedConfig, type WorkerConfig } from "./config.ts";
export { Executor, ModelStore } from "./models/index.ts";
