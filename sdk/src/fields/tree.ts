/**
 * Field-level commitments: a record of F fields (field elements, e.g. fixed-point integers) is
 * committed as the root of a binary Poseidon Merkle tree whose leaves are per-field hiding commitments.
 *
 *   leaf_i = Poseidon(value_i, salt_i)            (circomlib Poseidon, 2 inputs; one salt per field)
 *   node   = Poseidon(left, right)
 *   depth  = max(1, ceil(log2 F)); leaves F … 2^depth − 1 are empty: the constant 0
 *
 * Leaf i sits at position i; its path lists the sibling at every level from the leaf up, and bit d
 * of i says whether the node at level d is a right child. The same scheme is computed by the
 * generated circuits (scripts/zk/circuit-generator.ts) and by FieldDisclosureVerifier on chain.
 * No I/O and no state at import.
 */
import { poseidon2 } from "poseidon-lite/poseidon2";

/** BN254 scalar field order: values, salts and hashes are below it. */
export const FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208617n;

/** The value of an empty leaf (positions F … 2^depth − 1). */
export const EMPTY_LEAF = 0n;

/** Most fields a record may have: 2^8. */
export const MAX_FIELDS = 256;

export const hashPair = (left: bigint, right: bigint): bigint => poseidon2([left, right]);

/** The hiding commitment to one field. */
export const fieldLeaf = (value: bigint, salt: bigint): bigint => poseidon2([value, salt]);

/** Depth of the tree for `fieldCount` fields: max(1, ceil(log2 F)). */
export function treeDepth(fieldCount: number): number {
  if (!Number.isSafeInteger(fieldCount) || fieldCount < 1 || fieldCount > MAX_FIELDS) {
    throw new RangeError(`a record has 1 to ${MAX_FIELDS} fields, not ${fieldCount}: check the circuit descriptor`);
  }
  return Math.max(1, Math.ceil(Math.log2(fieldCount)));
}

/** emptyRoots[d] is the root of an all-empty subtree of height d (emptyRoots[0] = EMPTY_LEAF). */
export function emptyRoots(depth: number): bigint[] {
  const z = [EMPTY_LEAF];
  for (let d = 0; d < depth; d++) z.push(hashPair(z[d]!, z[d]!));
  return z;
}

export interface FieldTree {
  fieldCount: number;
  depth: number;
  leaves: bigint[];
  /** levels[0] are the 2^depth leaves (padded), levels[depth] = [root]. */
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
  const levels: bigint[][] = [[...leaves, ...new Array<bigint>((1 << depth) - leaves.length).fill(EMPTY_LEAF)]];
  for (let d = 0; d < depth; d++) {
    const below = levels[d]!;
    const level: bigint[] = [];
    for (let k = 0; k < below.length; k += 2) {
      // A pair past the last real leaf is an empty subtree: its root is a constant.
      level.push(k * 2 ** d >= values.length ? zeros[d + 1]! : hashPair(below[k]!, below[k + 1]!));
    }
    levels.push(level);
  }
  return { fieldCount: values.length, depth, leaves, levels, root: levels[depth]![0]! };
}

/** The siblings of leaf `index` from the bottom up. */
export function merklePath(tree: FieldTree, index: number): bigint[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= tree.fieldCount) {
    throw new RangeError(`field index ${index} is outside [0, ${tree.fieldCount})`);
  }
  return Array.from({ length: tree.depth }, (_, d) => tree.levels[d]![(index >> d) ^ 1]!);
}

/** The root reached from `leaf` at `index` through `path` (siblings bottom up). */
export function rootFromPath(leaf: bigint, index: number, path: readonly bigint[]): bigint {
  let node = leaf;
  path.forEach((sibling, d) => {
    node = (index >> d) & 1 ? hashPair(sibling, node) : hashPair(node, sibling);
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
    const v = BigInt("0x" + Buffer.from(bytes).toString("hex"));
    if (v < FIELD) out.push(v);
  }
  return out;
}
