/** Turn decoded inputs into ONNX feeds and the graph's output back into one raw row per input. */
import ort from "onnxruntime-node";

import type { ModelManifest } from "@verity-ai/sdk";

type Feeds = Record<string, ort.Tensor>;

/** Silero VAD v5 at 16 kHz: 64 samples of context precede each 512-sample frame; state is [2, N, 128]. */
export const SILERO_CONTEXT_SAMPLES = 64;
export const SILERO_STATE_SIZE = 128;
export const SILERO_SAMPLE_RATE = 16000n;

/** `rows` all have the length the input encoding decodes to. */
export function buildFeeds(
  manifest: ModelManifest,
  rows: readonly Float32Array[],
): Feeds {
  const n = rows.length;
  const width = rows[0]!.length;
  const { adapter, inputName } = manifest.onnx;
  if (adapter === "plain") {
    const data = new Float32Array(n * width);
    rows.forEach((row, i) => data.set(row, i * width));
    return { [inputName]: new ort.Tensor("float32", data, [n, width]) };
  }
  const stride = SILERO_CONTEXT_SAMPLES + width;
  const audio = new Float32Array(n * stride); // zero context: every request is a fresh stream
  rows.forEach((row, i) => audio.set(row, i * stride + SILERO_CONTEXT_SAMPLES));
  return {
    [inputName]: new ort.Tensor("float32", audio, [n, stride]),
    state: new ort.Tensor(
      "float32",
      new Float32Array(2 * n * SILERO_STATE_SIZE),
      [2, n, SILERO_STATE_SIZE],
    ),
    sr: new ort.Tensor("int64", BigInt64Array.of(SILERO_SAMPLE_RATE), []),
  };
}

/** Split the named output [N, ...] into N rows. */
export function splitOutput(
  manifest: ModelManifest,
  results: Feeds,
  n: number,
): Float32Array[] {
  const tensor = results[manifest.onnx.outputName];
  if (tensor === undefined)
    throw new Error(`model has no output "${manifest.onnx.outputName}"`);
  if (tensor.type !== "float32")
    throw new Error(
      `output "${manifest.onnx.outputName}" is ${tensor.type}, not float32`,
    );
  const data = tensor.data as Float32Array;
  if (tensor.dims[0] !== n || data.length % n !== 0) {
    throw new Error(
      `output "${manifest.onnx.outputName}" has dims [${tensor.dims.join(", ")}] for ${n} inputs`,
    );
  }
  const width = data.length / n;
  return Array.from({ length: n }, (_, i) =>
    data.slice(i * width, (i + 1) * width),
  );
}
