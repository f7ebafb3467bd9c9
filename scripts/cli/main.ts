#!/usr/bin/env -S node --disable-warning=ExperimentalWarning --import tsx
/**
 * `verity`: every role's everyday actions against a Verity deployment.
 *   --network localhost (default; the Ignition deployment of its chain is found automatically)
 *   --rpc <url> [--deployment <file>]
 * Keys come from VERITY_PRIVATE_KEY, or VERITY_KEYSTORE + VERITY_KEYSTORE_PASSWORD; never from flags.
 */
import { spawn } from "node:child_process";
import path from "node:path";

import { Command, CommanderError } from "commander";

import { balanceCommand } from "./balance.ts";
import { CliError } from "./context.ts";
import { modelCommand } from "./model.ts";
import { operatorCommand } from "./operator.ts";
import { requestCommand } from "./request.ts";
import { resultCommand } from "./result.ts";

const program = new Command()
  .name("verity")
  .description("Verity: paid, verifiable AI inference — CLI for model owners, operators, dApps and integrators")
  .option("--network <name>", "network whose Ignition deployment to use (localhost)")
  .option("--rpc <url>", "JSON-RPC endpoint (use with --deployment, or the Ignition deployment of its chain is used)")
  .option("--deployment <file>", "deployment JSON, or Ignition's deployed_addresses.json")
  .option("--json", "machine-readable output", false)
  .exitOverride();

program.addCommand(modelCommand());
program.addCommand(operatorCommand());
program.addCommand(balanceCommand());
program.addCommand(requestCommand());
program.addCommand(resultCommand());
program
  .command("worker")
  .description("operators: run the operator node")
  .command("start")
  .description("start the worker (same as npm run worker)")
  .requiredOption("-c, --config <file>", "worker configuration (JSON)")
  .option("--once", "run one pass and exit", false)
  .action(async (o: { config: string; once: boolean }) => {
    const main = path.join(import.meta.dirname, "..", "..", "worker", "main.ts");
    const child = spawn(process.execPath, ["--import", "tsx", main, "--config", o.config, ...(o.once ? ["--once"] : [])], { stdio: "inherit" });
    await new Promise<void>((resolve) => child.on("exit", (code) => ((process.exitCode = code ?? 1), resolve())));
  });

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (err instanceof CliError || (err instanceof Error && !("code" in err && err.code === "CALL_EXCEPTION"))) {
    console.error(`error: ${(err as Error).message}`);
    process.exitCode = 1;
  } else {
    const e = err as Error & { revert?: { name: string; args: unknown[] }; shortMessage?: string };
    console.error(`error: ${e.revert ? `${e.revert.name}(${e.revert.args.join(", ")})` : (e.shortMessage ?? e.message)}`);
    process.exitCode = 1;
  }
}
