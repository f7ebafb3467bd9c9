import { expect } from "chai";
import { AbiCoder, ZeroAddress, hexlify, keccak256, zeroPadValue } from "ethers";
import { network } from "hardhat";

import {
  classOutput,
  commitmentHex,
  encodeZkProof,
  FIELD,
  zkShutdown,
  type ZkProofResult,
  Mode,
  operatorShare,
} from "@verity-ai/sdk";
import { PRICE } from "../helpers/fixture.ts";
import { IRIS_WEIGHTS_HASH, deployZk, irisRecord, openZkRequest, proveIris, type IrisRecord } from "./helpers.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;
const coder = AbiCoder.defaultAbiCoder();

const CM = [6.5, 3.0, 5.2, 2.0];
const SALT = 0x5eed_5a17_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0001n;
const REC = irisRecord(CM, SALT);
const X = REC.values;
const CLASS = REC.outputClass;
const OUTPUT = classOutput(CLASS);

describe("ZkVerifier", function () {
  const proofs = new Map<string, ZkProofResult>();
  /** Proofs depend only on (input, salt): cache them across fixtures. */
  async function proofFor(r: IrisRecord): Promise<ZkProofResult> {
    const key = `${r.input}/${r.salt}`;
    let p = proofs.get(key);
    if (!p) {
      p = await proveIris(r);
      proofs.set(key, p);
    }
    return p;
  }
  const fixture = () => deployZk(conn);

  after(async () => {
    await zkShutdown();
  });

  it("serves mode 2 and is the coordinator's ZK verifier; each request pins its version's verifier", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    expect(await d.zk.mode()).to.equal(Mode.ZK);
    expect(await d.irisGroth16.mode()).to.equal(Mode.ZK);
    expect(await d.coordinator.verifierOf(Mode.ZK)).to.equal(await d.zk.getAddress());
    const version = await d.registry.getVersion(d.modelId, 1);
    expect(version.weightsHash).to.equal(IRIS_WEIGHTS_HASH);
    expect(version.zkVerifier).to.equal(await d.irisGroth16.getAddress());
    const { requestId } = await openZkRequest(d, REC);
    expect(await d.coordinator.pinnedVerifierOf(requestId)).to.equal(await d.irisGroth16.getAddress());
  });

  it("a ZK request must name its operator; another operator cannot submit the proof", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    await expect(openZkRequest(d, REC, { operator: ZeroAddress }))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOperatorRequired")
      .withArgs(Mode.ZK);
    const { request, requestId } = await openZkRequest(d, REC);
    const { proof } = await proofFor(REC);
    await expect(d.coordinator.connect(d.operator2).fulfill(request, OUTPUT, encodeZkProof(proof, CLASS)))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotAssignedOperator")
      .withArgs(requestId, await d.operator.getAddress(), await d.operator2.getAddress());
  });

  it("the ZkVerifier routes a claim to the version's verifier, for integrators re-checking a result", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    const { request, requestId } = await openZkRequest(d, REC);
    const { proof } = await proofFor(REC);
    const claim = {
      requestId,
      modelId: request.modelId,
      version: request.version,
      weightsHash: request.weightsHash,
      inputHash: request.inputHash,
      outputHash: keccak256(OUTPUT),
      operator: await d.operator.getAddress(),
    };
    const record = zeroPadValue(await d.irisGroth16.getAddress(), 32);
    expect(await d.zk.verify.staticCall(claim, encodeZkProof(proof, CLASS))).to.equal(record.toLowerCase());
    const other = (CLASS + 1) % 3;
    await expect(
      d.zk.verify.staticCall({ ...claim, outputHash: keccak256(classOutput(other)) }, encodeZkProof(proof, other)),
    )
      .to.be.revertedWithCustomError(d.irisGroth16, "ZkInvalidProof")
      .withArgs(requestId);
    await expect(d.zk.verify.staticCall({ ...claim, version: 2 }, encodeZkProof(proof, CLASS)))
      .to.be.revertedWithCustomError(d.zk, "ZkNoVerifier")
      .withArgs(request.modelId, 2);
  });

  it("fulfils a private-input request with a proof; the input never appears in calldata or logs", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    const operator = await d.operator.getAddress();
    const { request, requestId, commitment, receipt: requested } = await openZkRequest(d, REC);
    expect(request.inputHash).to.equal(commitmentHex(commitment));
    const [event] = requested.logs
      .map((l) => d.coordinator.interface.parseLog(l))
      .filter((e) => e?.name === "InferenceRequested");
    expect(event!.args.input).to.equal("0x");

    const { proof, publicSignals } = await proofFor(REC);
    expect(publicSignals).to.deep.equal([String(CLASS), commitment.toString()]);
    const before = await d.coordinator.balanceOf(operator);
    const tx = d.coordinator.connect(d.operator).fulfill(request, OUTPUT, encodeZkProof(proof, CLASS));
    await expect(tx)
      .to.emit(d.coordinator, "InferenceFulfilled")
      .withArgs(requestId, operator, keccak256(OUTPUT), zeroPadValue(await d.irisGroth16.getAddress(), 32));
    const fulfilled = (await (await tx).wait())!;
    // Regression guard: the first fulfil pays for new balance slots (steady state ≈ 256k, see bench/zk.ts).
    expect(fulfilled.gasUsed).to.be.lessThan(340_000n);
    expect(await d.coordinator.checkOutput(requestId, OUTPUT)).to.equal(true);
    expect(await d.coordinator.balanceOf(operator)).to.equal(before + operatorShare(request));
    expect(request.fee).to.equal(PRICE);
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(request.royalty);

    // No transaction or log of the whole chain carries the input, in its request encoding or as ABI words.
    const needles = [
      hexlify(REC.input).slice(2),
      coder.encode(["uint256[4]"], [X]).slice(2),
      coder.encode(["uint256"], [SALT]).slice(2),
      ...REC.salts.map((s) => coder.encode(["uint256"], [s]).slice(2)),
    ];
    const latest = await ethers.provider.getBlockNumber();
    let scanned = 0;
    for (let n = 0; n <= latest; n++) {
      const block = await ethers.provider.getBlock(n, true);
      for (const hash of block!.transactions) {
        const t = (await ethers.provider.getTransaction(hash))!;
        const r = (await ethers.provider.getTransactionReceipt(hash))!;
        const haystack = [t.data, ...r.logs.flatMap((l) => [l.data, ...l.topics])].join("").toLowerCase();
        for (const needle of needles) expect(haystack).to.not.include(needle);
        scanned++;
      }
    }
    expect(scanned).to.be.greaterThan(10);
  });

  it("rejects a proof whose points were tampered with", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    const { request, requestId } = await openZkRequest(d, REC);
    const { proof } = await proofFor(REC);
    const bad = { ...proof, pi_c: [proof.pi_a[0]!, proof.pi_a[1]!, "1"] };
    await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, encodeZkProof(bad, CLASS)))
      .to.be.revertedWithCustomError(d.irisGroth16, "ZkInvalidProof")
      .withArgs(requestId);
    const swapped = { ...proof, pi_a: [proof.pi_c[0]!, proof.pi_c[1]!, "1"], pi_c: proof.pi_a };
    await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, encodeZkProof(swapped, CLASS)))
      .to.be.revertedWithCustomError(d.irisGroth16, "ZkInvalidProof")
      .withArgs(requestId);
  });

  it("rejects a proof made for another request's commitment", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    const { request, requestId } = await openZkRequest(d, REC);
    // Same input, other salt: a valid proof, but of another commitment.
    const { proof } = await proofFor(irisRecord(CM, SALT + 1n));
    await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, encodeZkProof(proof, CLASS)))
      .to.be.revertedWithCustomError(d.irisGroth16, "ZkInvalidProof")
      .withArgs(requestId);
  });

  it("rejects a proof for another model version: each request is checked by the verifier its version pinned", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    // Version 2 of the model comes with another circuit (here: another verification key), approved.
    const other = await ethers.deployContract("OtherKeyGroth16Verifier");
    await d.registry.connect(d.admin).setZkVerifierApproval(await other.getAddress(), true);
    await d.registry.connect(d.modelOwner).publishVersion(d.modelId, {
      weightsHash: IRIS_WEIGHTS_HASH,
      zkVerifier: await other.getAddress(),
      uri: "verity://models/iris-v2",
      runtime: "onnx",
      encoding: "int32be-milli-x4/uint256-argmax",
    });
    const v1 = await openZkRequest(d, REC, { version: 1 });
    const v2 = await openZkRequest(d, REC, { version: 2 });
    expect(v2.request.version).to.equal(2n);
    expect(await d.coordinator.pinnedVerifierOf(v2.requestId)).to.equal(await other.getAddress());
    expect(await d.coordinator.pinnedVerifierOf(v1.requestId)).to.equal(await d.irisGroth16.getAddress());
    // A valid proof of version 1's circuit, for the same input and salt, does not pass version 2's key.
    const { proof } = await proofFor(REC);
    await expect(d.coordinator.connect(d.operator).fulfill(v2.request, OUTPUT, encodeZkProof(proof, CLASS)))
      .to.be.revertedWithCustomError(other, "ZkInvalidProof")
      .withArgs(v2.requestId);
    await expect(d.coordinator.connect(d.operator).fulfill(v1.request, OUTPUT, encodeZkProof(proof, CLASS)))
      .to.emit(d.coordinator, "InferenceFulfilled")
      .withArgs(
        v1.requestId,
        await d.operator.getAddress(),
        keccak256(OUTPUT),
        zeroPadValue(await d.irisGroth16.getAddress(), 32),
      );
  });

  it("rejects a tampered output: bytes that differ from the proven class, or a proven class that was changed", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    const { request, requestId } = await openZkRequest(d, REC);
    const { proof } = await proofFor(REC);
    const other = (CLASS + 1) % 3;
    await expect(d.coordinator.connect(d.operator).fulfill(request, classOutput(other), encodeZkProof(proof, CLASS)))
      .to.be.revertedWithCustomError(d.irisGroth16, "ZkOutputMismatch")
      .withArgs(requestId, CLASS, keccak256(classOutput(other)));
    await expect(d.coordinator.connect(d.operator).fulfill(request, classOutput(other), encodeZkProof(proof, other)))
      .to.be.revertedWithCustomError(d.irisGroth16, "ZkInvalidProof")
      .withArgs(requestId);
  });

  it("refuses a commitment outside the field at request time; the verifier rejects it and malformed proof bytes too", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    const { proof } = await proofFor(REC);
    const wrong = zeroPadValue("0x" + FIELD.toString(16), 32);
    const params = {
      modelId: d.modelId,
      version: 0,
      mode: Mode.ZK,
      operator: await d.operator.getAddress(),
      callback: ZeroAddress,
      callbackGasLimit: 0,
      storeOutput: false,
      timeout: 3600,
      tip: 0n,
      maxFee: 0n,
      inputCommitment: wrong,
      input: "0x",
    };
    // Such a request could never be proven: the coordinator refuses it before any fee is locked.
    await expect(d.coordinator.connect(d.requester).requestInference(params))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorZkInputUnprovable")
      .withArgs(0n, wrong);

    const { request: ok, requestId: okId } = await openZkRequest(d, REC);
    const claim = {
      requestId: okId,
      modelId: ok.modelId,
      version: ok.version,
      weightsHash: ok.weightsHash,
      inputHash: wrong,
      outputHash: keccak256(OUTPUT),
      operator: await d.operator.getAddress(),
    };
    // The verifier's own checks still hold when it is called directly.
    await expect(d.irisGroth16.verify(claim, encodeZkProof(proof, CLASS)))
      .to.be.revertedWithCustomError(d.irisGroth16, "ZkCommitmentOutOfField")
      .withArgs(okId, wrong);
    const otherWeights = keccak256("0x1234");
    await expect(d.irisGroth16.verify({ ...claim, weightsHash: otherWeights }, encodeZkProof(proof, CLASS)))
      .to.be.revertedWithCustomError(d.irisGroth16, "ZkWeightsMismatch")
      .withArgs(okId, otherWeights, IRIS_WEIGHTS_HASH);
    expect(await d.irisGroth16.weightsHash()).to.equal(IRIS_WEIGHTS_HASH);
    const short = encodeZkProof(proof, CLASS).slice(0, -64);
    await expect(d.coordinator.connect(d.operator).fulfill(ok, OUTPUT, short))
      .to.be.revertedWithCustomError(d.irisGroth16, "ZkMalformedProof")
      .withArgs(okId, 8 * 32);
  });

  it("refuses a ZK request for a version that has no ZK verifier", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    await d.registry.connect(d.modelOwner).registerModel("iris-no-circuit", PRICE, 0, 0b100, {
      weightsHash: IRIS_WEIGHTS_HASH,
      zkVerifier: ZeroAddress,
      uri: "verity://models/iris",
      runtime: "onnx",
      encoding: "int32be-milli-x4/uint256-argmax",
    });
    const modelId = await d.registry.modelIdOf(await d.modelOwner.getAddress(), "iris-no-circuit");
    await expect(openZkRequest({ ...d, modelId }, REC))
      .to.be.revertedWithCustomError(d.registry, "RegistryNoZkVerifier")
      .withArgs(modelId, 1);
  });

  it("refuses a zero registry at construction", async () => {
    const d = await networkHelpers.loadFixture(fixture);
    const factory = await ethers.getContractFactory("ZkVerifier");
    await expect(factory.deploy(ZeroAddress))
      .to.be.revertedWithCustomError(d.zk, "ZkInvalidAddress")
      .withArgs("registry");
  });
});
