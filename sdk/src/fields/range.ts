/**
 * A range predicate over one committed field, proved in zero knowledge: "field `index` of the record
 * committed as `commitment` lies in [min, max]", without the value or its salt. The circuit
 * (circuits/field-range/field-range.circom) recomputes the leaf Poseidon(value, salt) and the path to
 * the root exactly as tree.ts does, and compares the value with the bounds as signed 32-bit integers,
 * the record's int32 encoding (a negative bound is the field element p − |x|).
 *
 * Public signals, in order: [root, index, min, max]. A verifier learns the record's commitment, the
 * field's index and the bounds — nothing else. One circuit per tree depth (records of up to 4, 16,
 * 64, 256 fields); its verification key ships in generated/field-range.ts, its prover files (wasm,
 * zkey) in circuits/field-range/d<depth>/. FieldRangeVerifier.sol runs the same check on chain.
 * No I/O at import; proving reads the circuit files it is given.
 */
import { FIELD_RANGE_VKEYS } from "../generated/field-range.ts";
import { groth16Calldata, proveGroth16, verifyOffchain, type Groth16Proof } from "../zk.ts";

import { FIELD, merklePath, treeDepth, type FieldTree } from "./tree.ts";

/** Bounds and values are signed 32-bit integers (the record's int32 encoding). */
export const RANGE_MIN = -(2n ** 31n);
export const RANGE_MAX = 2n ** 31n - 1n;

/** What is wrong with a range claim or proof. */
export type RangeProblem = "bounds" | "index" | "false" | "shape" | "depth" | "proof";

/** Thrown by proveFieldRange and checkFieldRange: `problem` says what is wrong. */
export class FieldRangeError extends Error {
  readonly problem: RangeProblem;
  constructor(problem: RangeProblem, message: string) {
    super(message);
    this.name = "FieldRangeError";
    this.problem = problem;
  }
}

/** A proof that field `index` of the record committed as `commitment` lies in [min, max]. */
export interface FieldRangeProof {
  commitment: bigint;
  fieldCount: number;
  index: number;
  min: bigint;
  max: bigint;
  proof: Groth16Proof;
}

/** A signed int32 bound as the circuit's field element. */
export const boundToField = (x: bigint): bigint => (x < 0n ? FIELD + x : x);

/** The public signals of a claim: [root, index, min, max] as decimal strings. */
export function rangePublicSignals(c: Pick<FieldRangeProof, "commitment" | "index" | "min" | "max">): string[] {
  return [c.commitment, BigInt(c.index), boundToField(c.min), boundToField(c.max)].map(String);
}

/** The proof's eight words as FieldRangeVerifier takes them (a, b in the precompile's order, c). */
export function rangeProofWords(proof: Groth16Proof): bigint[] {
  const { a, b, c } = groth16Calldata(proof);
  return [...a, ...b[0], ...b[1], ...c];
}

const fail = (problem: RangeProblem, message: string): never => {
  throw new FieldRangeError(problem, message);
};

/** Checks what the circuit and the contract need of a claim, with sentences that say what to change. */
function checkClaim(fieldCount: number, index: number, min: bigint, max: bigint, name: string): number {
  let depth = 0;
  try {
    depth = treeDepth(fieldCount);
  } catch (err) {
    fail("shape", (err as Error).message);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= fieldCount)
    fail("index", `field index ${index} is outside [0, ${fieldCount}): name a field of the record`);
  for (const [what, b] of [
    ["lower", min],
    ["upper", max],
  ] as const) {
    if (typeof b !== "bigint" || b < RANGE_MIN || b > RANGE_MAX)
      fail(
        "bounds",
        `the ${what} bound ${String(b)} of ${name} is not a signed 32-bit integer (the record's encoding): give a bound in [${RANGE_MIN}, ${RANGE_MAX}] in encoded units`,
      );
  }
  if (min > max)
    fail("bounds", `the range [${min}, ${max}] of ${name} is empty: the lower bound must not exceed the upper`);
  return depth;
}

export interface ProveRangeOptions {
  /** The record's tree (fieldTree(values, salts)). */
  tree: FieldTree;
  values: readonly bigint[];
  salts: readonly bigint[];
  index: number;
  /** Inclusive bounds, in the record's encoded (fixed-point) units. */
  min: bigint;
  max: bigint;
  /** The circuit's witness generator and proving key for the record's depth (paths in Node, or bytes). */
  wasm: string | Uint8Array;
  zkey: string | Uint8Array;
  /** The field's name, for messages. */
  name?: string;
}

/**
 * Proves that field `index` of the record lies in [min, max]. A false predicate is refused before
 * proving (FieldRangeError "false"): the circuit has no witness for it.
 */
export async function proveFieldRange(o: ProveRangeOptions): Promise<FieldRangeProof> {
  const name = o.name ? `field ${o.index} (${o.name})` : `field ${o.index}`;
  checkClaim(o.tree.fieldCount, o.index, o.min, o.max, name);
  if (o.values.length !== o.tree.fieldCount || o.salts.length !== o.tree.fieldCount)
    fail("shape", `the record has ${o.tree.fieldCount} fields: give its ${o.tree.fieldCount} values and salts`);
  const value = o.values[o.index]!;
  // The committed element read as a signed integer, as the circuit reads it (p − |x| is −|x|).
  const signed = value > FIELD / 2n ? value - FIELD : value;
  if (signed < RANGE_MIN || signed > RANGE_MAX)
    fail("false", `the value of ${name} is not a signed 32-bit integer: no range over it can be proved`);
  if (signed < o.min || signed > o.max)
    fail(
      "false",
      `the value of ${name} is outside [${o.min}, ${o.max}]: the predicate is false and cannot be proved; choose bounds that hold`,
    );
  const input = {
    root: String(o.tree.root),
    index: String(o.index),
    min: String(boundToField(o.min)),
    max: String(boundToField(o.max)),
    value: String(value),
    salt: String(o.salts[o.index]!),
    path: merklePath(o.tree, o.index).map((level) => level.map(String)),
  };
  const { proof, publicSignals } = await proveGroth16(input, o.wasm, o.zkey);
  const claim = {
    commitment: o.tree.root,
    fieldCount: o.tree.fieldCount,
    index: o.index,
    min: o.min,
    max: o.max,
    proof,
  };
  if (JSON.stringify(publicSignals) !== JSON.stringify(rangePublicSignals(claim)))
    fail(
      "proof",
      `the circuit proved ${publicSignals.join(", ")}, not the claim: check the wasm and zkey are for depth ${o.tree.depth}`,
    );
  return claim;
}

/**
 * Checks a range proof off chain against `commitment` (the request's inputHash) with the SDK's
 * verification key for the record's depth. Throws a FieldRangeError naming the problem; returns true.
 */
export async function checkFieldRange(
  commitment: bigint,
  p: FieldRangeProof,
  o: { fieldCount?: number; name?: string } = {},
): Promise<true> {
  const name = o.name ? `field ${p.index} (${o.name})` : `field ${p.index}`;
  if (o.fieldCount !== undefined && p.fieldCount !== o.fieldCount)
    fail(
      "shape",
      `the proof says ${p.fieldCount} fields, the record has ${o.fieldCount}: it is for another record layout`,
    );
  const depth = checkClaim(p.fieldCount, p.index, p.min, p.max, name);
  if (p.commitment !== commitment)
    fail("proof", `the proof is for commitment ${p.commitment}, not ${commitment}: check which request it belongs to`);
  const vkey = FIELD_RANGE_VKEYS[depth];
  if (!vkey) fail("depth", `no field-range circuit is built for depth ${depth}: run npm run zk:range -- ${depth}`);
  if (!(await verifyOffchain(vkey, rangePublicSignals(p), p.proof)))
    fail(
      "proof",
      `the proof does not show that ${name} of commitment ${commitment} lies in [${p.min}, ${p.max}]: it was made for another record, field or bounds`,
    );
  return true;
}

type Json = {
  commitment: string;
  fieldCount: number;
  index: number;
  min: string;
  max: string;
  proof: Groth16Proof;
};

/** A range proof as JSON-safe data (integers as decimal strings). */
export function fieldRangeToJson(p: FieldRangeProof): Json {
  return {
    commitment: p.commitment.toString(),
    fieldCount: p.fieldCount,
    index: p.index,
    min: p.min.toString(),
    max: p.max.toString(),
    proof: p.proof,
  };
}

/** Parses fieldRangeToJson's output; a malformed part is named. */
export function fieldRangeFromJson(j: Json): FieldRangeProof {
  const int = (s: unknown, what: string, signed: boolean): bigint => {
    if (typeof s !== "string" || !(signed ? /^-?[0-9]+$/ : /^[0-9]+$/).test(s))
      fail("shape", `${what} ${JSON.stringify(s)} is not a decimal integer`);
    return BigInt(s as string);
  };
  if (!Number.isSafeInteger(j.fieldCount) || !Number.isSafeInteger(j.index))
    fail("shape", "fieldCount and index must be integers");
  const pr = j.proof as Partial<Groth16Proof> | undefined;
  if (!pr || !Array.isArray(pr.pi_a) || !Array.isArray(pr.pi_b) || !Array.isArray(pr.pi_c))
    fail("shape", "the proof has no Groth16 points (pi_a, pi_b, pi_c)");
  return {
    commitment: int(j.commitment, "commitment", false),
    fieldCount: j.fieldCount,
    index: j.index,
    min: int(j.min, "min", true),
    max: int(j.max, "max", true),
    proof: j.proof,
  };
}
