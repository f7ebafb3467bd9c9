import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";

import { ZeroAddress } from "ethers";

import type { ModelRegistry } from "../../typechain-types/index.ts";
import {
  MANIFEST_FILE,
  circuitSpec,
  parseManifest,
  recordSpecFromManifest,
  type RecordSpec,
  type ZkCircuitSpec,
} from "@verity-ai/sdk";

/** A generated circuit's descriptor (circuits/<name>/descriptor.json) with its verifier contract's name. */
export type BundledCircuit = ZkCircuitSpec & { verifier: { contract: string } };

/** Every `circuits/<name>/descriptor.json` under `circuitsDir` (none if the folder is absent). */
export function readCircuitDescriptors(circuitsDir: string): BundledCircuit[] {
  if (!existsSync(circuitsDir)) return [];
  const out: BundledCircuit[] = [];
  for (const entry of readdirSync(circuitsDir, { withFileTypes: true })) {
    const file = path.join(circuitsDir, entry.name, "descriptor.json");
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const d = circuitSpec(JSON.parse(readFileSync(file, "utf8"))) as BundledCircuit;
    if (typeof d.verifier?.contract !== "string")
      throw new Error(`${file} names no verifier contract: rerun npm run zk:setup -- models/${d.model.name}`);
    out.push(d);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** What `npm start` and the CLI need from a bundled model's manifest. */
export interface BundledModel {
  dir: string;
  name: string;
  weightsHash: string;
  runtime: string;
  inputEncoding: string;
  outputEncoding: string;
  labels?: string[];
  /** The field record its manifest declares (input.fields): what a private TEE request commits. */
  record?: RecordSpec;
}

/** Reads every `models/<name>/manifest.json` under `modelsDir`. */
export function readBundledModels(modelsDir: string): BundledModel[] {
  const out: BundledModel[] = [];
  for (const entry of readdirSync(modelsDir, { withFileTypes: true })) {
    const file = path.join(modelsDir, entry.name, MANIFEST_FILE);
    if (!entry.isDirectory() || !existsSync(file)) continue;
    // The worker's own manifest schema: a bad manifest stops here with the field named.
    const m = parseManifest(JSON.parse(readFileSync(file, "utf8")), file);
    out.push({
      dir: path.join(modelsDir, entry.name),
      name: m.name,
      weightsHash: m.weightsHash,
      runtime: m.runtime,
      inputEncoding: m.input.encoding,
      outputEncoding: m.output.encoding,
      labels: m.output.labels,
      record: recordSpecFromManifest(m),
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Registers `model` as its signer's model with its first version; returns the model id. */
export async function registerBundledModel(
  registry: ModelRegistry,
  model: BundledModel,
  terms: { price: bigint; royaltyBps: number; modes: number; zkVerifier?: string },
): Promise<string> {
  const owner = await (registry.runner as unknown as { getAddress(): Promise<string> }).getAddress();
  const tx = await registry.registerModel(model.name, terms.price, terms.royaltyBps, terms.modes, {
    weightsHash: model.weightsHash,
    zkVerifier: terms.zkVerifier ?? ZeroAddress,
    uri: `verity://bundled/${path.basename(model.dir)}/model.onnx`,
    runtime: model.runtime,
    encoding: `${model.inputEncoding}/${model.outputEncoding}`,
  });
  await tx.wait();
  return registry.modelIdOf(owner, model.name);
}
