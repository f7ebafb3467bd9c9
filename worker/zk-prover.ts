/**
 * Groth16 proving for a circuit: the witness calculator (circom's wasm) and snarkjs's prover, loaded
 * once per instance. `CircuitProver` proves any circuit from its witness input (the worker builds it
 * from the circuit descriptor, see sdk/src/fields/record.ts). Runs inside the prover threads (worker/zk-thread.ts) and in tests.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import type { ZkProofResult } from "@verity-ai/sdk";

interface WitnessCalculator {
  calculateWitness(input: unknown, sanityCheck: boolean): Promise<bigint[]>;
  calculateWTNSBin(input: unknown, sanityCheck: boolean): Promise<Uint8Array>;
}

// CommonJS builds, as the SDK loads snarkjs in Node: one copy of the curve library per process.
const require = createRequire(import.meta.url);
const snarkjs = require("snarkjs") as {
  groth16: { prove(zkey: unknown, witness: unknown): Promise<ZkProofResult> };
};
const circomRuntime = require("circom_runtime") as {
  WitnessCalculatorBuilder(code: Uint8Array, options?: unknown): Promise<WitnessCalculator>;
};

/** Loads a circuit's wasm and proving key once and proves warm. Construct with `CircuitProver.load()`. */
export class CircuitProver {
  readonly wasm: Uint8Array;
  readonly zkey: Uint8Array;

  constructor(wasm: Uint8Array, zkey: Uint8Array) {
    this.wasm = wasm;
    this.zkey = zkey;
  }

  static load(wasmPath: string, zkeyPath: string): CircuitProver {
    return new CircuitProver(readFileSync(wasmPath), readFileSync(zkeyPath));
  }

  #calculator: Promise<WitnessCalculator> | undefined;

  /** Runs the witness calculator (compiled once and reused; dropped after a failure). */
  async #calculate<T>(fn: (wc: WitnessCalculator) => Promise<T>): Promise<T> {
    this.#calculator ??= circomRuntime.WitnessCalculatorBuilder(this.wasm);
    try {
      return await fn(await this.#calculator);
    } catch (err) {
      this.#calculator = undefined; // a failed assert may leave the instance's memory dirty
      throw err;
    }
  }

  /** Full witness of a witness input (index 0 is 1, then the public signals, then the private ones). */
  witnessOf(input: Record<string, unknown>): Promise<bigint[]> {
    return this.#calculate((wc) => wc.calculateWitness(input, true));
  }

  /** Groth16 proof for a witness input; publicSignals are [class, commitment]. */
  async proveInput(input: Record<string, unknown>): Promise<ZkProofResult> {
    const wtns = await this.#calculate((wc) => wc.calculateWTNSBin(input, true));
    return snarkjs.groth16.prove({ type: "mem", data: this.zkey }, { type: "mem", data: wtns });
  }
}
