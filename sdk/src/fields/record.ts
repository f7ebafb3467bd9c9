/**
 * A private ZK record from a circuit descriptor (circuits/<name>/descriptor.json, written by
 * `npm run zk:setup`): the same code serves every generated circuit, with nothing per model.
 *
 * - The record's bytes are the model's `int32be-fixed-x<F>` (or `int32be-milli-x4`) input: F
 *   big-endian int32 fixed-point integers in the descriptor's field order, each range-checked to
 *   [0, 2^bits) as the circuit does.
 * - One secret per request: the 32-byte salt the requester sends to the intake is reduced to a master
 *   salt below the field order (`zkSalt`), and field i's salt is Poseidon(masterSalt, i) (salts.ts).
 * - The request's `inputCommitment` is the root of the per-field Merkle tree (tree.ts) over
 *   (values, salts): the circuit's public `commitment` signal, so the proof binds the result to that
 *   record, and any field can later be disclosed on its own (disclosure.ts).
 * No I/O and no state at import.
 */
import { getBytes, hexlify, zeroPadValue, toBeHex, type BytesLike } from "ethers";

import { deriveFieldSalts } from "./salts.ts";
import { fieldTree, treeDepth } from "./tree.ts";

/** The one commitment scheme generated circuits use. */
export const FIELD_MERKLE_SCHEME = "poseidon-field-merkle/1";

/** The part of a circuit descriptor the SDK and the worker need (the JSON file has more). */
export interface ZkCircuitSpec {
  name: string;
  model: { name: string; version: string; weightsHash: string };
  input: { encoding: string; fields: { name: string; scale: number; bits: number; unit?: string }[] };
  commitment: { scheme: string; fieldCount: number; depth: number };
  /** Names of the circuit's private input signals: the field values and their salts. */
  privateInputs: { values: string; salts: string };
  output: { kind: string; classes: number; labels: string[] };
}

/** A bundled circuit as the SDK carries it (generated/circuits.ts): its spec, verifier contract and key. */
export interface BundledZkCircuit extends ZkCircuitSpec {
  /** The generated Groth16 verifier contract's name (a deployment's `zkVerifiers` key). */
  verifier: { contract: string };
  /** The Groth16 verification key (snarkjs vkey.json). */
  vkey: unknown;
}

/** Thrown when a descriptor is not one this SDK can build inputs for. */
export class CircuitSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CircuitSpecError";
  }
}

/** Checks that `d` (parsed descriptor JSON) is a field-tree circuit; returns it typed. */
export function circuitSpec(d: unknown): ZkCircuitSpec {
  const s = d as Partial<ZkCircuitSpec>;
  const where = `circuit descriptor ${typeof s?.name === "string" ? s.name : "(unnamed)"}`;
  if (typeof s !== "object" || s === null || typeof s.name !== "string" || typeof s.model?.weightsHash !== "string")
    throw new CircuitSpecError(`${where} names no model weightsHash: regenerate it with npm run zk:setup`);
  if (s.commitment?.scheme !== FIELD_MERKLE_SCHEME)
    throw new CircuitSpecError(
      `${where} commits with ${String(s.commitment?.scheme)}, not ${FIELD_MERKLE_SCHEME}: regenerate it with npm run zk:setup`,
    );
  const fields = s.input?.fields;
  if (!Array.isArray(fields) || fields.length !== s.commitment.fieldCount)
    throw new CircuitSpecError(`${where}: input.fields does not match commitment.fieldCount: regenerate it`);
  if (treeDepth(fields.length) !== s.commitment.depth)
    throw new CircuitSpecError(`${where}: commitment.depth is not the tree depth of ${fields.length} fields`);
  for (const f of fields)
    if (!Number.isInteger(f.bits) || f.bits < 1 || f.bits > 31)
      throw new CircuitSpecError(`${where}: field ${f.name} has ${f.bits} bits; a circuit field has 1 to 31`);
  if (typeof s.privateInputs?.values !== "string" || typeof s.privateInputs.salts !== "string")
    throw new CircuitSpecError(`${where} names no private input signals: regenerate it with npm run zk:setup`);
  return s as ZkCircuitSpec;
}

/** The 32-byte request salt as the record's master salt (top bits cleared so it is < p). */
export function zkSalt(salt: BytesLike): bigint {
  return BigInt(hexlify(salt)) & ((1n << 248n) - 1n);
}

/** The record's fixed-point integers from the model-encoded input bytes (range-checked per field). */
export function recordFromBytes(spec: ZkCircuitSpec, input: BytesLike): bigint[] {
  const bytes = getBytes(input);
  const fields = spec.input.fields;
  if (bytes.length !== fields.length * 4)
    throw new RangeError(
      `${spec.name} input is ${fields.length * 4} bytes (${fields.length} × int32 big-endian), got ${bytes.length}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return fields.map((f, i) => {
    const v = view.getInt32(i * 4, false);
    if (v < 0 || v >= 2 ** f.bits)
      throw new RangeError(
        `${spec.name} field ${i} (${f.name}) = ${v} is outside the circuit's range [0, 2^${f.bits}): ` +
          `encode value × ${f.scale} as a non-negative integer below ${2 ** f.bits}`,
      );
    return BigInt(v);
  });
}

/** The per-field salts of a record from the request's 32-byte salt. */
export function recordSalts(spec: ZkCircuitSpec, salt: BytesLike): bigint[] {
  return deriveFieldSalts(zkSalt(salt), spec.input.fields.length);
}

/** The record's commitment (the field-tree root) as the bytes32 `inputCommitment`. */
export function recordCommitment(spec: ZkCircuitSpec, input: BytesLike, salt: BytesLike): string {
  const root = fieldTree(recordFromBytes(spec, input), recordSalts(spec, salt)).root;
  return zeroPadValue(toBeHex(root), 32);
}

/** The circuit's witness input for a record: { <values>: [...], <salts>: [...] } as decimal strings. */
export function recordWitnessInput(spec: ZkCircuitSpec, input: BytesLike, salt: BytesLike): Record<string, string[]> {
  return {
    [spec.privateInputs.values]: recordFromBytes(spec, input).map(String),
    [spec.privateInputs.salts]: recordSalts(spec, salt).map(String),
  };
}
