/**
 * `npm run deploy`: deploys Verity to a network of hardhat.config.ts and records the deployment.
 *
 *   npm run deploy -- --network <name> [--module production|local|zk] [--parameters <file>]
 *                     [--deployment-id <id>] [--allow-dev-contracts-on-public-chain]
 *
 * The `local` and `zk` modules deploy the mintable test token and the development attestation verifier;
 * off a local chain (31337, 1337) they are refused here, before anything is sent, and by the contracts'
 * constructors, unless --allow-dev-contracts-on-public-chain is passed.
 */
import path from "node:path";

import { Command, Option } from "commander";
import hre from "hardhat";

import { ALLOW_DEV_FLAG, deploy, readParameters } from "./lib/deploy.ts";
import type { ModuleName } from "./lib/deploy.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

const opts = new Command()
  .name("npm run deploy --")
  .description("Deploy Verity with Ignition and write deploy/deployments/<id>/verity.json.")
  .requiredOption("--network <name>", "a network of hardhat.config.ts (sepolia, baseSepolia, custom, localhost, …)")
  .addOption(
    new Option("--module <name>", "what to deploy").choices(["production", "local", "zk"]).default("production"),
  )
  .option("--parameters <file>", "Ignition parameters (default: production.template.json or localhost.json)")
  .option("--deployment-id <id>", "deployment folder under deploy/deployments (default: chain-<chainId>)")
  .option(
    ALLOW_DEV_FLAG,
    "deploy the mintable test token and the development attestation verifier to a chain that is not local",
    false,
  )
  .parse()
  .opts<{
    network: string;
    module: ModuleName;
    parameters?: string;
    deploymentId?: string;
    allowDevContractsOnPublicChain: boolean;
  }>();

async function main() {
  const file =
    opts.parameters ??
    path.join(ROOT, "deploy/parameters", opts.module === "production" ? "production.template.json" : "localhost.json");
  const conn = await hre.network.connect({ network: opts.network });
  const { deployment, record } = await deploy(conn, {
    module: opts.module,
    parameters: readParameters(file),
    allowDevContractsOnPublicChain: opts.allowDevContractsOnPublicChain,
    root: ROOT,
    deploymentId: opts.deploymentId,
    networkName: opts.network,
  });
  console.log(`deployed Verity (${opts.module}) to chain ${deployment.chainId} from block ${deployment.startBlock}`);
  for (const [k, v] of Object.entries(deployment)) if (typeof v === "string") console.log(`  ${k.padEnd(12)} ${v}`);
  console.log(`record: ${path.relative(ROOT, record)}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`deploy failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
