#!/usr/bin/env node
/**
 * `verity-node --config worker.json [--once]`: the operator node's executable.
 * Exit codes: 0 done / stopped, 1 runtime failure, 2 bad configuration.
 */
import { Command } from "commander";

import { runWorker } from "./run.ts";

const program = new Command()
  .name("verity-node")
  .description("Verity operator node: serves inference requests and submits attested results")
  .requiredOption(
    "-c, --config <file>",
    "worker configuration (JSON); secrets come from VERITY_* environment variables",
  )
  .option("--once", "run one pass (catch up, execute, submit) and exit", false)
  .parse();

const opts = program.opts<{ config: string; once: boolean }>();
process.exit(await runWorker(opts.config, { once: opts.once }));
