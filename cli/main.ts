#!/usr/bin/env node
/**
 * `verity`: every role's everyday actions against a Verity deployment.
 *   --network localhost (default; the Ignition deployment of its chain is found automatically)
 *   --rpc <url> [--deployment <file>]
 * Keys come from VERITY_PRIVATE_KEY, or VERITY_KEYSTORE + VERITY_KEYSTORE_PASSWORD; never from flags.
 */
import { Command, CommanderError } from "commander";

import { decodeRevert, zkShutdown } from "@verity-ai/sdk";

import { balanceCommand } from "./balance.ts";
import { CliError } from "./context.ts";
import { modelCommand } from "./model.ts";
import { operatorCommand } from "./operator.ts";
import { refundCommand, requestCommand } from "./request.ts";
import { resultCommand } from "./result.ts";
import { tokenCommand } from "./token.ts";
import { workerCommand } from "./worker.ts";

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
program.addCommand(requestCommand().addCommand(refundCommand()));
program.addCommand(resultCommand());
program.addCommand(tokenCommand());
program.addCommand(workerCommand());

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else {
    console.error(`error: ${describeError(err)}`);
    process.exitCode = 1;
  }
} finally {
  // Ends snarkjs's worker threads if a ZK result was verified, so the process can exit.
  await zkShutdown();
}

/** A contract revert as `ErrorName(args)` decoded with the protocol's ABIs, else the error's message. */
function describeError(err: unknown): string {
  if (err instanceof CliError) return err.message;
  const e = err as Error & {
    data?: string;
    info?: { error?: { data?: string } };
    shortMessage?: string;
    revert?: { name: string; args: unknown[] };
  };
  if (e.revert) return `${e.revert.name}(${e.revert.args.join(", ")})`;
  return decodeRevert(err)?.text ?? e.shortMessage ?? e.message;
}
