import { readFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";
import { keccak256, zeroPadValue } from "ethers";
import { network } from "hardhat";

import { encodeFields, loadDataset } from "../../scripts/diagnosis/data.ts";
import { ROOT, groth16VerifierSource } from "../../scripts/zk/artefacts.ts";
import { CircuitProver, artefactPath, readDescriptor, type Groth16Proof } from "../../scripts/zk/descriptor.ts";
import {
  requestIdOf,
  requestParams,
  toRequest,
  Mode,
  fieldTree,
  randomSalts,
  FIELD,
  classOutput,
  commitmentHex,
  encodeZkProof,
  groth16Calldata,
  zkShutdown,
} from "@verity-ai/sdk";
import type { BreastCancerMlpGroth16Verifier } from "../../typechain-types/index.ts";
import { PRICE, ROYALTY_BPS } from "../helpers/fixture.ts";
import { deployZk } from "./helpers.ts";

const DESCRIPTOR = join(ROOT, "circuits", "breast-cancer-mlp", "descriptor.json");
const descriptor = readDescriptor(DESCRIPTOR);
const conn = await network.create();
const { ethers } = conn;
const data = loadDataset(ROOT);
const training = JSON.parse(readFileSync(join(ROOT, "models", "breast-cancer-mlp", "training.json"), "utf8")) as {
  split: { heldOutIndices: number[] };
};

interface Proven {
  x: bigint[];
  salts: bigint[];
  outputClass: bigint;
  commitment: bigint;
  proof: Groth16Proof;
}

describe("BreastCancerMlpGroth16Verifier (generated)", function () {
  this.timeout(300_000);
  let verifier: BreastCancerMlpGroth16Verifier;
  const proven: Proven[] = [];

  before(async () => {
    verifier = (await ethers.deployContract(
      "BreastCancerMlpGroth16Verifier",
    )) as unknown as BreastCancerMlpGroth16Verifier;
    // The first held-out malignant and benign rows, proved with one warm prover (times are printed only).
    const prover = CircuitProver.load(DESCRIPTOR);
    const times: number[] = [];
    for (const c of [0, 1, 0, 1, 0]) {
      const i = training.split.heldOutIndices.find((r) => data.classes[r] === c)!;
      const x = encodeFields(data.rows[i]!).map(BigInt);
      const salts = randomSalts(10);
      const t0 = performance.now();
      const { proof, publicSignals } = await prover.prove(x, salts);
      times.push(Math.round(performance.now() - t0));
      if (proven.length < 2) {
        proven.push({ x, salts, outputClass: BigInt(publicSignals[0]!), commitment: BigInt(publicSignals[1]!), proof });
      }
    }
    console.log(`      prove times ${times.join(", ")} ms (the first one builds the witness calculator)`);
  });

  after(async () => {
    await zkShutdown();
  });

  it("is the verifier the generator writes from the committed vkey, with 2 classes, mode 2", async () => {
    const source = readFileSync(join(ROOT, "contracts", "generated", "BreastCancerMlpGroth16Verifier.sol"), "utf8");
    const header = source.split("\n")[1]! + "\n";
    expect(
      await groth16VerifierSource(
        artefactPath(DESCRIPTOR, descriptor, "vkey"),
        2,
        "BreastCancerMlpGroth16Verifier",
        descriptor.model.weightsHash,
        header,
      ),
    ).to.equal(source);
    expect(await verifier.classes()).to.equal(2n);
    expect(await verifier.mode()).to.equal(2n);
  });

  it("accepts real proofs of both diagnoses and rejects any other class or commitment", async () => {
    expect(proven.map((p) => p.outputClass)).to.deep.equal([0n, 1n]);
    for (const p of proven) {
      expect(p.commitment).to.equal(fieldTree(p.x, p.salts).root);
      const { a, b, c } = groth16Calldata(p.proof);
      expect(await verifier.verifyProof(a, b, c, [p.outputClass, p.commitment])).to.equal(true);
      expect(await verifier.verifyProof(a, b, c, [1n - p.outputClass, p.commitment])).to.equal(false);
      expect(await verifier.verifyProof(a, b, c, [2n, p.commitment])).to.equal(false);
      expect(await verifier.verifyProof(a, b, c, [p.outputClass, p.commitment + 1n])).to.equal(false);
      expect(await verifier.verifyProof(a, b, c, [p.outputClass, p.commitment + FIELD])).to.equal(false);
      // The same record under other salts is another commitment: the proof does not carry over.
      expect(await verifier.verifyProof(a, b, c, [p.outputClass, fieldTree(p.x, randomSalts(10)).root])).to.equal(
        false,
      );
    }
  });

  it("verify(claim, proof) returns its address for the proven class; gas of the check", async () => {
    const p = proven[1]!;
    const claim = {
      requestId: 7n,
      modelId: keccak256("0x01"),
      version: 1,
      weightsHash: descriptor.model.weightsHash,
      inputHash: commitmentHex(p.commitment),
      outputHash: keccak256(classOutput(p.outputClass)),
      operator: "0x00000000000000000000000000000000000000aa",
    };
    const bytes = encodeZkProof(p.proof, p.outputClass);
    expect(await verifier.verify(claim, bytes)).to.equal(zeroPadValue(await verifier.getAddress(), 32));
    await expect(verifier.verify({ ...claim, outputHash: keccak256(classOutput(0n)) }, bytes))
      .to.be.revertedWithCustomError(verifier, "ZkOutputMismatch")
      .withArgs(7n, 1n, keccak256(classOutput(0n)));
    const gas = await verifier.verify.estimateGas(claim, bytes);
    console.log(`      verify(claim, proof) as a transaction: ${gas} gas`);
    expect(gas).to.be.lessThan(260_000n);
  });

  it("a private-input diagnosis request is fulfilled through the coordinator with a proof (fulfillZk gas ≤ 260,000)", async () => {
    const d = await deployZk(conn);
    await d.registry.connect(d.admin).setZkVerifierApproval(await verifier.getAddress(), true);
    await d.registry.connect(d.modelOwner).registerModel("breast-cancer", PRICE, ROYALTY_BPS, 0b110, {
      weightsHash: descriptor.model.weightsHash,
      zkVerifier: await verifier.getAddress(),
      uri: "verity://models/breast-cancer-mlp",
      runtime: "onnx",
      encoding: "int32be-fixed-x10/uint256-argmax",
    });
    const modelId = await d.registry.modelIdOf(await d.modelOwner.getAddress(), "breast-cancer");
    const used: bigint[] = [];
    for (const p of proven) {
      const tx = await d.coordinator.connect(d.requester).requestInference(
        requestParams({
          modelId,
          mode: Mode.ZK,
          inputCommitment: commitmentHex(p.commitment),
          input: "0x",
          operator: await d.operator.getAddress(),
        }),
      );
      const log = (await tx.wait())!.logs
        .map((l) => d.coordinator.interface.parseLog(l))
        .find((e) => e?.name === "InferenceRequested")!;
      const request = toRequest(log.args.request.toObject());
      const output = classOutput(p.outputClass);
      const fulfil = d.coordinator.connect(d.operator).fulfill(request, output, encodeZkProof(p.proof, p.outputClass));
      await expect(fulfil)
        .to.emit(d.coordinator, "InferenceFulfilled")
        .withArgs(
          requestIdOf(request),
          await d.operator.getAddress(),
          keccak256(output),
          zeroPadValue(await verifier.getAddress(), 32),
        );
      used.push((await (await fulfil).wait())!.gasUsed);
      expect(await d.coordinator.checkOutput(requestIdOf(request), output)).to.equal(true);
    }
    console.log(`      fulfillZk gas: first ${used[0]}, steady state ${used[1]}`);
    expect(used[1]).to.be.lessThan(260_000n);
  });
});
