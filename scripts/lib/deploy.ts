/**
 * The deployment behind `npm run deploy`: checks the chain before anything is sent, runs one Ignition
 * module, and writes the deployment record (`verity.json`: chain id, addresses, start block, ABI version).
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { ZeroAddress, getAddress } from "ethers";

import ProductionModule from "../../deploy/modules/Production.ts";
import VerityModule from "../../deploy/modules/Verity.ts";
import ZkVerifierModule from "../../deploy/modules/ZkVerifier.ts";
import { isLocalChain } from "@verity-ai/sdk";
import type { Deployment } from "@verity-ai/sdk";
import { writeDeploymentRecord } from "@verity-ai/sdk/node";

export const ALLOW_DEV_FLAG = "--allow-dev-contracts-on-public-chain";

/** `production`: existing ERC-20 + TDX verifier. `local`/`zk`: the mintable test token and the dev verifier. */
export type ModuleName = "production" | "local" | "zk";
export const MODULES = { production: ProductionModule, local: VerityModule, zk: ZkVerifierModule } as const;

export interface DeployOptions {
  module: ModuleName;
  /** Ignition parameters ("<digits>n" strings are bigints, as in Ignition's own files). */
  parameters: Record<string, Record<string, unknown>>;
  allowDevContractsOnPublicChain: boolean;
  /** Where deployments live (`deploy/deployments` of the repository). */
  root: string;
  deploymentId?: string;
  /** Label of the network in messages. */
  networkName: string;
}

/** Reads an Ignition parameters file the way Ignition does ("123n" → 123n). */
export function readParameters(file: string): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(file, "utf8"), (_k, v) =>
    typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  ) as Record<string, Record<string, unknown>>;
}

/**
 * Why this deployment must not run, as a sentence with the fix; undefined when it may. Checked before
 * any transaction: the dev contracts off a local chain without the flag, and a production parameters file
 * whose addresses are still the template's zero placeholders or whose token has no code.
 */
export async function refusal(
  chainId: number,
  o: Pick<DeployOptions, "module" | "parameters" | "allowDevContractsOnPublicChain" | "networkName">,
  hasCode: (address: string) => Promise<boolean>,
  deployer?: string,
): Promise<string | undefined> {
  if (o.module !== "production") {
    if (!isLocalChain(chainId) && !o.allowDevContractsOnPublicChain) {
      return (
        `network "${o.networkName}" is chain ${chainId}, not a local chain, and the "${o.module}" module deploys the ` +
        `mintable test token and the development attestation verifier (which checks no attestation): deploy ` +
        `"--module production" with your parameters file, or pass ${ALLOW_DEV_FLAG} for a throwaway test deployment`
      );
    }
    return undefined;
  }
  const p = o.parameters.Production ?? {};
  for (const key of ["paymentToken", "treasury", "governance"]) {
    const value = p[key];
    if (typeof value !== "string" || value === ZeroAddress) {
      return `the parameters' Production.${key} is ${value === undefined ? "missing" : String(value)}: set it to a real address (see deploy/parameters/production.template.json and the README's table)`;
    }
  }
  if (deployer !== undefined && getAddress(p.governance as string) === getAddress(deployer)) {
    return `Production.governance is the deploying account ${deployer}: give the address of the multisig or timelock that will govern (the deployer renounces its roles and hands the admin role over to governance)`;
  }
  if (!(await hasCode(p.paymentToken as string))) {
    return `Production.paymentToken ${p.paymentToken} has no contract on chain ${chainId}: give the address of the existing ERC-20 on this chain`;
  }
  return undefined;
}

/** The parameters with the dev contracts' `iUnderstandThisIsNotForProduction` set when the flag was passed. */
export function withDevFlag(o: DeployOptions): Record<string, Record<string, unknown>> {
  if (o.module === "production" || !o.allowDevContractsOnPublicChain) return o.parameters;
  const p = { ...o.parameters };
  for (const m of ["PaymentToken", "TeeVerifier"]) p[m] = { ...p[m], iUnderstandThisIsNotForProduction: true };
  return p;
}

/** The record's addresses from Ignition's result: the six every module returns, and ZK's when present. */
async function addressesOf(result: Record<string, { getAddress(): Promise<string> }>) {
  const keys = ["token", "registry", "staking", "coordinator", "tee", "attestation", "zk"] as const;
  const out: Record<string, string> = {};
  for (const k of keys) if (result[k]) out[k] = getAddress(await result[k].getAddress());
  // The generated circuits' verifiers, by contract name (deploy/modules/ZkVerifier.ts).
  const zkVerifiers: Record<string, string> = {};
  for (const [k, c] of Object.entries(result))
    if (k.endsWith("Groth16Verifier")) zkVerifiers[k] = getAddress(await c.getAddress());
  const record = out as unknown as Omit<Deployment, "chainId">;
  return Object.keys(zkVerifiers).length > 0 ? { ...record, zkVerifiers } : record;
}

// A minimal view of a Hardhat network connection with the ethers and Ignition plugins.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Connection = { ethers: any; ignition: any };

/** Deploys through `conn` and writes the record; throws the refusal sentence before sending anything. */
export async function deploy(conn: Connection, o: DeployOptions): Promise<{ deployment: Deployment; record: string }> {
  const provider = conn.ethers.provider;
  const chainId = Number((await provider.getNetwork()).chainId);
  const [signer] = await conn.ethers.getSigners();
  const refused = await refusal(
    chainId,
    o,
    async (a) => (await provider.getCode(a)) !== "0x",
    signer ? await signer.getAddress() : undefined,
  );
  if (refused) throw new Error(refused);
  const deploymentId = o.deploymentId ?? `chain-${chainId}`;
  const startBlock = await provider.getBlockNumber();
  const result = await conn.ignition.deploy(MODULES[o.module], {
    parameters: withDevFlag(o),
    deploymentId,
    displayUi: false,
  });
  const dir = path.join(o.root, "deploy", "deployments", deploymentId);
  // From Ignition's result (an in-process chain keeps no deployment folder to read back).
  const deployment: Deployment = { chainId, ...(await addressesOf(result)), startBlock };
  return { deployment, record: writeDeploymentRecord(dir, deployment) };
}
