/**
 * Node-only helpers of the SDK (`@verity-ai/sdk/node`): they read files, so they stay out of the
 * main entry, which also runs in browsers.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { fromIgnitionAddresses, parseDeployment, type Deployment } from "./deployment.ts";

/** Reads Ignition's deployment of `chainId` (deploy/deployments/chain-<id>, or `deploymentId`) under `root`. */
export function loadIgnitionDeployment(
  chainId: number,
  root = process.cwd(),
  deploymentId = `chain-${chainId}`,
): Deployment {
  const file = path.join(root, "deploy", "deployments", deploymentId, "deployed_addresses.json");
  if (!existsSync(file)) {
    throw new Error(
      `no Ignition deployment for chain ${chainId} at ${file}: deploy with "npx hardhat ignition deploy deploy/modules/Verity.ts --network <name> --parameters deploy/parameters/localhost.json" or pass --deployment <file>`,
    );
  }
  return fromIgnitionAddresses(chainId, JSON.parse(readFileSync(file, "utf8")) as Record<string, string>);
}

/** Reads a deployment file: either a `Deployment` JSON or Ignition's deployed_addresses.json. */
export function loadDeploymentFile(file: string, chainId?: number): Deployment {
  if (!existsSync(file)) throw new Error(`deployment file ${file} does not exist: pass the path of a deployment JSON`);
  return parseDeployment(
    JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>,
    chainId,
    `deployment file ${file}`,
  );
}
