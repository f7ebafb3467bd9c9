/**
 * Node-only helpers of the SDK (`@verity-ai/sdk/node`): they read files, so they stay out of the
 * main entry, which also runs in browsers.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

import { ABI_VERSION } from "./generated/abis.ts";

import { fromIgnitionAddresses, parseDeployment, type Deployment } from "./deployment.ts";

/** The file beside Ignition's `deployed_addresses.json` that records a whole Verity deployment. */
export const DEPLOYMENT_RECORD = "verity.json";

/** The deployment id `npm start -- --serve` uses, apart from a user's own (`chain-<id>`). */
export const NPM_START_DEPLOYMENT_ID = "npm-start";

/**
 * Writes `deploy/deployments/<id>/verity.json`: chain id, every address, the block the deployment
 * started in and the ABI version, so the node starts its scan there and the SDK pages its queries
 * from there.
 */
export function writeDeploymentRecord(dir: string, deployment: Deployment): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, DEPLOYMENT_RECORD);
  writeFileSync(file, JSON.stringify({ abiVersion: ABI_VERSION, ...deployment }, null, 2) + "\n");
  return file;
}

/**
 * Reads the deployment `deploymentId` (default `chain-<chainId>`) under `root`/deploy/deployments: its
 * `verity.json` record when there is one (every deployment `npm run deploy` or `npm start` makes, any
 * module), else Ignition's `deployed_addresses.json` of the local modules.
 */
export function loadIgnitionDeployment(
  chainId: number,
  root = process.cwd(),
  deploymentId = `chain-${chainId}`,
): Deployment {
  const dir = path.join(root, "deploy", "deployments", deploymentId);
  const record = path.join(dir, DEPLOYMENT_RECORD);
  if (existsSync(record))
    return parseDeployment(JSON.parse(readFileSync(record, "utf8")) as Record<string, unknown>, chainId, record);
  const file = path.join(dir, "deployed_addresses.json");
  if (!existsSync(file)) {
    throw new Error(
      `no deployment of chain ${chainId} at ${dir}: deploy with "npm run deploy -- --network <name>" or pass --deployment <file>`,
    );
  }
  return fromIgnitionAddresses(chainId, JSON.parse(readFileSync(file, "utf8")) as Record<string, string>);
}

/**
 * The local deployment of `chainId` to use when none is named: a user's own Ignition deployment
 * (`chain-<id>`) or the one `npm start -- --serve` made (`npm-start`), whichever has code on the
 * chain (`hasCode(coordinator)`). Both live → an error asking to choose with --deployment.
 */
export async function findLocalDeployment(
  chainId: number,
  hasCode: (address: string) => Promise<boolean>,
  root = process.cwd(),
): Promise<Deployment> {
  const ids = [`chain-${chainId}`, NPM_START_DEPLOYMENT_ID];
  const live: { id: string; deployment: Deployment }[] = [];
  for (const id of ids) {
    const dir = path.join(root, "deploy", "deployments", id);
    if (!existsSync(path.join(dir, DEPLOYMENT_RECORD)) && !existsSync(path.join(dir, "deployed_addresses.json")))
      continue;
    const deployment = loadIgnitionDeployment(chainId, root, id);
    if (deployment.chainId === chainId && (await hasCode(deployment.coordinator))) live.push({ id, deployment });
  }
  if (live.length === 1) return live[0]!.deployment;
  const where = path.join(root, "deploy", "deployments");
  if (live.length === 0)
    throw new Error(
      `no Verity deployment of chain ${chainId} under ${where} has code on this chain: deploy one ("npm run deploy -- --network <name>"), start one ("npm start -- --serve"), or pass --deployment <file>`,
    );
  throw new Error(
    `two Verity deployments of chain ${chainId} are live (${live.map((l) => l.id).join(", ")}): choose one with --deployment ${path.join(where, live[0]!.id, DEPLOYMENT_RECORD)}`,
  );
}

/** Reads a deployment file: either a `Deployment` JSON or Ignition's deployed_addresses.json. */
export function loadDeploymentFile(file: string, chainId?: number): Deployment {
  if (existsSync(file) && statSync(file).isDirectory()) {
    const record = path.join(file, DEPLOYMENT_RECORD);
    file = existsSync(record) ? record : path.join(file, "deployed_addresses.json");
  }
  if (!existsSync(file)) throw new Error(`deployment file ${file} does not exist: pass the path of a deployment JSON`);
  return parseDeployment(
    JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>,
    chainId,
    `deployment file ${file}`,
  );
}
