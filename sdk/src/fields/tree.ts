/**
 * Field-level commitments: a record of F fields (field elements, e.g. fixed-point integers) is
 * committed as the root of a 4-ary Poseidon Merkle tree whose leaves are per-field hiding commitments.
 *
 *   leaf_i = Poseidon(value_i, salt_i)            (circomlib Poseidon, 2 inputs; one salt per field)
 *   node   = Poseidon(c0, c1, c2, c3)             (circomlib Poseidon, 4 inputs: the node's children)
 *   depth  = max(1, ceil(log4 F)); leaves F … 4^depth − 1 are empty: the constant 0
 *
 * 4-ary rather than binary: a Poseidon of 4 inputs costs about 1.25× one of 2 in constraints and a
 * third of the nodes, which keeps a 10-field record's circuit under 2^12 constraints.
 * Leaf i sits at position i; its path lists, at every level from the leaf up, the node's three
 * siblings in order (the node itself left out), and base-4 digit d of i is the node's position among
 * its siblings at level d. The same scheme is computed by the
 * generated circuits (scripts/zk/circuit-generator.ts) and by FieldDisclosureVerifier on chain.
 * No I/O and no state at import.
 */
import { poseidon2 } from "poseidon-lite/poseidon2";
import { poseidon4 } from "poseidon-lite/poseidon4";

import { FIELD } from "../field.ts";

export { FIELD };

/** The value of an empty leaf (positions F … 2^depth − 1). */
export const EMPTY_LEAF = 0n;

/** Most fields a record may have: 2^8. */
export const MAX_FIELDS = 256;

/** Children per node. */
export const ARITY = 4;

/** A node from its four children. */
export const hashNode = (children: readonly bigint[]): bigint => poseidon4(children as bigint[]);

/** The hiding commitment to one field. */
export const fieldLeaf = (value: bigint, salt: bigint): bigint => poseidon2([value, salt]);

/** Depth of the tree for `fieldCount` fields: max(1, ceil(log4 F)). */
export function treeDepth(fieldCount: number): number {
  if (!Number.isSafeInteger(fieldCount) || fieldCount < 1 || fieldCount > MAX_FIELDS) {
    throw new RangeError(`a record has 1 to ${MAX_FIELDS} fields, not ${fieldCount}: check the circuit descriptor`);
  }
  let depth = 1;
  while (ARITY ** depth < fieldCount) depth++;
  return depth;
}

/** emptyRoots[d] is the root of an all-empty subtree of height d (emptyRoots[0] = EMPTY_LEAF). */
export function emptyRoots(depth: number): bigint[] {
  const z = [EMPTY_LEAF];
  for (let d = 0; d < depth; d++) z.push(hashNode(new Array<bigint>(ARITY).fill(z[d]!)));
  return z;
}

export interface FieldTree {
  fieldCount: number;
  depth: number;
  leaves: bigint[];
  /** levels[0] are the 4^depth leaves (padded), levels[depth] = [root]. */
  levels: bigint[][];
  root: bigint;
}

function checkElement(what: string, v: bigint): void {
  if (typeof v !== "bigint" || v < 0n || v >= FIELD) {
    throw new RangeError(`${what} must be an integer in [0, BN254 field order), got ${String(v)}`);
  }
}

/** The tree of `values` (one salt each). Throws a RangeError naming a value or salt outside the field. */
export function fieldTree(values: readonly bigint[], salts: readonly bigint[]): FieldTree {
  const depth = treeDepth(values.length);
  if (salts.length !== values.length) {
    throw new RangeError(`${values.length} values but ${salts.length} salts: give one salt per field`);
  }
  values.forEach((v, i) => checkElement(`value of field ${i}`, v));
  salts.forEach((s, i) => checkElement(`salt of field ${i}`, s));
  const leaves = values.map((v, i) => fieldLeaf(v, salts[i]!));
  const zeros = emptyRoots(depth);
  const levels: bigint[][] = [[...leaves, ...new Array<bigint>(ARITY ** depth - leaves.length).fill(EMPTY_LEAF)]];
  for (let d = 0; d < depth; d++) {
    const below = levels[d]!;
    const level: bigint[] = [];
    for (let k = 0; k < below.length; k += ARITY) {
      // Children past the last real leaf form an empty subtree: its root is a constant.
      level.push(k * ARITY ** d >= values.length ? zeros[d + 1]! : hashNode(below.slice(k, k + ARITY)));
    }
    levels.push(level);
  }
  return { fieldCount: values.length, depth, leaves, levels, root: levels[depth]![0]! };
}

/** Leaf `index`'s path: at each level from the bottom, the node's three siblings in order. */
export function merklePath(tree: FieldTree, index: number): bigint[][] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= tree.fieldCount) {
    throw new RangeError(`field index ${index} is outside [0, ${tree.fieldCount})`);
  }
  return Array.from({ length: tree.depth }, (_, d) => {
    const position = Math.floor(index / ARITY ** d);
    const first = position - (position % ARITY);
    return tree.levels[d]!.slice(first, first + ARITY).filter((_, j) => first + j !== position);
  });
}

/** The root reached from `leaf` at `index` through `path` (three siblings per level, bottom up). */
export function rootFromPath(leaf: bigint, index: number, path: readonly (readonly bigint[])[]): bigint {
  let node = leaf;
  path.forEach((siblings, d) => {
    const digit = Math.floor(index / ARITY ** d) % ARITY;
    node = hashNode([...siblings.slice(0, digit), node, ...siblings.slice(digit)]);
  });
  return node;
}

/** `n` uniformly random salts below the field order (rejection sampling from crypto.getRandomValues). */
export function randomSalts(n: number): bigint[] {
  const out: bigint[] = [];
  const bytes = new Uint8Array(32);
  while (out.length < n) {
    globalThis.crypto.getRandomValues(bytes);
    bytes[0] = bytes[0]! & 0x3f; // 254-bit candidates: accepted with probability ≈ 0.76
    const v = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
    if (v < FIELD) out.push(v);
  }
  return out;
}
