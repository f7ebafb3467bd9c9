/**
 * Prover thread (worker_threads): loads the circuit's wasm and proving key once, then proves one
 * request at a time for the main thread (worker/prover.ts). Groth16 proving is seconds of CPU work;
 * here it never blocks the worker's event loop (RPC, intake endpoint, submissions).
 *
 * Messages in:  { type: "prove", id, input: witness input } | { type: "close" }
 * Messages out: { type: "ready", warmMs } | { type: "result", id, ok: true, proof, publicSignals, ms }
 *               | { type: "result", id, ok: false, error }
 */
import { Module, createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

// snarkjs's curve library (ffjavascript) requires `web-worker`, which assumes that any thread that is
// not the main thread is one of its own workers (it rewires the thread's global scope and requires
// the module named in workerData). Here it is stubbed before snarkjs loads, and the curve is built
// single-threaded once and cached where snarkjs looks for it (globalThis.curve_bn128): parallelism
// comes from running several prover threads (config zk.threads), not from nested curve threads.
const require = createRequire(import.meta.url);
const snarkjsMain = require.resolve("snarkjs");
const ffjavascriptMain = createRequire(snarkjsMain).resolve("ffjavascript");
const webWorkerPath = createRequire(ffjavascriptMain).resolve("web-worker");
const stub = new Module(webWorkerPath);
stub.filename = webWorkerPath;
stub.loaded = true;
stub.exports = class WebWorkerUnavailable {
  constructor() {
    throw new Error("web-worker is not available in a prover thread (the curve is single-threaded here)");
  }
};
require.cache[webWorkerPath] = stub;
const { CircuitProver } = await import("./zk-prover.ts");
const { zkShutdown } = await import("@verity-ai/sdk");
// After the prover loaded its libraries: each ffjavascript copy clears globalThis.curve_bn128 on load.
const ffjavascript = createRequire(snarkjsMain)("ffjavascript") as {
  buildBn128(singleThread: boolean): Promise<unknown>;
};
(globalThis as { curve_bn128?: unknown }).curve_bn128 = await ffjavascript.buildBn128(true);

interface Init {
  wasm: string;
  zkey: string;
  /** A witness input to prove once at start (builds the curve and the witness calculator), or none. */
  warmup: Record<string, unknown> | undefined;
}

type In = { type: "prove"; id: number; input: Record<string, unknown> } | { type: "close" };

const init = workerData as Init;
const port = parentPort!;
const prover = CircuitProver.load(init.wasm, init.zkey);

let chain: Promise<void> = Promise.resolve();

async function warm(input: Record<string, unknown>): Promise<void> {
  const t = performance.now();
  try {
    await prover.proveInput(input);
    port.postMessage({ type: "ready", warmMs: performance.now() - t });
  } catch (err) {
    port.postMessage({ type: "ready", warmMs: performance.now() - t, error: (err as Error).message });
  }
}

const warmInput = init.warmup;
if (warmInput !== undefined) chain = chain.then(() => warm(warmInput));
else port.postMessage({ type: "ready", warmMs: 0 });

port.on("message", (m: In) => {
  if (m.type === "close") {
    chain = chain.then(async () => {
      await zkShutdown();
      port.close();
    });
    return;
  }
  chain = chain.then(async () => {
    const t = performance.now();
    try {
      const r = await prover.proveInput(m.input);
      port.postMessage({
        type: "result",
        id: m.id,
        ok: true,
        proof: r.proof,
        publicSignals: r.publicSignals,
        ms: performance.now() - t,
      });
    } catch (err) {
      port.postMessage({ type: "result", id: m.id, ok: false, error: (err as Error).message });
    }
  });
});
