import { join } from "node:path";

import { expect } from "chai";
import { AbiCoder, ZeroAddress, hexlify, keccak256, toBeHex, zeroPadValue } from "ethers";
import { network } from "hardhat";

import { encodeFields, loadDataset } from "../../scripts/diagnosis/data.ts";
import { ROOT } from "../../scripts/zk/artefacts.ts";
import { CircuitProver, readDescriptor } from "../../scripts/zk/descriptor.ts";
import {
  toRequest,
  discloseFields,
  fieldTree,
  randomSalts,
  classOutput,
  encodeZkProof,
  zkShutdown,
  encodeInput,
  type FieldOpening,
} from "@verity-ai/sdk";
import { E18, PRICE, ROYALTY_BPS } from "../helpers/fixture.ts";
import { deployZk } from "../zk/helpers.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;
const coder = AbiCoder.defaultAbiCoder();

const DESCRIPTOR = join(ROOT, "circuits", "breast-cancer-mlp", "descriptor.json");
const descriptor = readDescriptor(DESCRIPTOR);
const data = loadDataset(ROOT);
const PAYOUT = 500n * E18;
const Status = { None: 0n, Pending: 1n, Approved: 2n, Denied: 3n, Paid: 4n } as const;

/** A malignant and a benign patient record (dataset rows 0 and 19), each with fresh salts. */
const patients = [0, 19].map((row) => {
  const values = encodeFields(data.rows[row]!).map(BigInt);
  const salts = randomSalts(10);
  const tree = fieldTree(values, salts);
  return { row, values, salts, tree, commitment: zeroPadValue(toBeHex(tree.root), 32) };
});
const asStruct = (f: FieldOpening) => ({ ...f, path: f.path as [bigint, bigint, bigint][] });

async function deploy() {
  const d = await deployZk(conn);
  const groth16 = await ethers.deployContract(descriptor.verifier.contract);
  // Governance approves the generated verifier's code before a version may pin it.
  await d.registry.connect(d.admin).setZkVerifierApproval(await groth16.getAddress(), true);
  await d.registry.connect(d.modelOwner).registerModel("breast-cancer", PRICE, ROYALTY_BPS, 0b110, {
    weightsHash: descriptor.model.weightsHash,
    zkVerifier: await groth16.getAddress(),
    uri: "verity://models/breast-cancer-mlp",
    runtime: "onnx",
    encoding: "int32be-fixed-x10/uint256-argmax",
  });
  const modelId = await d.registry.modelIdOf(await d.modelOwner.getAddress(), "breast-cancer");
  const t3 = await ethers.deployContract("PoseidonT3");
  const t5 = await ethers.deployContract("PoseidonT5");
  const disclosure = await ethers.deployContract("FieldDisclosureVerifier", [
    await t3.getAddress(),
    await t5.getAddress(),
  ]);
  const owner = d.other;
  const insurer = await ethers.deployContract("DiagnosisInsurer", [
    await d.coordinator.getAddress(),
    await d.token.getAddress(),
    await disclosure.getAddress(),
    modelId,
    descriptor.commitment.fieldCount,
    PAYOUT,
    await owner.getAddress(),
  ]);
  const addr = await insurer.getAddress();
  await d.token.connect(owner).approve(addr, 100n * E18);
  await insurer.connect(owner).fundCoordinator(100n * E18);
  await d.token.connect(owner).transfer(addr, 2n * PAYOUT); // the payout reserve
  const hospital = d.requester;
  await insurer.connect(owner).setInsured(await hospital.getAddress(), true);
  return { d, insurer, disclosure, hospital, owner, groth16 };
}

type Env = Awaited<ReturnType<typeof deploy>>;

async function openClaim(env: Env, commitment: string) {
  const receipt = (await (
    await env.insurer.connect(env.hospital).openClaim(commitment, await env.d.operator.getAddress())
  ).wait())!;
  const ev = receipt.logs
    .map((l) => env.d.coordinator.interface.parseLog(l))
    .find((e) => e?.name === "InferenceRequested")!;
  return { request: toRequest(ev.args.request.toObject()), requestId: ev.args.requestId as bigint };
}

describe("DiagnosisInsurer (example)", function () {
  this.timeout(120_000);
  const prover = CircuitProver.load(DESCRIPTOR);
  const proofs: { outputClass: bigint; proof: string }[] = [];

  before(async () => {
    for (const p of patients) {
      const { proof, publicSignals } = await prover.prove(p.values, p.salts);
      expect(publicSignals[1]).to.equal(p.tree.root.toString());
      proofs.push({ outputClass: BigInt(publicSignals[0]!), proof: encodeZkProof(proof, BigInt(publicSignals[0]!)) });
    }
    expect(proofs.map((p) => p.outputClass)).to.deep.equal([0n, 1n]); // malignant, benign
  });

  after(async () => {
    await zkShutdown();
  });

  it("approves and pays a claim on a verified malignant diagnosis of its own ZK request, never seeing the record", async () => {
    const env = await networkHelpers.loadFixture(deploy);
    const { d, insurer, hospital } = env;
    const [p] = patients;
    const { request, requestId } = await openClaim(env, p!.commitment);
    expect(request.inputHash).to.equal(p!.commitment);
    expect(request.callback).to.equal(await insurer.getAddress());
    expect(await insurer.claimOf(requestId)).to.deep.equal([
      await hospital.getAddress(),
      PAYOUT,
      Status.Pending,
      p!.commitment,
    ]);

    const output = classOutput(0n);
    await expect(d.coordinator.connect(d.operator).fulfill(request, output, proofs[0]!.proof))
      .to.emit(insurer, "ClaimApproved")
      .withArgs(requestId, await hospital.getAddress(), PAYOUT);
    expect((await insurer.claimOf(requestId)).status).to.equal(Status.Approved);

    const before = await d.token.balanceOf(await hospital.getAddress());
    await expect(insurer.connect(hospital).collect(requestId))
      .to.emit(insurer, "ClaimPaid")
      .withArgs(requestId, await hospital.getAddress(), PAYOUT);
    expect(await d.token.balanceOf(await hospital.getAddress())).to.equal(before + PAYOUT);
    await expect(insurer.connect(hospital).collect(requestId))
      .to.be.revertedWithCustomError(insurer, "InsurerClaimNotApproved")
      .withArgs(requestId, Status.Paid);

    // No transaction or log carries the record, in its request encoding or as ABI words.
    const needles = [
      hexlify(encodeInput("int32be-fixed-x10", p!.values.map(Number))).slice(2),
      coder.encode(["uint256[10]"], [p!.values]).slice(2),
      ...p!.salts.map((s) => coder.encode(["uint256"], [s]).slice(2)),
    ];
    for (let n = 0; n <= (await ethers.provider.getBlockNumber()); n++) {
      for (const hash of (await ethers.provider.getBlock(n))!.transactions) {
        const t = (await ethers.provider.getTransaction(hash))!;
        const r = (await ethers.provider.getTransactionReceipt(hash))!;
        const haystack = [t.data, ...r.logs.flatMap((l) => [l.data, ...l.topics])].join("").toLowerCase();
        for (const needle of needles) expect(haystack).to.not.include(needle);
      }
    }
  });

  it("denies a claim on a verified benign diagnosis; its payout cannot be collected", async () => {
    const env = await networkHelpers.loadFixture(deploy);
    const { d, insurer, hospital } = env;
    const { request, requestId } = await openClaim(env, patients[1]!.commitment);
    await expect(d.coordinator.connect(d.operator).fulfill(request, classOutput(1n), proofs[1]!.proof))
      .to.emit(insurer, "ClaimDenied")
      .withArgs(requestId, await hospital.getAddress(), 1n);
    await expect(insurer.connect(hospital).collect(requestId))
      .to.be.revertedWithCustomError(insurer, "InsurerClaimNotApproved")
      .withArgs(requestId, Status.Denied);
  });

  it("a malignant proof of another record cannot approve the claim: the coordinator refuses it", async () => {
    const env = await networkHelpers.loadFixture(deploy);
    const { d, insurer, groth16 } = env;
    // The claim is for the benign record; the operator offers the malignant record's proof.
    const { request, requestId } = await openClaim(env, patients[1]!.commitment);
    await expect(d.coordinator.connect(d.operator).fulfill(request, classOutput(0n), proofs[0]!.proof))
      .to.be.revertedWithCustomError(groth16, "ZkInvalidProof")
      .withArgs(requestId);
    expect((await insurer.claimOf(requestId)).status).to.equal(Status.Pending);
  });

  it("publishes two disclosed fields checked on chain against the claim's commitment; the rest stay private", async () => {
    const env = await networkHelpers.loadFixture(deploy);
    const { d, insurer, disclosure, hospital } = env;
    const p = patients[0]!;
    const { request, requestId } = await openClaim(env, p.commitment);
    // Not decided yet: nothing to disclose against.
    const opened = discloseFields(p.tree, p.values, p.salts, [0, 3]); // worst_radius, worst_area
    await expect(insurer.discloseFields(requestId, opened.fields.map(asStruct)))
      .to.be.revertedWithCustomError(insurer, "InsurerUnknownClaim")
      .withArgs(requestId);
    await d.coordinator.connect(d.operator).fulfill(request, classOutput(0n), proofs[0]!.proof);

    const tx = insurer.connect(hospital).discloseFields(requestId, opened.fields.map(asStruct));
    await expect(tx).to.emit(insurer, "FieldsDisclosed").withArgs(requestId, [0n, 3n], [p.values[0], p.values[3]]);
    console.log(`      discloseFields (2 of 10 fields) gas: ${(await (await tx).wait())!.gasUsed}`);
    expect(descriptor.input.fields.filter((f) => [0, 3].includes(f.index)).map((f) => f.name)).to.deep.equal([
      "worst_radius",
      "worst_area",
    ]);

    // A wrong value is refused with the disclosure verifier's error.
    const wrong = opened.fields.map(asStruct);
    wrong[1] = { ...wrong[1]!, value: wrong[1]!.value + 1n };
    await expect(insurer.discloseFields(requestId, wrong))
      .to.be.revertedWithCustomError(disclosure, "FieldDisclosureOpeningMismatch")
      .withArgs(3n, p.tree.leaves[3]);
    // Another record's fields do not open this claim's commitment.
    const other = discloseFields(patients[1]!.tree, patients[1]!.values, patients[1]!.salts, [0]);
    await expect(insurer.discloseFields(requestId, other.fields.map(asStruct))).to.be.revertedWithCustomError(
      disclosure,
      "FieldDisclosurePathMismatch",
    );
  });

  it("guards: insured accounts only, a non-zero commitment, the claimant collects, the coordinator delivers", async () => {
    const env = await networkHelpers.loadFixture(deploy);
    const { d, insurer, hospital, owner } = env;
    await expect(insurer.connect(d.operator2).openClaim(patients[0]!.commitment, await d.operator.getAddress()))
      .to.be.revertedWithCustomError(insurer, "InsurerNotInsured")
      .withArgs(await d.operator2.getAddress());
    await expect(
      insurer.connect(hospital).openClaim(zeroPadValue("0x", 32), await d.operator.getAddress()),
    ).to.be.revertedWithCustomError(insurer, "InsurerZeroCommitment");
    const { request, requestId } = await openClaim(env, patients[0]!.commitment);
    await expect(insurer.connect(owner).onInferenceResult(requestId, classOutput(0n)))
      .to.be.revertedWithCustomError(insurer, "ConsumerOnlyCoordinator")
      .withArgs(await owner.getAddress());
    await d.coordinator.connect(d.operator).fulfill(request, classOutput(0n), proofs[0]!.proof);
    await expect(insurer.connect(owner).collect(requestId))
      .to.be.revertedWithCustomError(insurer, "InsurerNotClaimant")
      .withArgs(requestId, await owner.getAddress());
    await expect(insurer.connect(hospital).setPayout(1n)).to.be.revertedWithCustomError(
      insurer,
      "OwnableUnauthorizedAccount",
    );
    await expect(insurer.connect(owner).setPayout(7n)).to.emit(insurer, "PayoutUpdated").withArgs(7n);
    await expect(insurer.connect(owner).setInsured(await hospital.getAddress(), false))
      .to.emit(insurer, "InsuredUpdated")
      .withArgs(await hospital.getAddress(), false);
    await expect(insurer.connect(hospital).openClaim(patients[0]!.commitment, await d.operator.getAddress()))
      .to.be.revertedWithCustomError(insurer, "InsurerNotInsured")
      .withArgs(await hospital.getAddress());
  });

  it("the result callback refuses an unknown or decided request and an output that is not one word", async () => {
    const env = await networkHelpers.loadFixture(deploy);
    const { d, insurer } = env;
    const { requestId } = await openClaim(env, patients[0]!.commitment);
    // The coordinator only ever delivers a 32-byte class for this ZK model: call as the coordinator to
    // reach the defences directly.
    const coordinator = await d.coordinator.getAddress();
    await networkHelpers.impersonateAccount(coordinator);
    await networkHelpers.setBalance(coordinator, E18);
    const asCoordinator = insurer.connect(await ethers.getSigner(coordinator));
    await expect(asCoordinator.onInferenceResult(requestId, "0x" + "00".repeat(31)))
      .to.be.revertedWithCustomError(insurer, "InsurerBadOutput")
      .withArgs(requestId, 31n);
    await expect(asCoordinator.onInferenceResult(requestId + 1n, classOutput(0n)))
      .to.be.revertedWithCustomError(insurer, "InsurerUnknownClaim")
      .withArgs(requestId + 1n);
    await asCoordinator.onInferenceResult(requestId, classOutput(1n));
    await expect(asCoordinator.onInferenceResult(requestId, classOutput(0n)))
      .to.be.revertedWithCustomError(insurer, "InsurerUnknownClaim")
      .withArgs(requestId);
  });

  it("refuses zero addresses at construction", async () => {
    const { d, insurer, disclosure } = await networkHelpers.loadFixture(deploy);
    const factory = await ethers.getContractFactory("DiagnosisInsurer");
    const addresses = [await d.coordinator.getAddress(), await d.token.getAddress(), await disclosure.getAddress()];
    for (const [i, name] of ["coordinator", "payoutToken", "disclosureVerifier"].entries()) {
      const [c, t, v] = addresses.map((a, j) => (j === i ? ZeroAddress : a)) as [string, string, string];
      await expect(factory.deploy(c, t, v, keccak256("0x01"), 10, PAYOUT, await d.other.getAddress()))
        .to.be.revertedWithCustomError(insurer, "InsurerInvalidAddress")
        .withArgs(name);
    }
  });
});
