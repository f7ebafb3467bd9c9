/**
 * Train the bundled breast-cancer diagnosis model and write models/breast-cancer-mlp/{model.onnx,
 * manifest.json, training.json}. Deterministic: a fixed seed drives the split and the initialisation,
 * so reruns give identical bytes.
 *   node scripts/train-diagnosis.ts [--out <dir>]     (default models/breast-cancer-mlp)
 *
 * The model reads the ten "worst" nuclear measurements as fixed-point integers (round(value × scale),
 * per-field scales in the manifest's input.fields) and outputs two logits (0 malignant, 1 benign).
 * Each field's standardisation and scale are folded into the first layer, so the ONNX graph's input
 * is the encoded integers themselves — the same numbers the ZK circuit commits to and reads.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { parseManifest, weightsHashOf, type ManifestInput } from "@verity-ai/sdk";
import { DATASET_FILE, DIAGNOSIS_FIELDS, encodeFields, loadDataset, proportionalSplit } from "./diagnosis/data.ts";
import {
  fitStandardisation,
  foldStandardisation,
  predict,
  standardise,
  toFloat32,
  train,
  type MlpWeights,
  type TrainOptions,
} from "./iris/mlp.ts";
import { exportMlp } from "./iris/onnx-export.ts";

const SEED = 2026;
const HELD_OUT_FRACTION = 0.25;
const OPTIONS: TrainOptions = {
  hidden: 4,
  classes: 2,
  epochs: 2000,
  learningRate: 0.05,
  momentum: 0.9,
  l2: 1e-3,
  seed: SEED + 1,
};

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { values: args } = parseArgs({ options: { out: { type: "string" } } });
const outDir = args.out ?? join(root, "models", "breast-cancer-mlp");

const data = loadDataset(root);
const datasetSha256 =
  "0x" +
  createHash("sha256")
    .update(await readFile(join(root, DATASET_FILE)))
    .digest("hex");
const encoded = data.rows.map((r) => encodeFields(r));
const split = proportionalSplit(data.classes, HELD_OUT_FRACTION, SEED);
const pick = <T>(rows: readonly T[], idx: number[]) => idx.map((i) => rows[i]!);
const trainX = pick(encoded, split.train);
const trainY = pick(data.classes, split.train);
const heldX = pick(encoded, split.heldOut);
const heldY = pick(data.classes, split.heldOut);

// Standardise the encoded integers (mean / std of the training rows), train, fold back.
const scaler = fitStandardisation(trainX);
const { weights, losses } = train(
  trainX.map((x) => standardise(x, scaler)),
  trainY,
  OPTIONS,
);
const exported = toFloat32(foldStandardisation(weights, scaler));

/** confusion[actual][predicted] of the exported float32 weights (what the ONNX model computes). */
function confusion(w: MlpWeights, xs: readonly number[][], ys: readonly number[]): number[][] {
  const m = data.labels.map(() => data.labels.map(() => 0));
  xs.forEach((x, i) => m[ys[i]!]![predict(w, x.map(Math.fround))]!++);
  return m;
}
const correct = (m: number[][]) => m.reduce((s, row, i) => s + row[i]!, 0);
const heldConfusion = confusion(exported, heldX, heldY);
const trainConfusion = confusion(exported, trainX, trainY);
const heldOutAccuracy = correct(heldConfusion) / heldX.length;
const trainAccuracy = correct(trainConfusion) / trainX.length;
if (heldOutAccuracy < 0.95)
  throw new Error(`held-out accuracy ${heldOutAccuracy} is below 95 %: retune before committing`);

const fieldNames = DIAGNOSIS_FIELDS.map((f) => f.name);
const model = exportMlp(exported, {
  inputName: "input",
  outputName: "logits",
  producerName: "verity scripts/train-diagnosis.ts",
  docString:
    "Breast-cancer diagnosis 10 → 4 (ReLU) → 2; input: the ten 'worst' nuclear measurements as fixed-point " +
    "integers round(value × scale); output: logits (0 malignant, 1 benign).",
  metadata: {
    labels: data.labels.join(","),
    features: fieldNames.join(","),
    scales: DIAGNOSIS_FIELDS.map((f) => f.scale).join(","),
  },
});
const weightsHash = weightsHashOf(model);

const manifest: ManifestInput & { input: { fields: unknown[] } } = {
  name: "breast-cancer-mlp",
  description:
    "Breast-mass diagnosis (malignant / benign) from ten nuclear measurements of a fine-needle-aspirate image.",
  version: "1.0.0",
  file: "model.onnx",
  weightsHash,
  sizeBytes: model.length,
  runtime: "onnx",
  onnx: { opset: 17, inputName: "input", outputName: "logits", adapter: "plain" },
  input: {
    encoding: "int32be-fixed-x10",
    byteLength: 40,
    shape: ["N", 10],
    dtype: "float32",
    description:
      "The ten 'worst' (mean of the three largest) nuclear measurements in input.fields order, each as a " +
      "big-endian int32 of round(value × scale) with the field's scale (e.g. worst radius 25.38 → 25380). " +
      "The model reads the integers themselves: the scales are folded into its first layer.",
    fields: DIAGNOSIS_FIELDS.map((f) => ({
      name: f.name,
      unit: f.unit,
      scale: f.scale,
      bits: f.bits,
      description: f.description,
    })),
  },
  output: {
    encoding: "uint256-argmax",
    byteLength: 32,
    description: "abi.encode(uint256 classIndex): argmax of the two logits; 0 malignant, 1 benign.",
    labels: [...data.labels],
  },
  licence: {
    spdx: "MIT",
    attribution:
      "Trained in this repository (MIT) by scripts/train-diagnosis.ts on the Breast Cancer Wisconsin " +
      "(Diagnostic) data set by W. H. Wolberg, W. N. Street and O. L. Mangasarian, UCI Machine Learning " +
      "Repository, doi:10.24432/C5DW2B, CC BY 4.0 (datasets/breast-cancer-wisconsin/).",
  },
  source: {
    kind: "training",
    script: "scripts/train-diagnosis.ts",
    dataset: `${DATASET_FILE} (sha256 ${datasetSha256})`,
    trainingRecord: "training.json",
  },
};
parseManifest(manifest, "generated breast-cancer-mlp manifest");

const record = {
  model: { file: "model.onnx", weightsHash },
  dataset: {
    source: DATASET_FILE,
    sha256: datasetSha256,
    rows: data.rows.length,
    labels: data.labels,
    features: DIAGNOSIS_FIELDS.map((f) => ({ column: f.column, name: f.name })),
  },
  seed: SEED,
  split: {
    method: `stratified: round(${HELD_OUT_FRACTION} × class size) rows of each class held out by a mulberry32(seed) Fisher–Yates shuffle`,
    trainSize: split.train.length,
    heldOutSize: split.heldOut.length,
    heldOutIndices: split.heldOut,
  },
  training: {
    ...OPTIONS,
    initialisationSeed: OPTIONS.seed,
    method: "full-batch gradient descent with momentum, softmax cross-entropy, L2 on weights, He-uniform init",
    losses,
  },
  accuracy: {
    train: trainAccuracy,
    heldOut: heldOutAccuracy,
    heldOutCorrect: correct(heldConfusion),
    note: "confusion[actual][predicted], 0 malignant, 1 benign, of the exported float32 weights",
    heldOutConfusion: heldConfusion,
    trainConfusion,
  },
  standardisation: { note: "mean / std of the encoded integers over the training rows", ...scaler },
  weights: {
    note: "`exported` are the exact float32 values in model.onnx (standardisation and scales folded into layer 1; input: the encoded integers). `standardised` are the float64 weights before folding. Matrices are [in][out].",
    exported,
    standardised: weights,
  },
};

const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
const [[mm, mb], [bm, bb]] = heldConfusion as [[number, number], [number, number]];
const card = `# breast-cancer-mlp — bundled diagnosis model

GENERATED by \`npm run models:train:diagnosis\` (scripts/train-diagnosis.ts); do not edit.

A 10 → ${OPTIONS.hidden} (ReLU) → 2 perceptron that reads the ten "worst" nuclear measurements of a
fine-needle-aspirate image (manifest \`input.fields\`) as fixed-point integers and outputs the diagnosis:
class 0 malignant, class 1 benign. weightsHash \`${weightsHash}\`.

Trained on the Breast Cancer Wisconsin (Diagnostic) data set by W. H. Wolberg, W. N. Street and
O. L. Mangasarian, UCI Machine Learning Repository, doi:10.24432/C5DW2B, CC BY 4.0
(\`datasets/breast-cancer-wisconsin/\`).

Held out: ${split.heldOut.length} of ${data.rows.length} patients (a stratified ${HELD_OUT_FRACTION * 100} % of each class, seed ${SEED}),
never seen in training.

| | predicted malignant | predicted benign |
|---|---:|---:|
| actual malignant | ${mm} | ${mb} |
| actual benign | ${bm} | ${bb} |

Held-out accuracy ${pct(heldOutAccuracy)} (${correct(heldConfusion)}/${heldX.length}); training accuracy ${pct(trainAccuracy)}.
Sensitivity (malignant found) ${pct(mm / (mm + mb))}, specificity ${pct(bb / (bm + bb))}.

A demonstration model for verifiable inference, not a medical device.
`;

await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, "README.md"), card);
await writeFile(join(outDir, "model.onnx"), model);
await writeFile(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
await writeFile(join(outDir, "training.json"), JSON.stringify(record, null, 2) + "\n");

console.log(`breast-cancer-mlp: train ${split.train.length} rows, held out ${split.heldOut.length}`);
console.log(`breast-cancer-mlp: final loss ${losses.at(-1)?.loss.toFixed(4)}`);
console.log(
  `breast-cancer-mlp: train accuracy ${(trainAccuracy * 100).toFixed(2)}%, held-out accuracy ` +
    `${(heldOutAccuracy * 100).toFixed(2)}% (${correct(heldConfusion)}/${heldX.length}); ` +
    `held-out confusion [actual][predicted] ${JSON.stringify(heldConfusion)}`,
);
console.log(`breast-cancer-mlp: wrote ${model.length} bytes, weightsHash ${weightsHash}`);
