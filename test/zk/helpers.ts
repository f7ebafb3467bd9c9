import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { ContractTransactionReceipt, Signer } from "ethers";

import ZkVerifierModule from "../../deploy/modules/ZkVerifier.ts";
import {
  commitmentHex,
  irisCommitment,
  requestIdOf,
  requestParams,
  toRequest,
  type Request,
  type RequestParams,
  Mode,
} from "@verity-ai/sdk";
import { IRIS_ZK } from "../../scripts/zk/paths.ts";
import type {
  InferenceCoordinator,
  IrisGroth16Verifier,
  ModelRegistry,
  OperatorStaking,
  PoseidonT6,
  VerityTestToken,
  ZkVerifier,
} from "../../typechain-types/index.ts";
import { E18, MIN_STAKE, PRICE, ROYALTY_BPS, testParameters } from "../helpers/fixture.ts";

export const IRIS_MANIFEST = JSON.parse(readFileSync(join(IRIS_ZK.training, "..", "manifest.json"), "utf8")) as {
  weightsHash: string;
};
export const IRIS_WEIGHTS_HASH = IRIS_MANIFEST.weightsHash;

// A minimal view of what `network.create()` returns that the fixture uses.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Connection = { ethers: any; ignition: any };

export interface ZkDeployment {
  token: VerityTestToken;
  registry: ModelRegistry;
  staking: OperatorStaking;
  coordinator: InferenceCoordinator;
  zk: ZkVerifier;
  irisGroth16: IrisGroth16Verifier;
  poseidon: PoseidonT6;
  admin: Signer;
  modelOwner: Signer;
  operator: Signer;
  operator2: Signer;
  requester: Signer;
  other: Signer;
  modelId: string;
}

/**
 * Deploys the protocol plus ZK mode with Ignition, registers the real iris model (modes TEE | ZK,
 * version 1 pinned to the generated Groth16 verifier), stakes two operators and funds a requester.
 */
export async function deployZk(conn: Connection): Promise<ZkDeployment> {
  const { ethers, ignition } = conn;
  const [admin, treasury, modelOwner, operator, operator2, requester, other] = await ethers.getSigners();
  const d = await ignition.deploy(ZkVerifierModule, { parameters: testParameters(treasury.address) });
  const token = d.token as VerityTestToken;
  const registry = d.registry as ModelRegistry;
  const staking = d.staking as OperatorStaking;
  const coordinator = d.coordinator as InferenceCoordinator;
  const irisGroth16 = d.irisGroth16 as IrisGroth16Verifier;

  for (const s of [modelOwner, operator, operator2, requester, other]) await token.mint(s.address, 1_000_000n * E18);
  await registry.connect(modelOwner).registerModel("iris", PRICE, ROYALTY_BPS, 0b110, {
    weightsHash: IRIS_WEIGHTS_HASH,
    zkVerifier: await irisGroth16.getAddress(),
    uri: "verity://models/iris",
    runtime: "onnx",
    encoding: "int32be-milli-x4/uint256-argmax",
  });
  const modelId = await registry.modelIdOf(modelOwner.address, "iris");
  for (const op of [operator, operator2]) {
    await token.connect(op).approve(await staking.getAddress(), MIN_STAKE);
    await staking.connect(op).stake(MIN_STAKE);
  }
  await token.connect(requester).approve(await coordinator.getAddress(), 2n ** 255n);
  return {
    token,
    registry,
    staking,
    coordinator,
    zk: d.zk as ZkVerifier,
    irisGroth16,
    poseidon: d.poseidon as PoseidonT6,
    admin,
    modelOwner,
    operator,
    operator2,
    requester,
    other,
    modelId,
  };
}

/**
 * Opens a private-input ZK request committed to (x, salt), assigned to `d.operator` unless `params`
 * says otherwise (ZK requests name their operator); the input itself is not sent.
 */
export async function openZkRequest(
  d: ZkDeployment,
  x: readonly bigint[],
  salt: bigint,
  params: Partial<RequestParams> = {},
): Promise<{ request: Request; requestId: bigint; commitment: bigint; receipt: ContractTransactionReceipt }> {
  const commitment = await irisCommitment(x, salt);
  const tx = await d.coordinator.connect(d.requester).requestInference(
    requestParams({
      modelId: d.modelId,
      mode: Mode.ZK,
      inputCommitment: commitmentHex(commitment),
      input: "0x",
      operator: await d.operator.getAddress(),
      ...params,
    }),
  );
  const receipt = (await tx.wait())!;
  for (const log of receipt.logs) {
    const parsed = d.coordinator.interface.parseLog(log);
    if (parsed?.name === "InferenceRequested") {
      const request = toRequest(parsed.args.request.toObject());
      return { request, requestId: requestIdOf(request), commitment, receipt };
    }
  }
  throw new Error("InferenceRequested not emitted");
}
