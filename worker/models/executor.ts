/**
 * Executor: runs verified models with onnxruntime-node on the CPU and returns deterministic output
 * bytes. One InferenceSession per weightsHash, created from the very bytes whose hash was checked.
 *
 * Pinned session options (every operator must get the same bits):
 *  - graphOptimizationLevel "basic": only hardware-independent rewrites (constant folding, redundant
 *    node removal). "extended"/"all" add fusions and CPU-specific layouts that change low-order float
 *    bits between levels and machines; for these small models they buy nothing measurable.
 *  - intraOpNumThreads 1, interOpNumThreads 1, sequential: no reduction-order variation from
 *    threading, and throughput comes from batching (`runBatch`) and running several workers instead.
 * ORT gave bit-identical rows whether a model ran alone or in a batch, so batching is safe.
 */
import ort from "onnxruntime-node";

import { buildFeeds, splitOutput } from "./adapters.ts";
import { InputDecodeError, decodeInput, encodeOutput, type ModelManifest } from "@verity-ai/sdk";
import type { ModelStore } from "./store.ts";

export const SESSION_OPTIONS: Readonly<ort.InferenceSession.SessionOptions> =
  Object.freeze({
    executionProviders: ["cpu"],
    graphOptimizationLevel: "basic",
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    enableCpuMemArena: true,
    logSeverityLevel: 3,
  });

export interface RunResult {
  /** Deterministic result bytes (one ABI word). */
  readonly output: Uint8Array;
  /** Wall-clock milliseconds of decode + session.run + encode (session creation excluded). */
  readonly ms: number;
}

export interface BatchResult {
  readonly outputs: Uint8Array[];
  readonly ms: number;
}

export interface LoadedModel {
  readonly manifest: ModelManifest;
  readonly session: ort.InferenceSession;
}

export class Executor {
  readonly store: ModelStore;
  readonly #sessions = new Map<string, Promise<LoadedModel>>();

  constructor(store: ModelStore) {
    this.store = store;
  }

  /**
   * Verify and load a model (UnknownModelError / ModelHashMismatchError). Idempotent; a failed
   * load is not cached, so a repaired file is picked up on the next call.
   */
  load(weightsHash: string): Promise<LoadedModel> {
    const key = weightsHash.toLowerCase();
    let pending = this.#sessions.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const model = await this.store.get(key);
        const session = await ort.InferenceSession.create(model.bytes, {
          ...SESSION_OPTIONS,
        });
        return { manifest: model.manifest, session };
      })();
      this.#sessions.set(key, pending);
      pending.catch(() => this.#sessions.delete(key));
    }
    return pending;
  }

  /**
   * Load (verify + create the session of) each model now rather than on its first request, so the
   * first jobs do not wait for the runtime's start-up. Returns the models that failed, with why;
   * their jobs fail later with the same reason.
   */
  async warm(weightsHashes: readonly string[]): Promise<{ weightsHash: string; error: string }[]> {
    const failed: { weightsHash: string; error: string }[] = [];
    for (const h of weightsHashes) {
      try {
        await this.load(h);
      } catch (err) {
        failed.push({ weightsHash: h, error: (err as Error).message });
      }
    }
    return failed;
  }

  /** Run one request's input bytes through the model. Throws InputDecodeError on bad input. */
  async run(weightsHash: string, input: Uint8Array): Promise<RunResult> {
    const { outputs, ms } = await this.runBatch(weightsHash, [input]);
    return { output: outputs[0]!, ms };
  }

  /**
   * Run many inputs of one model in a single session.run. Any undecodable input fails the whole
   * call with InputDecodeError whose `index` names it; callers can pre-check with `decodeInput`.
   */
  async runBatch(
    weightsHash: string,
    inputs: readonly Uint8Array[],
  ): Promise<BatchResult> {
    if (inputs.length === 0) return { outputs: [], ms: 0 };
    const { manifest, session } = await this.load(weightsHash);
    const start = performance.now();
    const rows = inputs.map((bytes, index) => {
      try {
        return decodeInput(manifest.input.encoding, bytes);
      } catch (err) {
        if (err instanceof InputDecodeError) err.index = index;
        throw err;
      }
    });
    const results = await session.run(buildFeeds(manifest, rows));
    const raw = splitOutput(manifest, results, rows.length);
    for (const tensor of Object.values(results)) tensor.dispose();
    const outputs = raw.map((row) =>
      encodeOutput(manifest.output.encoding, row),
    );
    return { outputs, ms: performance.now() - start };
  }

  /** Release every session. */
  async close(): Promise<void> {
    const pending = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(
      pending.map(async (p) => {
        const loaded = await p.catch(() => undefined);
        await loaded?.session.release();
      }),
    );
  }
}
