import { Wallet, ZeroAddress, keccak256, toUtf8Bytes } from "ethers";
import type { ContractTransactionReceipt, HDNodeWallet, Signer } from "ethers";

import VerityModule from "../../deploy/modules/Verity.ts";
import {
  claimFor,
  requestIdOf,
  requestParams,
  resultDomain,
  signResult,
  toRequest,
  registrationDomain,
  signEnclaveRegistration,
  type Request,
  type RequestParams,
} from "@verity-ai/sdk";
import type {
  DevApprovedMeasurementAttestationVerifier,
  InferenceCoordinator,
  ModelRegistry,
  OperatorStaking,
  TeeVerifier,
  VerityTestToken,
} from "../../typechain-types/index.ts";

export const E18 = 10n ** 18n;
export const MIN_STAKE = 1_000n * E18;
export const PRICE = 10n * E18;
export const ROYALTY_BPS = 2_000n;
export const PROTOCOL_FEE_BPS = 500n;
/** Above the coordinator's maxTimeout (7 days) plus its evidence window (1 day), as staking now requires. */
export const UNBONDING = 9n * 24n * 3_600n;
export const MEASUREMENT = keccak256(toUtf8Bytes("verity-dev-enclave-v1"));
export const WEIGHTS_HASH = keccak256(toUtf8Bytes("iris model bytes"));
export const INPUT_64 = "0x" + "ab".repeat(64);
export const OUTPUT = "0x" + "00".repeat(31) + "01";

// A minimal view of what `network.connect()` returns that the fixtures use.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Connection = { ethers: any; ignition: any };

export interface Deployment {
  token: VerityTestToken;
  registry: ModelRegistry;
  staking: OperatorStaking;
  coordinator: InferenceCoordinator;
  tee: TeeVerifier;
  attestation: DevApprovedMeasurementAttestationVerifier;
  admin: Signer;
  treasury: Signer;
  modelOwner: Signer;
  operator: Signer;
  operator2: Signer;
  requester: Signer;
  other: Signer;
  enclave: HDNodeWallet;
  enclave2: HDNodeWallet;
  modelId: string;
  chainId: bigint;
}

/** Ignition parameters of the test deployments (the modules' own defaults otherwise). */
export function testParameters(treasury: string) {
  return {
    OperatorStaking: { minStake: MIN_STAKE, unbondingPeriod: UNBONDING, beneficiaryShareBps: 5_000n, treasury },
    InferenceCoordinator: { protocolFeeBps: PROTOCOL_FEE_BPS, missedDeadlinePenalty: 100n * E18, treasury },
    TeeVerifier: { approvedMeasurement: MEASUREMENT, equivocationPenalty: 1_000n * E18 },
  };
}

/** Deploys the protocol with Ignition and sets up one model, two staked operators with enclaves and a funded requester. */
export async function deployVerity(conn: Connection): Promise<Deployment> {
  const { ethers, ignition } = conn;
  const [admin, treasury, modelOwner, operator, operator2, requester, other] = await ethers.getSigners();
  const deployed = await ignition.deploy(VerityModule, { parameters: testParameters(treasury.address) });
  const token = deployed.token as VerityTestToken;
  const registry = deployed.registry as ModelRegistry;
  const staking = deployed.staking as OperatorStaking;
  const coordinator = deployed.coordinator as InferenceCoordinator;
  const tee = deployed.tee as TeeVerifier;
  const attestation = deployed.attestation as DevApprovedMeasurementAttestationVerifier;

  for (const s of [modelOwner, operator, operator2, requester, other]) {
    await token.mint(await s.getAddress(), 1_000_000n * E18);
  }
  await registry.connect(modelOwner).registerModel("iris", PRICE, ROYALTY_BPS, 0b10, {
    weightsHash: WEIGHTS_HASH,
    zkVerifier: ZeroAddress,
    uri: "verity://models/iris",
    runtime: "onnx",
    encoding: "int32be-milli-x4/uint256-argmax",
  });
  const modelId = await registry.modelIdOf(await modelOwner.getAddress(), "iris");

  const enclave = Wallet.createRandom();
  const enclave2 = Wallet.createRandom();
  for (const [op, key] of [
    [operator, enclave],
    [operator2, enclave2],
  ] as const) {
    await token.connect(op).approve(await staking.getAddress(), MIN_STAKE);
    await staking.connect(op).stake(MIN_STAKE);
    await registerEnclaveFor(tee, op, key, MEASUREMENT);
  }
  await token.connect(requester).approve(await coordinator.getAddress(), 2n ** 255n);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return {
    token,
    registry,
    staking,
    coordinator,
    tee,
    attestation,
    admin,
    treasury,
    modelOwner,
    operator,
    operator2,
    requester,
    other,
    enclave,
    enclave2,
    modelId,
    chainId,
  };
}

/** Registers `enclave` for `operator` with the enclave key's proof of possession. */
export async function registerEnclaveFor(
  tee: TeeVerifier,
  operator: Signer,
  enclave: HDNodeWallet,
  measurement: string,
  report = "0x",
) {
  const chainId = (await operator.provider!.getNetwork()).chainId;
  const domain = registrationDomain(chainId, await tee.getAddress());
  const keySignature = await signEnclaveRegistration(enclave, domain, await operator.getAddress());
  return tee.connect(operator).registerEnclave(enclave.address, measurement, report, keySignature);
}

/** Opens a request and returns the pinned request and its id, read back from the event. */
export async function openRequest(
  d: Deployment,
  params: Partial<RequestParams> = {},
  from: Signer = d.requester,
): Promise<{ request: Request; requestId: bigint; receipt: ContractTransactionReceipt }> {
  const tx = await d.coordinator
    .connect(from)
    .requestInference(requestParams({ modelId: d.modelId, input: INPUT_64, ...params }));
  const receipt = (await tx.wait())!;
  for (const log of receipt.logs) {
    const parsed = d.coordinator.interface.parseLog(log);
    if (parsed?.name === "InferenceRequested") {
      const request = toRequest(parsed.args.request.toObject());
      return { request, requestId: requestIdOf(request), receipt };
    }
  }
  throw new Error("InferenceRequested not emitted");
}

/**
 * Opens a request through a consumer contract (`SelfRequestingConsumer.request`): a callback must be its
 * requester, so a consumer makes its own requests. Returns the pinned request and its id.
 */
export async function openRequestVia(
  d: Deployment,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  consumer: any,
  params: Partial<RequestParams> = {},
): Promise<{ request: Request; requestId: bigint; receipt: ContractTransactionReceipt }> {
  const tx = await consumer.request(
    await d.coordinator.getAddress(),
    requestParams({ modelId: d.modelId, input: INPUT_64, ...params }),
  );
  const receipt = (await tx.wait())!;
  for (const log of receipt.logs) {
    let parsed;
    try {
      parsed = d.coordinator.interface.parseLog(log);
    } catch {
      continue;
    }
    if (parsed?.name === "InferenceRequested") {
      const request = toRequest(parsed.args.request.toObject());
      return { request, requestId: requestIdOf(request), receipt };
    }
  }
  throw new Error("InferenceRequested not emitted");
}

/** Signs `output` for `request` with `enclave` on behalf of `operator`. */
export async function teeProof(
  d: Deployment,
  request: Request,
  output: string,
  enclave: HDNodeWallet,
  operator: string,
  overrides: { chainId?: bigint; coordinator?: string; requestId?: bigint } = {},
): Promise<string> {
  const domain = resultDomain(
    overrides.chainId ?? d.chainId,
    overrides.coordinator ?? (await d.coordinator.getAddress()),
  );
  const claim = claimFor(overrides.requestId ?? requestIdOf(request), request, output, operator);
  return signResult(enclave, domain, claim);
}
