/**
 * ZK prover for the worker: the circuits it can prove (by model weightsHash) and a small pool of
 * prover threads (worker/zk-thread.ts) per circuit. Proofs are queued here, in the main thread, and
 * handed to an idle thread one at a time, so a job whose deadline has passed while it waited is
 * dropped before any proving work is spent on it.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { Worker as Thread } from "node:worker_threads";

import type { Logger } from "pino";

import { circuitSpec, type Groth16Proof, type ZkCircuitSpec } from "@verity-ai/sdk";

/** The witness input of one proof: signal name → decimal string(s). */
export type WitnessInput = Record<string, string | string[]>;

export interface ZkCircuit {
  /** Circuit name (e.g. "breast-cancer-mlp"). */
  name: string;
  /** weightsHash of the model version the circuit's fixed-point weights were taken from. */
  weightsHash: string;
  wasm: string;
  zkey: string;
  /** The circuit's descriptor: its fields, commitment and signal names. */
  spec: ZkCircuitSpec;
  /** A valid witness input (all fields and salts zero) to warm a prover thread with. */
  warmInput: WitnessInput;
}

/**
 * The circuits whose artefacts are present in `circuitsDir` (config `zk.circuitsDir`): every
 * `<circuitsDir>/<name>/descriptor.json` whose wasm and proving key exist (from `npm run zk:setup`)
 * proves the model version its descriptor names.
 * Throws on a descriptor that cannot be read, naming the file and the fix.
 */
export function availableCircuits(circuitsDir: string): ZkCircuit[] {
  const out: ZkCircuit[] = [];
  const names = existsSync(circuitsDir) ? readdirSync(circuitsDir, { withFileTypes: true }) : [];
  for (const entry of names.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(circuitsDir, entry.name, "descriptor.json");
    if (!existsSync(path)) continue;
    let d: { artefacts?: { wasm?: string; zkey?: string } };
    let spec: ZkCircuitSpec;
    try {
      d = JSON.parse(readFileSync(path, "utf8")) as typeof d;
      spec = circuitSpec(d);
    } catch (err) {
      throw new Error(`${path} is not a usable circuit descriptor (${(err as Error).message}): fix or remove it`);
    }
    if (typeof d.artefacts?.wasm !== "string" || typeof d.artefacts.zkey !== "string")
      throw new Error(`${path} names no wasm and zkey artefacts: regenerate it with npm run zk:setup`);
    const wasm = join(dirname(path), d.artefacts.wasm);
    const zkey = join(dirname(path), d.artefacts.zkey);
    if (![wasm, zkey].every((p) => existsSync(p))) continue;
    const zeros = spec.input.fields.map(() => "0");
    out.push({
      name: spec.name,
      weightsHash: spec.model.weightsHash.toLowerCase(),
      wasm,
      zkey,
      spec,
      warmInput: { [spec.privateInputs.values]: zeros, [spec.privateInputs.salts]: zeros },
    });
  }
  return out;
}

export interface ProofOut {
  proof: Groth16Proof;
  /** Decimal strings: [class, commitment]. */
  publicSignals: string[];
  /** Proving time inside the thread (witness + Groth16). */
  ms: number;
}

/** Thrown (as a rejection) for a queued proof that `shouldRun` cancelled before it started. */
export class ProofCancelled extends Error {
  /** Why: the request expired while queued, the worker is stopping, or the job no longer needs it. */
  readonly kind: "expired" | "stopping" | "not-needed";
  readonly detail: string;
  constructor(kind: ProofCancelled["kind"], detail: string) {
    super(`proof cancelled (${kind}): ${detail}`);
    this.name = "ProofCancelled";
    this.kind = kind;
    this.detail = detail;
  }
}

interface Task {
  input: WitnessInput;
  /** Called right before the proof starts: a reason to cancel it, or undefined to go ahead. */
  shouldRun?: () => ProofCancelled | undefined;
  resolve(r: ProofOut): void;
  reject(err: Error): void;
}

type Out =
  | { type: "ready"; warmMs: number; error?: string }
  | { type: "result"; id: number; ok: true; proof: Groth16Proof; publicSignals: string[]; ms: number }
  | { type: "result"; id: number; ok: false; error: string };

interface Slot {
  thread: Thread;
  busy: Task | undefined;
  id: number;
  ready: boolean;
}

/** The prover thread's script: beside this module, as TypeScript in the repository and JavaScript once built. */
const THREAD_SCRIPT = new URL(import.meta.url.endsWith(".ts") ? "./zk-thread.ts" : "./zk-thread.js", import.meta.url);

/** Threads in a row that may die before they are ready before queued proofs are failed. */
const MAX_START_FAILURES = 3;

export class ProverPool {
  readonly circuit: ZkCircuit;
  readonly #threads: number;
  readonly #log: Logger;
  readonly #warmup: boolean;
  readonly #queue: Task[] = [];
  #slots: Slot[] = [];
  #closed = false;
  #nextId = 1;
  #startFailures = 0;

  constructor(circuit: ZkCircuit, threads: number, log: Logger, warmup = false) {
    this.circuit = circuit;
    this.#threads = threads;
    this.#log = log;
    this.#warmup = warmup;
  }

  /** Proofs waiting for a thread plus proofs being made. */
  get pending(): number {
    return this.#queue.length + this.#slots.filter((s) => s.busy !== undefined).length;
  }

  /** Start the threads now (otherwise they start with the first proof). */
  start(): void {
    while (!this.#closed && this.#slots.length < this.#threads) this.#spawn();
  }

  /** Proves the circuit on one witness input (see `ZkCircuit.warmInput` for its shape). */
  prove(input: WitnessInput, shouldRun?: () => ProofCancelled | undefined): Promise<ProofOut> {
    if (this.#closed) return Promise.reject(new Error("prover pool is closed"));
    return new Promise<ProofOut>((resolve, reject) => {
      this.#queue.push({ input, shouldRun, resolve, reject });
      this.start();
      this.#pump();
    });
  }

  #spawn(): void {
    const thread = new Thread(THREAD_SCRIPT, {
      workerData: {
        wasm: this.circuit.wasm,
        zkey: this.circuit.zkey,
        warmup: this.#warmup ? this.circuit.warmInput : undefined,
      },
    });
    const slot: Slot = { thread, busy: undefined, id: 0, ready: false };
    this.#slots.push(slot);
    thread.on("message", (m: Out) => {
      if (m.type === "ready") {
        slot.ready = true;
        this.#startFailures = 0;
        if (m.error !== undefined)
          this.#log.error({ circuit: this.circuit.name, err: m.error }, "prover warm-up failed");
        else if (this.#warmup)
          this.#log.info({ circuit: this.circuit.name, warmMs: Math.round(m.warmMs) }, "prover thread warm");
        return;
      }
      const task = slot.busy;
      if (task === undefined || m.id !== slot.id) return;
      slot.busy = undefined;
      if (m.ok) task.resolve({ proof: m.proof, publicSignals: m.publicSignals, ms: m.ms });
      else task.reject(new Error(m.error));
      this.#pump();
    });
    const gone = (why: string) => {
      const i = this.#slots.indexOf(slot);
      if (i < 0) return;
      this.#slots.splice(i, 1);
      if (slot.busy !== undefined) slot.busy.reject(new Error(`prover thread stopped: ${why}`));
      slot.busy = undefined;
      if (!this.#closed) {
        this.#log.error(
          { circuit: this.circuit.name, why },
          "prover thread stopped; a new one starts with the next proof",
        );
        if (!slot.ready && ++this.#startFailures >= MAX_START_FAILURES) {
          // It cannot start (e.g. the circuit files are unreadable): fail what waits, do not loop.
          this.#startFailures = 0;
          for (const t of this.#queue.splice(0)) t.reject(new Error(`prover thread cannot start: ${why}`));
          return;
        }
        if (this.#queue.length > 0) {
          this.start();
          this.#pump();
        }
      }
    };
    thread.on("error", (err) => gone(err.message));
    thread.on("exit", (code) => gone(`exit code ${code}`));
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (slot.busy !== undefined) continue;
      let task: Task | undefined;
      while ((task = this.#queue.shift()) !== undefined) {
        const cancel = task.shouldRun?.();
        if (cancel === undefined) break;
        task.reject(cancel);
      }
      if (task === undefined) return;
      slot.busy = task;
      slot.id = this.#nextId++;
      slot.thread.postMessage({
        type: "prove",
        id: slot.id,
        input: task.input,
      });
    }
  }

  /** Stop the threads; queued and running proofs are rejected (their jobs resume on restart). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#queue.splice(0)) t.reject(new Error("prover pool is closed"));
    const slots = this.#slots.splice(0);
    await Promise.all(
      slots.map(async (s) => {
        s.busy?.reject(new Error("prover pool is closed"));
        s.busy = undefined;
        const exited = new Promise<void>((r) => s.thread.once("exit", () => r()));
        // Let the thread stop snarkjs's own curve threads; terminate it if it takes too long.
        s.thread.postMessage({ type: "close" });
        const timer = setTimeout(() => void s.thread.terminate(), 2000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
