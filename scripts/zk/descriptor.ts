/**
 * The circuit descriptor (circuits/<name>/descriptor.json): everything the SDK, the worker and the
 * registry need to use a generated circuit with no per-model code — the model it proves, the input
 * fields and their fixed-point encoding, the commitment scheme, the public signals, the class labels,
 * the artefact files and the verifier contract. Paths are relative to the descriptor's directory.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import { ARITY } from "@verity-ai/sdk";
import type { FixedPointEncoding, FixedPointField, QuantizedMlp } from "./circuit-generator.ts";
import type { Groth16Proof } from "@verity-ai/sdk";

const require = createRequire(import.meta.url);

export const DESCRIPTOR_SCHEMA = "verity-zk-circuit/1";
export const COMMITMENT_SCHEME = "poseidon-field-merkle/1";

export interface CircuitDescriptor {
  schema: typeof DESCRIPTOR_SCHEMA;
  name: string;
  /** keccak256 of the r1cs: the constraint system this key and verifier are for. */
  circuitId: string;
  generator: string;
  model: { name: string; version: string; weightsHash: string; manifest: string; file: string };
  input: {
    encoding: string;
    onnxInput: FixedPointEncoding["onnxInput"];
    fields: (FixedPointField & { index: number; description?: string })[];
  };
  commitment: {
    scheme: typeof COMMITMENT_SCHEME;
    leaf: string;
    node: string;
    arity: number;
    fieldCount: number;
    depth: number;
    emptyLeaf: string;
  };
  privateInputs: { values: string; salts: string };
  publicSignals: ["class", "commitment"];
  output: { kind: "argmax" | "sign"; classes: number; labels: string[] };
  quantization: {
    inputMultiplier: string;
    layers: { inputs: number; outputs: number; relu: boolean; shift: number; exact: boolean; signBits: number }[];
    compareBits: number;
  };
  r1cs: { constraints: number; wires: number; powersOfTau: number };
  artefacts: {
    circuit: string;
    r1cs: string;
    wasm: string;
    zkey: string;
    vkey: string;
    transcript: string;
    ptau: string;
  };
  verifier: { contract: string; source: string; classes: number };
}

interface ManifestLike {
  name: string;
  version: string;
  weightsHash: string;
  file: string;
  input: {
    encoding: string;
    fields?: { name: string; unit?: string; scale: number; bits: number; description?: string }[];
  };
  output: { labels?: string[] };
}

/**
 * The fixed-point encoding a bundled model's manifest declares: `int32be-fixed-x*` with
 * `input.fields` (the graph reads the integers), or `int32be-milli-x4` (four values × 1000, the graph
 * reads value = n / 1000) with its four `input.fields` (scale 1000; names, units, bits), or without
 * them four 16-bit fields named from `featureNames` (x0..x3 by default).
 */
export function encodingFromManifest(
  m: ManifestLike,
  featureNames: readonly string[] = [],
): FixedPointEncoding & { fields: (FixedPointField & { description?: string })[] } {
  if (m.input.encoding.startsWith("int32be-fixed-x")) {
    if (!m.input.fields || m.input.fields.length === 0) {
      throw new Error(
        `${m.name}: encoding ${m.input.encoding} needs input.fields (name, unit, scale, bits) in the manifest`,
      );
    }
    return { onnxInput: "integer", fields: m.input.fields.map((f) => ({ ...f })) };
  }
  if (m.input.encoding === "int32be-milli-x4") {
    if (m.input.fields !== undefined) {
      const wrong =
        m.input.fields.length !== 4
          ? `has ${m.input.fields.length} fields`
          : m.input.fields.find((f) => f.scale !== 1000)
            ? "has a field whose scale is not 1000"
            : undefined;
      if (wrong !== undefined)
        throw new Error(
          `${m.name}: encoding int32be-milli-x4 is four values × 1000, but input.fields ${wrong}: fix the manifest`,
        );
      return { onnxInput: "scaled", fields: m.input.fields.map((f) => ({ ...f })) };
    }
    return {
      onnxInput: "scaled",
      fields: Array.from({ length: 4 }, (_, i) => ({ name: featureNames[i] ?? `x${i}`, scale: 1000, bits: 16 })),
    };
  }
  throw new Error(
    `${m.name}: input encoding ${m.input.encoding} has no fixed-point form for a circuit: ` +
      "use int32be-fixed-x<N> with input.fields, or int32be-milli-x4",
  );
}

/** The descriptor's model-dependent part; the setup fills in r1cs, circuitId and artefact hashes. */
export function describe(
  m: ManifestLike,
  manifestPath: string,
  q: QuantizedMlp,
  encoding: ReturnType<typeof encodingFromManifest>,
  depth: number,
): Omit<CircuitDescriptor, "circuitId" | "r1cs" | "artefacts" | "verifier"> {
  const labels = m.output.labels ?? Array.from({ length: q.output.classes }, (_, k) => String(k));
  if (labels.length !== q.output.classes) {
    throw new Error(
      `${m.name}: the manifest has ${labels.length} output labels, the graph gives ${q.output.classes} classes`,
    );
  }
  return {
    schema: DESCRIPTOR_SCHEMA,
    name: m.name,
    generator: "scripts/zk/circuit-generator.ts",
    model: { name: m.name, version: m.version, weightsHash: m.weightsHash, manifest: manifestPath, file: m.file },
    input: {
      encoding: m.input.encoding,
      onnxInput: encoding.onnxInput,
      fields: encoding.fields.map((f, index) => ({ index, ...f })),
    },
    commitment: {
      scheme: COMMITMENT_SCHEME,
      leaf: "Poseidon(value, salt)",
      node: "Poseidon(c0, c1, c2, c3)",
      arity: ARITY,
      fieldCount: encoding.fields.length,
      depth,
      emptyLeaf: "0",
    },
    privateInputs: { values: "x", salts: "salt" },
    publicSignals: ["class", "commitment"],
    output: { kind: q.output.kind, classes: q.output.classes, labels },
    quantization: {
      inputMultiplier: q.inputMultiplier.toString(),
      layers: q.layers.map((l) => ({
        inputs: l.weights.length,
        outputs: l.bias.length,
        relu: l.relu,
        shift: l.shift,
        exact: l.exact,
        signBits: l.signBits,
      })),
      compareBits: q.output.compareBits,
    },
  };
}

export function readDescriptor(path: string): CircuitDescriptor {
  const d = JSON.parse(readFileSync(path, "utf8")) as CircuitDescriptor;
  if (d.schema !== DESCRIPTOR_SCHEMA) throw new Error(`${path}: schema ${d.schema}, expected ${DESCRIPTOR_SCHEMA}`);
  return d;
}

/** Absolute path of one of the descriptor's artefacts. */
export const artefactPath = (
  descriptorPath: string,
  d: CircuitDescriptor,
  key: keyof CircuitDescriptor["artefacts"],
): string => join(dirname(descriptorPath), d.artefacts[key]);

export type { Groth16Proof };

interface WitnessCalculator {
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck: boolean): Promise<Uint8Array>;
}

/**
 * Proves warm for one descriptor's circuit: the wasm and the proving key are read once and the
 * witness calculator is built once. `CircuitProver.load(descriptorPath)`.
 */
export class CircuitProver {
  readonly descriptor: CircuitDescriptor;
  readonly #wasm: Uint8Array;
  readonly #zkey: Uint8Array;
  #calculator: Promise<WitnessCalculator> | undefined;

  private constructor(descriptor: CircuitDescriptor, wasm: Uint8Array, zkey: Uint8Array) {
    this.descriptor = descriptor;
    this.#wasm = wasm;
    this.#zkey = zkey;
  }

  static load(descriptorPath: string): CircuitProver {
    const d = readDescriptor(descriptorPath);
    return new CircuitProver(
      d,
      readFileSync(artefactPath(descriptorPath, d, "wasm")),
      readFileSync(artefactPath(descriptorPath, d, "zkey")),
    );
  }

  async prove(
    values: readonly bigint[],
    salts: readonly bigint[],
  ): Promise<{ proof: Groth16Proof; publicSignals: string[] }> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const snarkjs = require("snarkjs") as any;
    const runtime = require("circom_runtime") as {
      WitnessCalculatorBuilder(wasm: Uint8Array): Promise<WitnessCalculator>;
    };
    this.#calculator ??= runtime.WitnessCalculatorBuilder(this.#wasm);
    const input = {
      [this.descriptor.privateInputs.values]: values.map(String),
      [this.descriptor.privateInputs.salts]: salts.map(String),
    };
    let wtns: Uint8Array;
    try {
      wtns = await (await this.#calculator).calculateWTNSBin(input, true);
    } catch (err) {
      this.#calculator = undefined; // a failed assert may leave the instance's memory dirty
      throw err;
    }
    return snarkjs.groth16.prove({ type: "mem", data: this.#zkey }, { type: "mem", data: wtns });
  }
}

/** A Groth16 proof for a record (fixed-point integers) and its salts with the descriptor's circuit. */
export async function proveRecord(
  descriptorPath: string,
  values: readonly bigint[],
  salts: readonly bigint[],
): Promise<{ proof: Groth16Proof; publicSignals: string[] }> {
  const d = readDescriptor(descriptorPath);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const snarkjs = require("snarkjs") as any;
  return snarkjs.groth16.fullProve(
    { [d.privateInputs.values]: values.map(String), [d.privateInputs.salts]: salts.map(String) },
    artefactPath(descriptorPath, d, "wasm"),
    artefactPath(descriptorPath, d, "zkey"),
  );
}
