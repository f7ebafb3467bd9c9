/**
 * Selective disclosure of a committed record: open any subset of its fields (value, salt, leaf and
 * Merkle path each) and check such a disclosure against the commitment. The check's errors name what
 * is wrong — the index, the value, the salt, the opening (value or salt: the two fail the same hash,
 * and a hiding commitment cannot say which), or the path. FieldDisclosureVerifier.sol applies the
 * same rules on chain, in the same order. No I/O and no state at import.
 */
import { ARITY, FIELD, fieldLeaf, merklePath, rootFromPath, treeDepth, type FieldTree } from "./tree.ts";

/** One disclosed field. */
export interface FieldOpening {
  /** The field's position in the record (its index in the circuit descriptor's input.fields). */
  index: number;
  /** The committed integer (the fixed-point encoding, e.g. worst radius 25.38 → 25380). */
  value: bigint;
  salt: bigint;
  /** Poseidon(value, salt), as committed. */
  leaf: bigint;
  /** At each level from the bottom, the node's three siblings in order. */
  path: bigint[][];
}

export interface FieldDisclosure {
  /** The record's commitment (the ZK circuit's public signal, the request's inputHash). */
  commitment: bigint;
  fieldCount: number;
  /** Openings in ascending index order. */
  fields: FieldOpening[];
}

export type DisclosureProblem = "shape" | "index" | "value" | "salt" | "opening" | "path";

/** Thrown by checkFieldDisclosure: `problem` says which part is wrong, `index` for which field. */
export class FieldDisclosureError extends Error {
  readonly problem: DisclosureProblem;
  readonly index: number | undefined;
  constructor(problem: DisclosureProblem, index: number | undefined, message: string) {
    super(message);
    this.name = "FieldDisclosureError";
    this.problem = problem;
    this.index = index;
  }
}

/** Opens the fields at `indices` of a committed record (its tree from fieldTree). */
export function discloseFields(
  tree: FieldTree,
  values: readonly bigint[],
  salts: readonly bigint[],
  indices: readonly number[],
): FieldDisclosure {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  if (sorted.length === 0) throw new RangeError("name at least one field to disclose");
  return {
    commitment: tree.root,
    fieldCount: tree.fieldCount,
    fields: sorted.map((index) => {
      const path = merklePath(tree, index);
      return { index, value: values[index]!, salt: salts[index]!, leaf: tree.leaves[index]!, path };
    }),
  };
}

const isElement = (v: unknown): v is bigint => typeof v === "bigint" && v >= 0n && v < FIELD;

export interface CheckOptions {
  /** The record's field count from the circuit descriptor; the disclosure's own is checked against it. */
  fieldCount?: number;
  /** Per-field names and bit widths from the descriptor: a value must lie in [0, 2^bits). */
  fields?: readonly { name: string; bits: number }[];
}

/**
 * Checks a disclosure against `commitment` and returns the disclosed values by index. Throws a
 * FieldDisclosureError naming the first problem found; nothing is accepted partially.
 */
export function checkFieldDisclosure(
  commitment: bigint,
  d: FieldDisclosure,
  o: CheckOptions = {},
): Map<number, bigint> {
  const fail = (problem: DisclosureProblem, index: number | undefined, message: string): never => {
    throw new FieldDisclosureError(problem, index, message);
  };
  const fieldCount = o.fieldCount ?? d.fieldCount;
  if (o.fieldCount !== undefined && d.fieldCount !== o.fieldCount) {
    fail(
      "shape",
      undefined,
      `the disclosure says ${d.fieldCount} fields, the circuit has ${o.fieldCount}: it is for another record layout`,
    );
  }
  let depth = 0;
  try {
    depth = treeDepth(fieldCount);
  } catch (err) {
    fail("shape", undefined, (err as Error).message);
  }
  if (d.commitment !== commitment) {
    fail(
      "shape",
      undefined,
      `the disclosure is for commitment ${d.commitment}, not ${commitment}: check which request it belongs to`,
    );
  }
  if (d.fields.length === 0) fail("shape", undefined, "the disclosure opens no field");
  const name = (i: number) => (o.fields?.[i] ? ` (${o.fields[i]!.name})` : "");
  const out = new Map<number, bigint>();
  let previous = -1;
  for (const f of d.fields) {
    const i = f.index;
    if (!Number.isSafeInteger(i) || i < 0 || i >= fieldCount)
      fail("index", i, `field index ${i} is outside [0, ${fieldCount})`);
    if (i <= previous)
      fail("index", i, `field index ${i} comes after ${previous}: list each field once, in ascending order`);
    previous = i;
    if (!isElement(f.value))
      fail("value", i, `the value of field ${i}${name(i)} is not an integer in [0, field order)`);
    const bits = o.fields?.[i]?.bits;
    if (bits !== undefined && f.value >= 1n << BigInt(bits)) {
      fail("value", i, `the value ${f.value} of field ${i}${name(i)} is outside its range [0, 2^${bits})`);
    }
    if (!isElement(f.salt)) fail("salt", i, `the salt of field ${i}${name(i)} is not an integer in [0, field order)`);
    if (f.path.length !== depth || f.path.some((level) => level.length !== ARITY - 1)) {
      fail("path", i, `the path of field ${i}${name(i)} must have ${depth} levels of ${ARITY - 1} siblings`);
    }
    if (f.path.some((level) => level.some((s) => !isElement(s))))
      fail("path", i, `a sibling in the path of field ${i}${name(i)} is not a field element`);
    if (fieldLeaf(f.value, f.salt) !== f.leaf) {
      fail(
        "opening",
        i,
        `the value or the salt of field ${i}${name(i)} is wrong: Poseidon(value, salt) is not its committed leaf`,
      );
    }
    if (rootFromPath(f.leaf, i, f.path) !== commitment) {
      for (let j = 0; j < fieldCount; j++) {
        if (j !== i && rootFromPath(f.leaf, j, f.path) === commitment) {
          fail("index", i, `field ${i}'s opening and path are those of field ${j}: the index is wrong`);
        }
      }
      fail("path", i, `the Merkle path of field ${i}${name(i)} does not lead to the commitment`);
    }
    out.set(i, f.value);
  }
  return out;
}

type Json = {
  commitment: string;
  fieldCount: number;
  fields: { index: number; value: string; salt: string; leaf: string; path: string[][] }[];
};

/** A disclosure as JSON-safe data (integers as decimal strings). */
export function disclosureToJson(d: FieldDisclosure): Json {
  return {
    commitment: d.commitment.toString(),
    fieldCount: d.fieldCount,
    fields: d.fields.map((f) => ({
      index: f.index,
      value: f.value.toString(),
      salt: f.salt.toString(),
      leaf: f.leaf.toString(),
      path: f.path.map((l) => l.map(String)),
    })),
  };
}

/** Parses disclosureToJson's output; a malformed integer is reported with its field. */
export function disclosureFromJson(j: Json): FieldDisclosure {
  const int = (s: string, what: string): bigint => {
    if (typeof s !== "string" || !/^[0-9]+$/.test(s))
      throw new FieldDisclosureError("shape", undefined, `${what} "${s}" is not a decimal integer`);
    return BigInt(s);
  };
  return {
    commitment: int(j.commitment, "commitment"),
    fieldCount: j.fieldCount,
    fields: j.fields.map((f) => ({
      index: f.index,
      value: int(f.value, `value of field ${f.index}`),
      salt: int(f.salt, `salt of field ${f.index}`),
      leaf: int(f.leaf, `leaf of field ${f.index}`),
      path: f.path.map((l) => l.map((s) => int(s, `path of field ${f.index}`))),
    })),
  };
}
