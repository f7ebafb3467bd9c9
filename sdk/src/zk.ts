/**
 * ZK mode for the iris model: the fixed-point arithmetic the circuit (circuits/iris.circom) proves,
 * the Poseidon input commitment, and proving / verifying helpers around snarkjs (Groth16).
 *
 * Fixed point. Inputs are the `int32be-milli-x4` integers (cm × 1000, range-checked to [0, 2^16)).
 * Weights are `round(w × 2^20)`; the hidden bias is `round(b1 × 1000 × 2^20)` and the output bias
 * `round(b2 × 1000 × 2^40)`, so every layer stays an exact integer with no rescaling:
 *   h_j = Σ_i x_i·W1[i][j] + B1[j]                 (scale 1000·2^20)
 *   o_k = Σ_j relu(h_j)·W2[j][k] + B2[k]           (scale 1000·2^40)
 *   class = argmax_k o_k (lowest index wins a tie)
 * Positive scaling does not move the argmax, so the class is the float model's up to the rounding
 * of the weights (relative error ≤ 2^-21 per weight).
 *
 * Public signals, in snarkjs order (the circuit's two outputs; it has no public inputs):
 *   [0] class, [1] commitment = Poseidon(x0, x1, x2, x3, salt).
 * The proof does not bind the operator: every ZK request names its operator, and only that operator
 * can fulfil it, so a proof copied from the mempool is worthless to anyone else.
 */
import { AbiCoder, getBytes, hexlify, randomBytes, toBeHex, zeroPadValue, type BytesLike } from "ethers";
import { poseidon5 } from "poseidon-lite/poseidon5";

import { IRIS_CIRCUIT } from "./generated/iris.ts";

import { FIELD } from "./field.ts";

export { FIELD };
export const INPUT_SCALE = 1000;
/** Inputs are range-checked to [0, 2^INPUT_BITS) milli-cm in the circuit. */
export const INPUT_BITS = 16;
export const WEIGHT_SHIFT = 20n;
export const WEIGHT_SCALE = 1n << WEIGHT_SHIFT;
export const IRIS_FEATURES = 4;
export const IRIS_HIDDEN = 8;
export const IRIS_CLASSES = 3;
export { IRIS_CIRCUIT };

export interface IrisFloatWeights {
  w1: number[][];
  b1: number[];
  w2: number[][];
  b2: number[];
}

export interface IrisFixedWeights {
  w1: bigint[][];
  b1: bigint[];
  w2: bigint[][];
  b2: bigint[];
}

export interface IrisFixedResult {
  hidden: bigint[];
  logits: bigint[];
  outputClass: number;
}

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

const round = (v: number): bigint => BigInt(Math.round(v));

/** The circuit's integer weights from the exported float32 weights (matrices are [in][out]). */
export function quantizeIris(w: IrisFloatWeights): IrisFixedWeights {
  const s = Number(WEIGHT_SCALE);
  return {
    w1: w.w1.map((row) => row.map((v) => round(v * s))),
    b1: w.b1.map((v) => round(v * INPUT_SCALE * s)),
    w2: w.w2.map((row) => row.map((v) => round(v * s))),
    b2: w.b2.map((v) => round(v * INPUT_SCALE * s * s)),
  };
}

let fixedCache: IrisFixedWeights | undefined;
/** The iris circuit's integer weights (from the float weights its descriptor carries). */
export function irisFixedWeights(): IrisFixedWeights {
  fixedCache ??= quantizeIris(IRIS_CIRCUIT.weights);
  return fixedCache;
}

/** Index of the largest value; the lowest index wins a tie (as `uint256-argmax` and the circuit). */
export function argmaxBig(values: readonly bigint[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Throws unless `x` is 4 integers in the circuit's input range [0, 2^16). */
export function checkIrisInput(x: readonly bigint[]): void {
  if (x.length !== IRIS_FEATURES) throw new RangeError(`iris input needs ${IRIS_FEATURES} values, got ${x.length}`);
  for (const [i, v] of x.entries()) {
    if (v < 0n || v >= 1n << BigInt(INPUT_BITS)) {
      throw new RangeError(`iris input ${i} = ${v} is outside [0, 2^${INPUT_BITS}) milli-cm`);
    }
  }
}

/** The circuit's arithmetic, exactly: milli-cm integers → hidden, logits (scaled integers), class. */
export function irisFixedForward(x: readonly bigint[], q: IrisFixedWeights = irisFixedWeights()): IrisFixedResult {
  checkIrisInput(x);
  const hidden = q.b1.map((b, j) => x.reduce((acc, xi, i) => acc + xi * q.w1[i]![j]!, b));
  const relu = hidden.map((h) => (h > 0n ? h : 0n));
  const logits = q.b2.map((b, k) => relu.reduce((acc, r, j) => acc + r * q.w2[j]![k]!, b));
  return { hidden, logits, outputClass: argmaxBig(logits) };
}

/** cm measurements → milli-cm integers (the `int32be-milli-x4` values). */
export function milliInputs(cm: readonly number[]): bigint[] {
  const x = cm.map((v) => round(v * INPUT_SCALE));
  checkIrisInput(x);
  return x;
}

/** `int32be-milli-x4` bytes → milli-cm integers (rejects values outside the circuit's range). */
export function irisInputFromBytes(data: BytesLike): bigint[] {
  const bytes = getBytes(data);
  if (bytes.length !== 16) throw new RangeError(`int32be-milli-x4 is 16 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const x = [0, 1, 2, 3].map((i) => BigInt(view.getInt32(i * 4, false)));
  checkIrisInput(x);
  return x;
}

/** A fresh random salt below the field order (31 random bytes). */
export function randomSalt(): bigint {
  return BigInt(hexlify(randomBytes(31)));
}

/** Poseidon(x0, x1, x2, x3, salt) as a field element: the request's `inputCommitment`. */
export async function irisCommitment(x: readonly bigint[], salt: bigint): Promise<bigint> {
  checkIrisInput(x);
  if (salt < 0n || salt >= FIELD) throw new RangeError("salt must be a field element");
  return poseidon5([...x, salt]);
}

/** The commitment as the bytes32 `inputCommitment` / `inputHash`. */
export function commitmentHex(commitment: bigint): string {
  return zeroPadValue(toBeHex(commitment), 32);
}

/** Selective disclosure, off-chain: does (input, salt) open `commitment`? False for any other input. */
export async function checkDisclosure(
  commitment: BytesLike | bigint,
  x: readonly bigint[],
  salt: bigint,
): Promise<boolean> {
  const c = typeof commitment === "bigint" ? commitment : BigInt(zeroPadValue(commitment, 32));
  try {
    return (await irisCommitment(x, salt)) === c;
  } catch {
    return false;
  }
}

/** The witness input object for the circuit. */
export function circuitInput(x: readonly bigint[], salt: bigint): Record<string, string | string[]> {
  return { x: x.map(String), salt: salt.toString() };
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
