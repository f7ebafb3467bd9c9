import { ZeroAddress, keccak256 } from "ethers";
import type { ContractTransactionReceipt, HDNodeWallet, Signer } from "ethers";

import { claimFor, recoverResultSigner, requestIdOf, resultDomain, type Request } from "@verity-ai/sdk";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type { Deployment } from "./fixture.ts";
import { PRICE, ROYALTY_BPS, WEIGHTS_HASH, deployVerity, teeProof } from "./fixture.ts";

type SignerKey = "admin" | "treasury" | "modelOwner" | "operator" | "operator2" | "requester" | "other";

/** A deployment whose signers are Hardhat signers (they carry `.address`). */
export type Env = Omit<Deployment, SignerKey> & Record<SignerKey, HardhatEthersSigner>;

/** `deployVerity`, typed with Hardhat signers. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function deployEnv(conn: { ethers: any; ignition: any }): Promise<Env> {
  return (await deployVerity(conn)) as unknown as Env;
}

/** ReentrancyGuardReentrantCall() selector (OpenZeppelin). */
export const REENTRANCY_SELECTOR = "0x3ee5aeb5";

/** Signs `output` with `enclave` and fulfils `request` from `operator`. */
export async function fulfilTee(
  d: Deployment,
  request: Request,
  output: string,
  operator: Signer = d.operator,
  enclave: HDNodeWallet = d.enclave,
  overrides: { gasLimit?: bigint } = {},
) {
  const proof = await teeProof(d, request, output, enclave, await operator.getAddress());
  return d.coordinator.connect(operator).fulfill(request, output, proof, overrides);
}

/** The enclave address the TeeVerifier recovers for `signature` over the claim of `request` (as the coordinator builds it). */
export async function recoveredSigner(
  d: Deployment,
  request: Request,
  output: string,
  operator: string,
  signature: string,
) {
  const domain = resultDomain(d.chainId, await d.coordinator.getAddress());
  return recoverResultSigner(domain, claimFor(requestIdOf(request), request, output, operator), signature);
}

/** Parses the named event of `contract` out of a receipt. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function eventsOf(contract: { interface: any }, receipt: ContractTransactionReceipt, name: string) {
  const out = [];
  for (const log of receipt.logs) {
    try {
      const parsed = contract.interface.parseLog(log);
      if (parsed?.name === name) out.push(parsed);
    } catch {
      // another contract's log
    }
  }
  return out;
}

/** The request the coordinator is expected to pin, for a comparison with the emitted one. */
export function expectedRequest(
  fields: Partial<Request> &
    Pick<
      Request,
      "requester" | "nonce" | "deadline" | "modelId" | "fee" | "royalty" | "protocolFee" | "weightsHash" | "inputHash"
    >,
): Request {
  return {
    version: 1n,
    mode: 1n,
    operator: ZeroAddress,
    callback: ZeroAddress,
    callbackGasLimit: 0n,
    storeOutput: false,
    ...fields,
  };
}

export function hashOf(output: string): string {
  return keccak256(output);
}

/** What `registerModelAs` registers (defaults: the fixture's price and royalty, TEE only, no ZK verifier). */
export interface ModelSpec {
  name: string;
  price?: bigint;
  royaltyBps?: bigint;
  modes?: number;
  zkVerifier?: string;
  weightsHash?: string;
}

/** Registers a model owned by `owner` with one version and returns its id. */
export async function registerModelAs(d: Deployment, owner: Signer, spec: ModelSpec): Promise<string> {
  await d.registry
    .connect(owner)
    .registerModel(spec.name, spec.price ?? PRICE, spec.royaltyBps ?? ROYALTY_BPS, spec.modes ?? 0b10, {
      weightsHash: spec.weightsHash ?? WEIGHTS_HASH,
      zkVerifier: spec.zkVerifier ?? ZeroAddress,
      uri: `verity://models/${spec.name}`,
      runtime: "onnx",
      encoding: "int32be-milli-x4/uint256-argmax",
    });
  return d.registry.modelIdOf(await owner.getAddress(), spec.name);
}

/**
 * Enables ZK mode with a test verifier (`AcceptAllVerifier(2)`) and registers "iris-zk" (TEE + ZK, owned by
 * the fixture's model owner) whose version 1 pins another `AcceptAllVerifier(2)` as its ZK verifier,
 * declaring the fixture's weights hash; governance approves its code first. These accept every proof.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function setupZkModel(d: Deployment, ethers: any) {
  const modeVerifier = await (await ethers.deployContract("AcceptAllVerifier", [2])).getAddress();
  const version = await ethers.deployContract("AcceptAllVerifier", [2]);
  await version.setWeightsHash(WEIGHTS_HASH);
  const versionVerifier: string = await version.getAddress();
  await d.registry.connect(d.admin).setZkVerifierApproval(versionVerifier, true);
  await d.coordinator.connect(d.admin).setVerifier(2, modeVerifier);
  const modelId = await registerModelAs(d, d.modelOwner, {
    name: "iris-zk",
    modes: 0b110,
    zkVerifier: versionVerifier,
  });
  return { modelId, modeVerifier, versionVerifier };
}

/**
 * Deploys a test consumer (`SelfRequestingConsumer`), mints it `funds` and deposits them into its
 * coordinator balance, so it can make its own requests (a callback must be its requester).
 */
export async function deployFundedConsumer(
  d: Deployment,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ethers: any,
  name: string,
  args: unknown[] = [],
  funds: bigint = 1_000n * 10n ** 18n,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<any> {
  const consumer = await ethers.deployContract(name, args);
  await d.token.mint(await consumer.getAddress(), funds);
  await consumer.fund(await d.coordinator.getAddress(), await d.token.getAddress(), funds);
  return consumer;
}
