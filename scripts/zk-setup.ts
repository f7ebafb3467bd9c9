/**
 * One command to put a bundled model into ZK mode: from `models/<name>/` (manifest + ONNX) to a circuit,
 * its Groth16 keys, the Solidity verifier, the circuit descriptor and a transcript. No per-model code.
 *   npm run zk:setup -- models/<dir> [--out circuits/<dir>] [--verifier-dir contracts/generated]
 *                                    [--contract <ManifestName>Groth16Verifier]
 *
 *  1. parse the ONNX graph (scripts/zk/onnx-graph.ts; unsupported ops are refused), quantize it for the
 *     manifest's fixed-point encoding and write <out>/<name>.circom (scripts/zk/circuit-generator.ts)
 *  2. circom2 compile (--O2) → <out>/<name>.r1cs, <out>/<name>.wasm
 *  3. pick the smallest committed powers of tau that fits (circuits/ptau/): never made here;
 *     if none fits, the error says which `node scripts/zk/ptau.ts <power>` to run once and commit
 *  4. Groth16 setup, 2 zkey contributions, beacon, verify against r1cs + ptau
 *  5. vkey.json, the verifier contract (scripts/zk/artefacts.ts), a sample proof checked against the
 *     bigint reference, descriptor.json and transcript.json (every step with the hashes of its outputs)
 * Contribution entropy is random and discarded; the beacon is not public randomness (development only).
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { keccak256, toUtf8Bytes } from "ethers";

import { fieldTree, treeDepth } from "@verity-ai/sdk";
import {
  ROOT,
  compileCircom,
  groth16VerifierSource,
  hashFile,
  toolVersions,
  type ArtefactHash,
} from "./zk/artefacts.ts";
import { fixedForward, generateCircom, pascalName, quantize } from "./zk/circuit-generator.ts";
import { describe, encodingFromManifest, proveRecord, type CircuitDescriptor } from "./zk/descriptor.ts";
import { parseOnnxMlp } from "./zk/onnx-graph.ts";
import { findPtau } from "./zk/ptau.ts";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const snarkjs = require("snarkjs") as any;
const BEACON_ITERATIONS_EXP = 10;

export interface SetupOptions {
  modelDir: string;
  outDir?: string;
  verifierDir?: string;
  contract?: string;
  log?: (line: string) => void;
}

export interface SetupResult {
  descriptorPath: string;
  descriptor: CircuitDescriptor;
  verifierPath: string;
}

const silent = { info: () => {}, debug: () => {}, warn: () => {}, error: (m: string) => console.error(m) };

/** Runs the whole setup for one model; returns where the descriptor and the verifier were written. */
export async function setupModel(o: SetupOptions): Promise<SetupResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const modelDir = resolve(o.modelDir);
  const manifestPath = join(modelDir, "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  const name: string = manifest.name;
  // models/<dir> → circuits/<dir>: a bundled model and its ZK twin share their folder's name.
  const out = resolve(o.outDir ?? join(ROOT, "circuits", basename(modelDir)));
  const verifierDir = resolve(o.verifierDir ?? join(ROOT, "contracts", "generated"));
  const contract = o.contract ?? `${pascalName(name)}Groth16Verifier`;
  mkdirSync(out, { recursive: true });
  mkdirSync(verifierDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "verity-zk-setup-"));
  const tmp = (f: string) => join(work, f);
  const file = (f: string) => join(out, f);
  const rel = (p: string) => relative(out, p);
  const steps: { step: string; outputs: ArtefactHash[]; params?: Record<string, unknown>; ms: number }[] = [];
  const step = async <T>(label: string, outputs: string[], fn: () => Promise<T>, params?: Record<string, unknown>) => {
    log(`[${steps.length + 1}] ${label}`);
    const t0 = Date.now();
    const r = await fn();
    if ((r as unknown) === false) throw new Error(`${label} failed`);
    steps.push({ step: label, outputs: outputs.map(hashFile), ...(params ? { params } : {}), ms: Date.now() - t0 });
    return r;
  };

  try {
    const modelFile = join(modelDir, manifest.file);
    const onnxBytes = readFileSync(modelFile);
    if (keccak256(onnxBytes) !== manifest.weightsHash) {
      throw new Error(
        `${relative(ROOT, modelFile)}'s keccak256 is not the manifest's weightsHash: retrain or fix the manifest`,
      );
    }
    const mlp = parseOnnxMlp(onnxBytes);
    const encoding = encodingFromManifest(manifest);
    const q = quantize(mlp, encoding);
    const depth = treeDepth(encoding.fields.length);
    const partial = describe(manifest, relative(out, manifestPath), q, encoding, depth);
    const circuitFile = file(`${name}.circom`);
    await step("generate circuit", [circuitFile], async () => {
      writeFileSync(
        circuitFile,
        generateCircom(q, pascalName(name), [
          `GENERATED by scripts/zk-setup.ts from ${basename(modelDir)}/${manifest.file}. Do not edit.`,
          `Model ${name} ${manifest.version}, weightsHash ${manifest.weightsHash}.`,
        ]),
      );
    });

    const r1cs = file(`${name}.r1cs`);
    const wasm = file(`${name}.wasm`);
    await step("compile circuit", [r1cs, wasm], async () => {
      const compiled = compileCircom(relative(ROOT, circuitFile), work);
      copyFileSync(compiled.r1cs, r1cs);
      copyFileSync(compiled.wasm, wasm);
    });
    const info = await snarkjs.r1cs.info(r1cs, silent);
    const domain = info.nConstraints + info.nPubInputs + info.nOutputs + 1;
    const power = Math.ceil(Math.log2(domain));
    const ptau = findPtau(power);
    if (!ptau) {
      throw new Error(
        `${info.nConstraints} constraints need powers of tau 2^${power} and none is committed: run ` +
          `\`node scripts/zk/ptau.ts ${power}\` once (slow) and commit circuits/ptau/, then rerun`,
      );
    }
    log(
      `    ${info.nConstraints} constraints, domain ${domain}: powers of tau ${relative(ROOT, ptau.path)} (2^${ptau.power})`,
    );

    await step("groth16 setup", [], () => snarkjs.zKey.newZKey(r1cs, ptau.path, tmp("k0.zkey"), silent));
    for (const i of [1, 2]) {
      await step(
        `zkey contribution ${i}`,
        [],
        () =>
          snarkjs.zKey.contribute(
            tmp(`k${i - 1}.zkey`),
            tmp(`k${i}.zkey`),
            `verity-dev-zkey-contributor-${i}`,
            randomBytes(32).toString("hex"),
            silent,
          ),
        { entropy: "32 random bytes, discarded" },
      );
    }
    const zkey = file(`${name}_final.zkey`);
    const beacon = keccak256(toUtf8Bytes(`verity-${name}-zkey-beacon/${hashFile(tmp("k2.zkey")).sha256}`)).slice(2);
    await step(
      "zkey beacon",
      [zkey],
      () => snarkjs.zKey.beacon(tmp("k2.zkey"), zkey, "verity-dev-zkey-beacon", beacon, BEACON_ITERATIONS_EXP, silent),
      { beaconHash: beacon, iterationsExp: BEACON_ITERATIONS_EXP, note: "development beacon, not public randomness" },
    );
    await step("zkey verify", [], () => snarkjs.zKey.verifyFromR1cs(r1cs, ptau.path, zkey, silent));
    const vkeyPath = file("vkey.json");
    await step("export verification key", [vkeyPath], async () => {
      writeFileSync(vkeyPath, JSON.stringify(await snarkjs.zKey.exportVerificationKey(zkey, silent), null, 2) + "\n");
    });
    const verifierPath = join(verifierDir, `${contract}.sol`);
    await step("export Solidity verifier", [verifierPath], async () => {
      writeFileSync(
        verifierPath,
        await groth16VerifierSource(
          vkeyPath,
          q.output.classes,
          contract,
          manifest.weightsHash,
          `// GENERATED by scripts/zk-setup.ts (Groth16 verifier of ${name} from ${relative(ROOT, vkeyPath)}, ${q.output.classes} classes). Do not edit; rerun \`npm run zk:setup\`.\n`,
        ),
      );
    });

    const descriptorPath = file("descriptor.json");
    const transcriptPath = file("transcript.json");
    const descriptor: CircuitDescriptor = {
      ...partial,
      circuitId: hashFile(r1cs).keccak256,
      r1cs: { constraints: info.nConstraints, wires: info.nVars, powersOfTau: ptau.power },
      artefacts: {
        circuit: rel(circuitFile),
        r1cs: rel(r1cs),
        wasm: rel(wasm),
        zkey: rel(zkey),
        vkey: rel(vkeyPath),
        transcript: rel(transcriptPath),
        ptau: rel(ptau.path),
      },
      verifier: { contract, source: rel(verifierPath), classes: q.output.classes },
    };
    writeFileSync(descriptorPath, JSON.stringify(descriptor, null, 2) + "\n");

    // Sample proof: every field at 1, salts 1..F; public signals must match the bigint reference.
    const x = encoding.fields.map(() => 1n);
    const salts = encoding.fields.map((_, i) => BigInt(i + 1));
    const sample = await step("sample proof", [], async () => {
      const { proof, publicSignals } = await proveRecord(descriptorPath, x, salts);
      const expected = [String(fixedForward(q, x).outputClass), String(fieldTree(x, salts).root)];
      if (JSON.stringify(publicSignals) !== JSON.stringify(expected))
        throw new Error(`sample proof gives ${publicSignals}, reference ${expected}`);
      const vkey = JSON.parse(readFileSync(vkeyPath, "utf8"));
      if (!(await snarkjs.groth16.verify(vkey, publicSignals, proof, silent)))
        throw new Error("sample proof does not verify");
      return { values: x.map(String), salts: salts.map(String), publicSignals };
    });

    const transcript = {
      generated:
        "GENERATED by scripts/zk-setup.ts. Development setup: one machine, random discarded entropy, non-public beacon.",
      date: new Date().toISOString(),
      tools: toolVersions(),
      model: { name, version: manifest.version, weightsHash: manifest.weightsHash },
      r1cs: {
        constraints: info.nConstraints,
        wires: info.nVars,
        publicOutputs: info.nOutputs,
        privateInputs: info.nPrvInputs,
      },
      powersOfTau: { file: hashFile(ptau.path), power: ptau.power },
      steps,
      sampleProof: sample,
      committed: [circuitFile, r1cs, wasm, zkey, vkeyPath, verifierPath, descriptorPath].map(hashFile),
    };
    writeFileSync(transcriptPath, JSON.stringify(transcript, null, 2) + "\n");
    log(`wrote ${relative(ROOT, descriptorPath)}, ${relative(ROOT, verifierPath)}`);
    return { descriptorPath, descriptor, verifierPath };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: "string" }, "verifier-dir": { type: "string" }, contract: { type: "string" } },
  });
  if (positionals.length !== 1)
    throw new Error("usage: npm run zk:setup -- models/<name> [--out dir] [--verifier-dir dir] [--contract Name]");
  await setupModel({
    modelDir: positionals[0]!,
    outDir: values.out,
    verifierDir: values["verifier-dir"],
    contract: values.contract,
  });
  // snarkjs leaves its curve's worker threads running.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await ((globalThis as any).curve_bn128?.terminate?.() ?? Promise.resolve());
  process.exit(0);
}
