import { getAddress } from "ethers";

/** Addresses of one Verity deployment. */
export interface Deployment {
  chainId: number;
  token: string;
  registry: string;
  staking: string;
  coordinator: string;
  tee: string;
  attestation: string;
  /** Present once the ZK mode is deployed: the ZkVerifier, installed as the coordinator's mode-2 verifier. */
  zk?: string;
  /**
   * The generated circuits' Groth16 verifiers, by contract name (a circuit descriptor's
   * `verifier.contract`, e.g. "IrisMlpGroth16Verifier", "BreastCancerMlpGroth16Verifier"; the SDK's
   * `bundledCircuit(weightsHash).verifier.contract` for a bundled model).
   */
  zkVerifiers?: Record<string, string>;
  /** Block the deployment started in: event queries (the SDK's, the node's scan) start here. */
  startBlock?: number;
  /** `ABI_VERSION` of the contracts deployed. */
  abiVersion?: string;
}

const IGNITION_KEYS: Record<keyof Omit<Deployment, "chainId" | "startBlock" | "abiVersion" | "zkVerifiers">, string> = {
  token: "PaymentToken#VerityTestToken",
  registry: "ModelRegistry#ModelRegistry",
  staking: "OperatorStaking#OperatorStaking",
  coordinator: "InferenceCoordinator#InferenceCoordinator",
  tee: "TeeVerifier#TeeVerifier",
  attestation: "TeeVerifier#DevApprovedMeasurementAttestationVerifier",
  zk: "ZkVerifier#ZkVerifier",
};

/** Builds a `Deployment` from Ignition's `deployed_addresses.json` map. */
export function fromIgnitionAddresses(chainId: number, addresses: Record<string, string>): Deployment {
  const out: Record<string, unknown> = { chainId };
  for (const [key, future] of Object.entries(IGNITION_KEYS)) {
    const value = addresses[future];
    if (value === undefined) {
      if (key === "zk") continue;
      throw new Error(`deployment has no address for ${future} (needed for "${key}"): deploy the Verity module first`);
    }
    out[key] = getAddress(value);
  }
  const generated = Object.entries(addresses).filter(([future]) => /^ZkVerifier#\w+Groth16Verifier$/.test(future));
  if (generated.length > 0)
    out.zkVerifiers = Object.fromEntries(generated.map(([future, a]) => [future.split("#")[1]!, getAddress(a)]));
  return out as unknown as Deployment;
}

/** A `Deployment` from parsed JSON: either a `Deployment` object or Ignition's deployed_addresses.json map. */
export function parseDeployment(json: Record<string, unknown>, chainId?: number, source = "deployment"): Deployment {
  if (typeof json.coordinator === "string") {
    const d = json as unknown as Deployment;
    for (const key of ["token", "registry", "staking", "coordinator", "tee", "attestation"] as const) {
      if (typeof d[key] !== "string") throw new Error(`${source} is missing "${key}": give every contract's address`);
    }
    return d;
  }
  if (chainId === undefined) throw new Error(`${source} is an Ignition address map: the chain id is needed too`);
  return fromIgnitionAddresses(chainId, json as Record<string, string>);
}

/** Chain ids of local development chains (Hardhat, Ganache/Geth dev): the only ones development contracts and attestation accept. */
export const LOCAL_CHAIN_IDS: readonly number[] = [31337, 1337];

/** Whether `chainId` is a local development chain. */
export const isLocalChain = (chainId: number | bigint): boolean => LOCAL_CHAIN_IDS.includes(Number(chainId));
