/**
 * The ZK circuits bundled with this SDK (generated/circuits.ts, from circuits/<dir>/descriptor.json by
 * `npm run generate`), found by the weights hash of the model version they prove: what a requester
 * needs to commit to a private ZK input, and what `verifyResult` needs to re-check a proof.
 */
import { BUNDLED_CIRCUITS } from "./generated/circuits.ts";
import type { BundledZkCircuit } from "./fields/record.ts";

export { BUNDLED_CIRCUITS };

/** The bundled circuit proving the model version with `weightsHash`, or undefined. */
export function bundledCircuit(weightsHash: string): BundledZkCircuit | undefined {
  const h = weightsHash.toLowerCase();
  return BUNDLED_CIRCUITS.find((c) => c.model.weightsHash === h);
}

/** Verification keys (snarkjs vkey JSON) of the bundled circuits, by the weights hash of the model they prove. */
export const DEFAULT_VKEYS: Readonly<Record<string, unknown>> = Object.fromEntries(
  BUNDLED_CIRCUITS.map((c) => [c.model.weightsHash, c.vkey]),
);
