/**
 * A private record: a model's fixed-point input committed field by field. Its layout (a RecordSpec)
 * comes from a circuit descriptor (circuits/<name>/descriptor.json, written by `npm run zk:setup`)
 * for ZK requests, or from the model's manifest (`input.fields`, recordSpecFromManifest) for TEE
 * requests: the two carry the same fields, so the same record and salt give the same commitment in
 * either mode, and one disclosure format serves both. Nothing here is per model.
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

/** One fixed-point field of a record: sent as round(value × scale), in [0, 2^bits). */
export interface RecordField {
  name: string;
  scale: number;
  bits: number;
  unit?: string;
}

/** What committing a record needs: whose record it is and its fields in input order. */
export interface RecordSpec {
  /** The model's (or circuit's) name, for error messages. */
  name: string;
  input: { encoding: string; fields: readonly RecordField[] };
}

/** The part of a circuit descriptor the SDK and the worker need (the JSON file has more). */
export interface ZkCircuitSpec extends RecordSpec {
  model: { name: string; version: string; weightsHash: string };
  input: { encoding: string; fields: RecordField[] };
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

/**
 * The record layout a model's manifest declares (its `input.fields`), or undefined for a model with no
 * field record (raw tensors such as audio frames, or an input without named fields): such a model's
 * private TEE requests commit keccak256(abi.encode(input, salt)) instead (private.ts). Throws
 * CircuitSpecError when the manifest declares fields its input encoding cannot carry.
 */
export function recordSpecFromManifest(manifest: {
  name: string;
  input: { encoding: string; byteLength: number; fields?: readonly RecordField[] };
}): RecordSpec | undefined {
  const fields = manifest.input.fields;
  if (fields === undefined || fields.length === 0) return undefined;
  const where = `model ${manifest.name}`;
  if (!manifest.input.encoding.startsWith("int32be-") || manifest.input.byteLength !== fields.length * 4)
    throw new CircuitSpecError(
      `${where} declares ${fields.length} input.fields but its input is ${manifest.input.byteLength} bytes of ${manifest.input.encoding}: ` +
        `a field record is one int32 big-endian integer per field; fix the manifest`,
    );
  try {
    treeDepth(fields.length);
  } catch (err) {
    throw new CircuitSpecError(`${where}: ${(err as Error).message}`);
  }
  return {
    name: manifest.name,
    input: {
      encoding: manifest.input.encoding,
      fields: fields.map(({ name, scale, bits, unit }) => ({ name, scale, bits, unit })),
    },
  };
}

/** The 32-byte request salt as the record's master salt (top bits cleared so it is < p). */
export function zkSalt(salt: BytesLike): bigint {
  return BigInt(hexlify(salt)) & ((1n << 248n) - 1n);
}

/** The record's fixed-point integers from the model-encoded input bytes (range-checked per field). */
export function recordFromBytes(spec: RecordSpec, input: BytesLike): bigint[] {
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
        `${spec.name} field ${i} (${f.name}) = ${v} is outside the record's range [0, 2^${f.bits}): ` +
          `encode value × ${f.scale} as a non-negative integer below ${2 ** f.bits}`,
      );
    return BigInt(v);
  });
}

/** The per-field salts of a record from the request's 32-byte salt. */
export function recordSalts(spec: RecordSpec, salt: BytesLike): bigint[] {
  return deriveFieldSalts(zkSalt(salt), spec.input.fields.length);
}

/** The record's commitment (the field-tree root) as the bytes32 `inputCommitment`. */
export function recordCommitment(spec: RecordSpec, input: BytesLike, salt: BytesLike): string {
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
