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
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

import { AbiCoder, getBytes, toBeHex, zeroPadValue, type BytesLike } from "ethers";

const require = createRequire(import.meta.url);
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** BN254 scalar field order: every circuit signal and Poseidon value lives below it. */
export const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
export const INPUT_SCALE = 1000;
/** Inputs are range-checked to [0, 2^INPUT_BITS) milli-cm in the circuit. */
export const INPUT_BITS = 16;
export const WEIGHT_SHIFT = 20n;
export const WEIGHT_SCALE = 1n << WEIGHT_SHIFT;
export const IRIS_FEATURES = 4;
export const IRIS_HIDDEN = 8;
export const IRIS_CLASSES = 3;

/** Committed artefacts of the iris circuit (written once by `scripts/zk-ceremony.ts`). */
export const IRIS_ZK = {
  circuit: join(ROOT, "circuits", "iris.circom"),
  dir: join(ROOT, "circuits", "iris"),
  r1cs: join(ROOT, "circuits", "iris", "iris.r1cs"),
  wasm: join(ROOT, "circuits", "iris", "iris.wasm"),
  zkey: join(ROOT, "circuits", "iris", "iris_final.zkey"),
  vkey: join(ROOT, "circuits", "iris", "vkey.json"),
  transcript: join(ROOT, "circuits", "iris", "transcript.json"),
  training: join(ROOT, "models", "iris", "training.json"),
} as const;

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
    prove(zkey: unknown, witness: unknown): Promise<ZkProofResult>;
    verify(vkey: unknown, publicSignals: string[], proof: Groth16Proof): Promise<boolean>;
  };
}
interface Poseidon {
  (inputs: bigint[]): Uint8Array;
  F: { toObject(v: Uint8Array): bigint };
}
interface WitnessCalculator {
  calculateWitness(input: unknown, sanityCheck: boolean): Promise<bigint[]>;
  calculateWTNSBin(input: unknown, sanityCheck: boolean): Promise<Uint8Array>;
}

const snarkjs = require("snarkjs") as SnarkJs;
const circomlibjs = require("circomlibjs") as { buildPoseidon(): Promise<Poseidon> };
const circomRuntime = require("circom_runtime") as {
  WitnessCalculatorBuilder(code: Uint8Array, options?: unknown): Promise<WitnessCalculator>;
};

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

/** Exported float32 weights from models/iris/training.json. */
export function loadIrisFloatWeights(path: string = IRIS_ZK.training): IrisFloatWeights {
  const training = JSON.parse(readFileSync(path, "utf8")) as { weights: { exported: IrisFloatWeights } };
  return training.weights.exported;
}

let fixedCache: IrisFixedWeights | undefined;
export function irisFixedWeights(): IrisFixedWeights {
  fixedCache ??= quantizeIris(loadIrisFloatWeights());
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
  return BigInt("0x" + randomBytes(31).toString("hex"));
}

let poseidonPromise: Promise<Poseidon> | undefined;
function poseidon(): Promise<Poseidon> {
  poseidonPromise ??= circomlibjs.buildPoseidon();
  return poseidonPromise;
}

/** Poseidon(x0, x1, x2, x3, salt) as a field element: the request's `inputCommitment`. */
export async function irisCommitment(x: readonly bigint[], salt: bigint): Promise<bigint> {
  checkIrisInput(x);
  if (salt < 0n || salt >= FIELD) throw new RangeError("salt must be a field element");
  const p = await poseidon();
  return p.F.toObject(p([...x, salt]));
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

/**
 * Loads the circuit's wasm and proving key once and proves warm. Construct with `IrisProver.load()`.
 */
export class IrisProver {
  readonly wasm: Uint8Array;
  readonly zkey: Uint8Array;

  constructor(wasm: Uint8Array, zkey: Uint8Array) {
    this.wasm = wasm;
    this.zkey = zkey;
  }

  static load(wasmPath: string = IRIS_ZK.wasm, zkeyPath: string = IRIS_ZK.zkey): IrisProver {
    return new IrisProver(readFileSync(wasmPath), readFileSync(zkeyPath));
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

  /** Full witness (index 0 is 1, then class, commitment, then private signals). */
  witness(x: readonly bigint[], salt: bigint): Promise<bigint[]> {
    return this.#calculate((wc) => wc.calculateWitness(circuitInput(x, salt), true));
  }

  /** Groth16 proof that `class = iris(x)` for the commitment to (x, salt). */
  async prove(x: readonly bigint[], salt: bigint): Promise<ZkProofResult> {
    checkIrisInput(x);
    const wtns = await this.#calculate((wc) => wc.calculateWTNSBin(circuitInput(x, salt), true));
    return snarkjs.groth16.prove({ type: "mem", data: this.zkey }, { type: "mem", data: wtns });
  }
}

/** Reads the committed verification key. */
export function loadVkey(path: string = IRIS_ZK.vkey): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Off-chain Groth16 verification with the verification key. */
export function verifyOffchain(vkey: unknown, publicSignals: string[], proof: Groth16Proof): Promise<boolean> {
  // One at a time: snarkjs builds its curve lazily, and two first calls at once would each build one
  // (with its own worker threads), leaving one that `zkShutdown` cannot reach.
  const run = verifyQueue.then(() => snarkjs.groth16.verify(vkey, publicSignals, proof) as Promise<boolean>);
  verifyQueue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}
let verifyQueue: Promise<void> = Promise.resolve();

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
