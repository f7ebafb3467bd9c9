/** Where the repository keeps the iris circuit's artefacts (written once by scripts/zk-ceremony.ts). */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { IrisFloatWeights } from "@verity-ai/sdk";

import { IrisProver } from "../../worker/zk-prover.ts";

const ROOT = join(import.meta.dirname, "..", "..");

export const IRIS_ZK = {
  circuit: join(ROOT, "circuits", "iris.circom"),
  dir: join(ROOT, "circuits", "iris"),
  r1cs: join(ROOT, "circuits", "iris", "iris.r1cs"),
  wasm: join(ROOT, "circuits", "iris", "iris.wasm"),
  zkey: join(ROOT, "circuits", "iris", "iris_final.zkey"),
  vkey: join(ROOT, "circuits", "iris", "vkey.json"),
  transcript: join(ROOT, "circuits", "iris", "transcript.json"),
  training: join(ROOT, "models", "iris", "training.json"),
} as const;

/** The committed verification key. */
export function loadVkey(path: string = IRIS_ZK.vkey): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Exported float32 weights from models/iris/training.json. */
export function loadIrisFloatWeights(path: string = IRIS_ZK.training): IrisFloatWeights {
  const training = JSON.parse(readFileSync(path, "utf8")) as { weights: { exported: IrisFloatWeights } };
  return training.weights.exported;
}

/** A prover over the committed iris circuit. */
export function irisProver(): IrisProver {
  return IrisProver.load(IRIS_ZK.wasm, IRIS_ZK.zkey);
}
