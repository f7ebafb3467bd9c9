import { readFileSync } from "node:fs";
import { join } from "node:path";

import { hexlify, toBeHex, type ContractTransactionReceipt, type Signer } from "ethers";

import ZkVerifierModule from "../../deploy/modules/ZkVerifier.ts";
import {
  circuitSpec,
  commitmentHex,
  encodeInput,
  recordCommitment,
  recordFromBytes,
  recordSalts,
  requestIdOf,
  requestParams,
  toRequest,
  type Request,
  type RequestParams,
  Mode,
} from "@verity-ai/sdk";
import { ROOT } from "../../scripts/zk/artefacts.ts";
import { fixedForward, quantize } from "../../scripts/zk/circuit-generator.ts";
import { CircuitProver, encodingFromManifest } from "../../scripts/zk/descriptor.ts";
import { parseOnnxMlp } from "../../scripts/zk/onnx-graph.ts";
import type {
  BreastCancerMlpGroth16Verifier,
  InferenceCoordinator,
  IrisMlpGroth16Verifier,
  ModelRegistry,
  OperatorStaking,
  VerityTestToken,
  ZkVerifier,
} from "../../typechain-types/index.ts";
import { E18, MIN_STAKE, PRICE, ROYALTY_BPS, testParameters } from "../helpers/fixture.ts";

const IRIS_MODEL = join(ROOT, "models", "iris");
export const IRIS_MANIFEST = JSON.parse(readFileSync(join(IRIS_MODEL, "manifest.json"), "utf8")) as Parameters<
  typeof encodingFromManifest
>[0];
export const IRIS_WEIGHTS_HASH = IRIS_MANIFEST.weightsHash;
/** The iris circuit, made by `npm run zk:setup -- models/iris` like every other. */
export const IRIS_DESCRIPTOR = join(ROOT, "circuits", "iris", "descriptor.json");
export const IRIS_SPEC = circuitSpec(JSON.parse(readFileSync(IRIS_DESCRIPTOR, "utf8")));
/** The generator's fixed-point model of iris: the bigint reference of what the circuit computes. */
export const IRIS_FIXED = quantize(
  parseOnnxMlp(readFileSync(join(IRIS_MODEL, "model.onnx"))),
  encodingFromManifest(IRIS_MANIFEST),
);

/** A private iris record as a requester holds it: measurements, their encoded bytes and the request salt. */
export interface IrisRecord {
  cm: readonly number[];
  /** `int32be-milli-x4` bytes (hex). */
  input: string;
  /** The 32-byte request salt (hex). */
  salt: string;
  /** The fixed-point field values and their derived salts, as the circuit takes them. */
  values: bigint[];
  salts: bigint[];
  /** The field-tree root: the request's inputCommitment. */
  commitment: bigint;
  /** The class the circuit proves (the generator's fixed-point reference). */
  outputClass: number;
}

/** The record of iris measurements `cm` under the request salt `salt`. */
export function irisRecord(cm: readonly number[], salt: bigint): IrisRecord {
  const input = hexlify(encodeInput("int32be-milli-x4", [...cm]));
  const saltHex = toBeHex(salt, 32);
  const values = recordFromBytes(IRIS_SPEC, input);
  return {
    cm,
    input,
    salt: saltHex,
    values,
    salts: recordSalts(IRIS_SPEC, saltHex),
    commitment: BigInt(recordCommitment(IRIS_SPEC, input, saltHex)),
    outputClass: fixedForward(IRIS_FIXED, values).outputClass,
  };
}

let prover: CircuitProver | undefined;
/** A Groth16 proof of the committed iris circuit for a record (the prover is loaded once). */
export function proveIris(r: IrisRecord) {
  prover ??= CircuitProver.load(IRIS_DESCRIPTOR);
  return prover.prove(r.values, r.salts);
}

// A minimal view of what `network.create()` returns that the fixture uses.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Connection = { ethers: any; ignition: any };

export interface ZkDeployment {
  token: VerityTestToken;
  registry: ModelRegistry;
  staking: OperatorStaking;
  coordinator: InferenceCoordinator;
  zk: ZkVerifier;
  irisGroth16: IrisMlpGroth16Verifier;
  /** The diagnosis circuit's generated verifier, deployed and approved (no model registered with it). */
  diagnosisGroth16: BreastCancerMlpGroth16Verifier;
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
 * version 1 pinned to its generated Groth16 verifier, IrisMlpGroth16Verifier), stakes two operators and funds a requester.
 */
export async function deployZk(conn: Connection): Promise<ZkDeployment> {
  const { ethers, ignition } = conn;
  const [admin, treasury, modelOwner, operator, operator2, requester, other] = await ethers.getSigners();
  const d = await ignition.deploy(ZkVerifierModule, { parameters: testParameters(treasury.address) });
  const token = d.token as VerityTestToken;
  const registry = d.registry as ModelRegistry;
  const staking = d.staking as OperatorStaking;
  const coordinator = d.coordinator as InferenceCoordinator;
  const irisGroth16 = d.IrisMlpGroth16Verifier as IrisMlpGroth16Verifier;

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
    diagnosisGroth16: d.BreastCancerMlpGroth16Verifier as BreastCancerMlpGroth16Verifier,
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
 * Opens a private-input ZK request committed to the record, assigned to `d.operator` unless `params`
 * says otherwise (ZK requests name their operator); the input itself is not sent.
 */
export async function openZkRequest(
  d: ZkDeployment,
  record: IrisRecord,
  params: Partial<RequestParams> = {},
): Promise<{ request: Request; requestId: bigint; commitment: bigint; receipt: ContractTransactionReceipt }> {
  const commitment = record.commitment;
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
