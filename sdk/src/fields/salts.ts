/**
 * Per-field salts from one master salt, so a requester keeps a single secret per record:
 *
 *   salt_i = Poseidon(masterSalt, i)      (circomlib Poseidon, 2 inputs; i = the field's index)
 *
 * Disclosing field i reveals salt_i only: Poseidon is one-way, so neither the master salt nor any
 * other field's salt follows from it, and the undisclosed fields stay hidden. The master salt must be
 * uniformly random below the field order (randomSalts(1)[0]) and never disclosed itself. The same
 * derivation is one Poseidon per field inside a circuit, should a circuit ever need to recompute it.
 * No I/O and no state at import.
 */
import { poseidon2 } from "poseidon-lite/poseidon2";

import { FIELD, treeDepth } from "./tree.ts";

/** The salts of a record's `fieldCount` fields derived from `masterSalt`. */
export function deriveFieldSalts(masterSalt: bigint, fieldCount: number): bigint[] {
  if (typeof masterSalt !== "bigint" || masterSalt < 0n || masterSalt >= FIELD) {
    throw new RangeError(
      `the master salt must be an integer in [0, BN254 field order), got ${String(masterSalt)}: draw it with randomSalts(1)`,
    );
  }
  treeDepth(fieldCount); // the same 1 … MAX_FIELDS bound as a record
  return Array.from({ length: fieldCount }, (_, i) => poseidon2([masterSalt, BigInt(i)]));
}
