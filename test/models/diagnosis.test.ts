import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { DIAGNOSIS_FIELDS, encodeFields, loadDataset } from "../../scripts/diagnosis/data.ts";
import { ROOT } from "../../scripts/zk/artefacts.ts";
import { decodeOutput, encodeInput } from "@verity-ai/sdk";
import { Executor, ModelStore } from "../../worker/models/index.ts";

const MODEL_DIR = join(ROOT, "models", "breast-cancer-mlp");
const FILES = ["model.onnx", "manifest.json", "training.json", "README.md"];
const training = JSON.parse(readFileSync(join(MODEL_DIR, "training.json"), "utf8")) as {
  model: { weightsHash: string };
  split: { heldOutIndices: number[]; trainSize: number };
  accuracy: { heldOut: number; heldOutCorrect: number; heldOutConfusion: number[][] };
};

describe("breast-cancer-mlp (bundled diagnosis model)", function () {
  this.timeout(120_000);
  const data = loadDataset(ROOT);

  it("retraining reproduces the committed model, manifest, training record and model card byte for byte", () => {
    const out = mkdtempSync(join(tmpdir(), "verity-train-diagnosis-"));
    try {
      execFileSync(process.execPath, [join(ROOT, "scripts", "train-diagnosis.ts"), "--out", out], { cwd: ROOT });
      for (const f of FILES) {
        expect(readFileSync(join(out, f)).equals(readFileSync(join(MODEL_DIR, f))), f).to.equal(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("holds out a stratified quarter of each class (53 malignant, 89 benign) disjoint from training", () => {
    const held = training.split.heldOutIndices;
    expect(held).to.have.length(142);
    expect(new Set(held).size).to.equal(142);
    expect(held.filter((i) => data.classes[i] === 0)).to.have.length(53);
    expect(held.filter((i) => data.classes[i] === 1)).to.have.length(89);
    expect(training.split.trainSize + held.length).to.equal(569);
  });

  it("onnxruntime reaches the recorded held-out accuracy (≥ 95 %) and confusion matrix", async () => {
    const executor = new Executor(await ModelStore.open(join(ROOT, "models")));
    try {
      const confusion = [
        [0, 0],
        [0, 0],
      ];
      for (const i of training.split.heldOutIndices) {
        const bytes = encodeInput("int32be-fixed-x10", encodeFields(data.rows[i]!));
        const predicted = decodeOutput("uint256-argmax", (await executor.run(training.model.weightsHash, bytes)).output);
        confusion[data.classes[i]!]![Number(predicted)]!++;
      }
      expect(confusion).to.deep.equal(training.accuracy.heldOutConfusion);
      expect(confusion[0]![0]! + confusion[1]![1]!).to.equal(training.accuracy.heldOutCorrect);
      expect(training.accuracy.heldOutCorrect / 142).to.equal(training.accuracy.heldOut);
      expect(training.accuracy.heldOut).to.be.at.least(0.95);
    } finally {
      await executor.close();
    }
  });

  it("encodes each field as round(value × scale) and refuses a value outside [0, 2^bits)", () => {
    const row = data.rows[0]!;
    expect(encodeFields(row)).to.deep.equal([25380, 1733, 18460, 20190, 16220, 66560, 711900, 265400, 4601, 11890]);
    const manifest = JSON.parse(readFileSync(join(MODEL_DIR, "manifest.json"), "utf8")) as {
      input: { fields: { name: string; scale: number; bits: number }[] };
    };
    expect(manifest.input.fields.map((f) => [f.name, f.scale, f.bits])).to.deep.equal(
      DIAGNOSIS_FIELDS.map((f) => [f.name, f.scale, f.bits]),
    );
    const big = row.slice();
    big[23] = 13_107.2; // worst area × 10 = 2^17
    expect(() => encodeFields(big)).to.throw(RangeError, "worst_area = 13107.2 is outside [0, 2^17)");
    const negative = row.slice();
    negative[20] = -0.001;
    expect(() => encodeFields(negative)).to.throw(RangeError, "worst_radius");
  });
});
