#!/usr/bin/env node
/**
 * `verity`: every role's everyday actions against a Verity deployment.
 *   --network localhost (default) | sepolia | baseSepolia | optimismSepolia | arbitrumSepolia | custom
 *     (public chains read their RPC URL from SEPOLIA_RPC_URL, …, VERITY_RPC_URL; the deployment record
 *     deploy/deployments/chain-<id>/verity.json of the chain is found automatically)
 *   --rpc <url> [--deployment <file>]
 * Keys come from VERITY_PRIVATE_KEY, or VERITY_KEYSTORE + VERITY_KEYSTORE_PASSWORD; never from flags.
 */
import { Command, CommanderError } from "commander";

import { decodeRevert, explainRevert, zkShutdown } from "@verity-ai/sdk";

import { balanceCommand } from "./balance.ts";
import { CliError, lastContext } from "./context.ts";
import { checkDisclosureCommand, discloseCommand } from "./disclose.ts";
import { checkRangeCommand, proveRangeCommand } from "./range.ts";
import { modelCommand } from "./model.ts";
import { operatorCommand } from "./operator.ts";
import { refundCommand, requestCommand } from "./request.ts";
import { resultCommand } from "./result.ts";
import { tokenCommand } from "./token.ts";
import { workerCommand } from "./worker.ts";

const program = new Command()
  .name("verity")
  .description("Verity: paid, verifiable AI inference — CLI for model owners, operators, dApps and integrators")
  .option(
    "--network <name>",
    "localhost (default), sepolia, baseSepolia, optimismSepolia, arbitrumSepolia or custom (RPC URL from SEPOLIA_RPC_URL, …, VERITY_RPC_URL)",
  )
  .option("--rpc <url>", "JSON-RPC endpoint (use with --deployment, or the Ignition deployment of its chain is used)")
  .option("--deployment <file>", "deployment JSON, or Ignition's deployed_addresses.json")
  .option("--json", "machine-readable output", false)
  .exitOverride();

program.addCommand(modelCommand());
program.addCommand(operatorCommand());
program.addCommand(balanceCommand());
program.addCommand(requestCommand().addCommand(refundCommand()));
program.addCommand(
  resultCommand()
    .addCommand(discloseCommand())
    .addCommand(checkDisclosureCommand())
    .addCommand(proveRangeCommand())
    .addCommand(checkRangeCommand()),
);
program.addCommand(tokenCommand());
program.addCommand(workerCommand());

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else {
    const { message, revert } = await describeError(err);
    if (program.opts<{ json?: boolean }>().json)
      console.error(
        JSON.stringify({ error: { message, ...revert } }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      );
    else console.error(`error: ${message}`);
    process.exitCode = 1;
  }
} finally {
  // Ends snarkjs's worker threads if a ZK result was verified, so the process can exit.
  await zkShutdown();
}

/**
 * What went wrong, for people: a protocol revert as its sentence (amounts in the payment token's
 * units) followed by the raw error, anything else by its message.
 */
async function describeError(err: unknown): Promise<{ message: string; revert?: { name: string; args: unknown[] } }> {
  if (err instanceof CliError) return { message: err.message };
  const decoded = decodeRevert(err);
  if (decoded) {
    let ctx = {};
    try {
      if (lastContext) {
        const { token } = lastContext.client;
        ctx = { symbol: await token.symbol(), decimals: Number(await token.decimals()) };
      }
    } catch {
      // amounts then show in 18-decimal units
    }
    return {
      message: `${explainRevert(err, ctx)} (${decoded.text})`,
      revert: { name: decoded.name, args: decoded.args },
    };
  }
  const e = err as Error & { shortMessage?: string };
  return { message: e.shortMessage ?? e.message };
}
