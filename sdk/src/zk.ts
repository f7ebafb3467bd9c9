/**
 * ZK mode's proof plumbing, the same for every generated circuit (circuits/<name>/descriptor.json,
 * written by `npm run zk:setup`): the Groth16 proof shapes, off-chain verification with snarkjs, and
 * the coordinator's proof and output encodings. What a circuit proves, and how its input is committed
 * (the root of the per-field Poseidon tree), is in its descriptor and fields/record.ts; the bundled
 * circuits' descriptors and verification keys are in generated/circuits.ts.
 *
 * Public signals, in snarkjs order (a generated circuit's two outputs; it has no public inputs):
 *   [0] class, [1] commitment (the field-tree root over the record's values and salts).
 * The proof does not bind the operator: every ZK request names its operator, and only that operator
 * can fulfil it, so a proof copied from the mempool is worthless to anyone else.
 */
import { AbiCoder, hexlify, randomBytes, toBeHex, zeroPadValue } from "ethers";

import { FIELD } from "./field.ts";

export { FIELD };

export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

export interface ZkProofResult {
  proof: Groth16Proof;
  /** Decimal strings: [class, commitment]. */
  publicSignals: string[];
}

interface SnarkJs {
  groth16: {
    verify(vkey: unknown, publicSignals: string[], proof: Groth16Proof): Promise<boolean>;
    fullProve(
      input: Record<string, unknown>,
      wasm: string | { type: "mem"; data: Uint8Array },
      zkey: string | { type: "mem"; data: Uint8Array },
    ): Promise<ZkProofResult>;
  };
}

/**
 * snarkjs, loaded the first time a proof is checked. In Node its CommonJS build, the one the operator
 * node's prover loads too: two copies of its curve library in one process would each reset the shared
 * curve (`globalThis.curve_bn128`) and strand the other's threads. In a browser, its ESM build.
 */
let snarkjsPromise: Promise<SnarkJs> | undefined;
function snarkjs(): Promise<SnarkJs> {
  snarkjsPromise ??= (async () => {
    try {
      const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
      if (proc?.versions?.node) {
        const nodeModule = "node:module"; // not a literal import: browser bundlers leave it alone
        const { createRequire } = (await import(/* @vite-ignore */ nodeModule)) as {
          createRequire(from: string): (id: string) => unknown;
        };
        return createRequire(import.meta.url)("snarkjs") as SnarkJs;
      }
      return (await import("snarkjs")) as unknown as SnarkJs;
    } catch (err) {
      snarkjsPromise = undefined;
      const code = (err as { code?: string }).code;
      if (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND")
        throw new Error(
          "checking a ZK proof needs snarkjs, an optional peer of @verity-ai/sdk: run `npm install snarkjs@0.7.6`",
        );
      throw err;
    }
  })();
  return snarkjsPromise;
}

/** A fresh random salt below the field order (31 random bytes). */
export function randomSalt(): bigint {
  return BigInt(hexlify(randomBytes(31)));
}

/** The commitment as the bytes32 `inputCommitment` / `inputHash`. */
export function commitmentHex(commitment: bigint): string {
  return zeroPadValue(toBeHex(commitment), 32);
}

/** Off-chain Groth16 verification with the verification key. */
export function verifyOffchain(vkey: unknown, publicSignals: string[], proof: Groth16Proof): Promise<boolean> {
  // One at a time: snarkjs builds its curve lazily, and two first calls at once would each build one
  // (with its own worker threads), leaving one that `zkShutdown` cannot reach.
  const run = verifyQueue.then(async () => (await snarkjs()).groth16.verify(vkey, publicSignals, proof));
  verifyQueue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}
let verifyQueue: Promise<void> = Promise.resolve();

/**
 * A Groth16 proof with snarkjs: the witness of `input` from the circuit's `wasm`, then the proof with its
 * `zkey` (each a file path in Node, or the bytes). Queued with verifyOffchain for the same reason.
 */
export function proveGroth16(
  input: Record<string, unknown>,
  wasm: string | Uint8Array,
  zkey: string | Uint8Array,
): Promise<ZkProofResult> {
  const file = (f: string | Uint8Array) => (typeof f === "string" ? f : { type: "mem" as const, data: f });
  const run = verifyQueue.then(async () => (await snarkjs()).groth16.fullProve(input, file(wasm), file(zkey)));
  verifyQueue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

/** `uint256-argmax` output bytes: abi.encode(uint256 class). */
export function classOutput(outputClass: bigint | number): string {
  return AbiCoder.defaultAbiCoder().encode(["uint256"], [outputClass]);
}

type Pair = [bigint, bigint];

/** Proof points as the Solidity verifier takes them (`verifyProof(a, b, c, [class, commitment])`). */
export function groth16Calldata(proof: Groth16Proof): { a: Pair; b: [Pair, Pair]; c: Pair } {
  const n = (v: string | undefined): bigint => BigInt(v!);
  return {
    a: [n(proof.pi_a[0]), n(proof.pi_a[1])],
    // The EVM pairing precompile takes G2 coordinates as (imaginary, real): swap each pair.
    b: [
      [n(proof.pi_b[0]![1]), n(proof.pi_b[0]![0])],
      [n(proof.pi_b[1]![1]), n(proof.pi_b[1]![0])],
    ],
    c: [n(proof.pi_c[0]), n(proof.pi_c[1])],
  };
}

/** The coordinator's ZK proof bytes: abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256 class). */
export function encodeZkProof(proof: Groth16Proof, outputClass: bigint | number): string {
  const { a, b, c } = groth16Calldata(proof);
  return AbiCoder.defaultAbiCoder().encode(
    ["uint256[2]", "uint256[2][2]", "uint256[2]", "uint256"],
    [a, b, c, outputClass],
  );
}

/** Stops snarkjs's worker threads so the process can exit. */
export async function zkShutdown(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  if (g.curve_bn128) {
    await g.curve_bn128.terminate();
    g.curve_bn128 = null;
  }
}
