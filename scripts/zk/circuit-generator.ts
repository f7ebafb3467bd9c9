/**
 * One generator for every supported model: a parsed ONNX MLP (scripts/zk/onnx-graph.ts) plus its
 * fixed-point input encoding → a circom circuit, an exact bigint reference of what the circuit
 * computes, and the circuit descriptor's model-dependent part.
 *
 * The circuit's private inputs are the record's fields x[F] (fixed-point integers, each range-checked
 * to [0, 2^bits)) and one salt per field; its public signals are [class, commitment], where commitment
 * is the root of the per-field Poseidon Merkle tree of sdk/src/fields/tree.ts.
 *
 * Arithmetic is exact: every float32 weight and bias is m·2^e, so layer l is scaled by 2^S_l (the
 * fewest fractional bits its float32 constants need, at most MAX_SHIFT) and computed in integers;
 * with scaled inputs (value = n / scale) layer 1 is also multiplied by L = lcm(scales). The circuit
 * computes the real-number result of the float32 graph on the encoded input times a positive
 * constant, so its argmax / sign is the graph's up to float32 rounding in onnxruntime (tests check
 * agreement on every held-out row).
 */
import { ARITY, EMPTY_LEAF, emptyRoots, treeDepth } from "@verity-ai/sdk";
import type { OnnxMlp } from "./onnx-graph.ts";

/** Most fractional bits a layer's constants are scaled by (rounded beyond it). */
export const MAX_SHIFT = 64;
/** Widest sign test: Num2Bits is only sound well below the 254-bit field. */
export const MAX_SIGN_BITS = 250;

export interface FixedPointField {
  name: string;
  unit?: string;
  /** value = n / scale. */
  scale: number;
  /** n lies in [0, 2^bits). */
  bits: number;
}

export interface FixedPointEncoding {
  fields: FixedPointField[];
  /** "integer": the ONNX graph reads n itself; "scaled": it reads n / scale. */
  onnxInput: "integer" | "scaled";
}

export interface QuantizedLayer {
  /** [in][out] integers: weight × 2^shift (× L / scale_i in layer 1 with scaled inputs). */
  weights: bigint[][];
  /** [out] integers: bias × 2^shift × 2^(previous shifts) × L. */
  bias: bigint[];
  relu: boolean;
  shift: number;
  /** Whether every constant was represented exactly (no rounding). */
  exact: boolean;
  /** Bits of the sign test on this layer's outputs (ReLU), or 0. */
  signBits: number;
}

export interface QuantizedMlp {
  encoding: FixedPointEncoding;
  inputMultiplier: bigint;
  layers: QuantizedLayer[];
  output: { kind: "argmax" | "sign"; classes: number; compareBits: number };
}

const bitLength = (v: bigint): number => (v === 0n ? 0 : v.toString(2).length);
const abs = (v: bigint): bigint => (v < 0n ? -v : v);
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/** Fewest fractional bits that make a float exact (float32 needs at most 149). */
function fractionalBits(v: number): number {
  if (!Number.isFinite(v))
    throw new Error(`the graph has a constant ${v}: only finite weights can be put in a circuit`);
  let s = 0;
  while (!Number.isInteger(v * 2 ** s)) s++;
  return s;
}

/** round(v × 2^s) as a bigint; exact when s ≥ fractionalBits(v). */
function scaled(v: number, s: number): bigint {
  const x = v * 2 ** s;
  return BigInt(Number.isInteger(x) ? x : Math.round(x));
}

function signedBits(maxAbs: bigint, what: string): number {
  const n = bitLength(maxAbs) + 1;
  if (n > MAX_SIGN_BITS)
    throw new Error(
      `${what} needs ${n}-bit values, more than ${MAX_SIGN_BITS}: the weights' range is too wide for the field; retrain with a smaller range or fewer layers`,
    );
  return Math.max(n, 2);
}

/** Quantizes the graph for the encoding; throws if the encoding does not match the graph. */
export function quantize(mlp: OnnxMlp, encoding: FixedPointEncoding): QuantizedMlp {
  const F = encoding.fields.length;
  if (F !== mlp.inputs)
    throw new Error(`the encoding has ${F} fields but the graph reads ${mlp.inputs}: fix the manifest's input fields`);
  encoding.fields.forEach((f) => {
    if (!Number.isSafeInteger(f.scale) || f.scale < 1)
      throw new Error(`field ${f.name}: scale ${f.scale} must be a positive integer`);
    if (!Number.isSafeInteger(f.bits) || f.bits < 1 || f.bits > 64)
      throw new Error(`field ${f.name}: bits ${f.bits} must be in 1..64`);
  });
  const scales = encoding.fields.map((f) => BigInt(f.scale));
  const L = encoding.onnxInput === "scaled" ? scales.reduce((a, b) => (a * b) / gcd(a, b), 1n) : 1n;
  const mult = encoding.onnxInput === "scaled" ? scales.map((s) => L / s) : scales.map(() => 1n);

  // Input intervals of the current layer, in circuit units.
  let lo: bigint[] = encoding.fields.map(() => 0n);
  let hi: bigint[] = encoding.fields.map((f) => (1n << BigInt(f.bits)) - 1n);
  let prevScale = L; // circuit value = real value × prevScale
  const layers: QuantizedLayer[] = mlp.layers.map((layer, l) => {
    const constants = [...layer.weights.flat(), ...layer.bias];
    const needed = Math.max(0, ...constants.map(fractionalBits));
    const shift = Math.min(needed, MAX_SHIFT);
    const weights = layer.weights.map((row, i) => row.map((w) => scaled(w, shift) * (l === 0 ? mult[i]! : 1n)));
    const bias = layer.bias.map((b) => scaled(b, shift) * prevScale);
    prevScale *= 1n << BigInt(shift);
    const outLo: bigint[] = [];
    const outHi: bigint[] = [];
    bias.forEach((b, j) => {
      let a = b;
      let z = b;
      weights.forEach((row, i) => {
        const p = row[j]! * lo[i]!;
        const q = row[j]! * hi[i]!;
        a += p < q ? p : q;
        z += p < q ? q : p;
      });
      outLo.push(a);
      outHi.push(z);
    });
    const maxAbs = [...outLo, ...outHi].map(abs).reduce((a, b) => (a > b ? a : b), 0n);
    const signBits = layer.relu ? signedBits(maxAbs, `layer ${l + 1}`) : 0;
    lo = layer.relu ? outLo.map(() => 0n) : outLo;
    hi = layer.relu ? outHi.map((h) => (h > 0n ? h : 0n)) : outHi;
    return { weights, bias, relu: layer.relu, shift, exact: needed <= MAX_SHIFT, signBits };
  });
  const maxOut = [...lo, ...hi].map(abs).reduce((a, b) => (a > b ? a : b), 0n);
  const classes = mlp.outputs === 1 ? 2 : mlp.outputs;
  if (mlp.outputs === 1 && mlp.argmaxNode)
    throw new Error("an ArgMax over one output is always 0: export two logits or drop the ArgMax");
  return {
    encoding,
    inputMultiplier: L,
    layers,
    output: {
      kind: mlp.outputs === 1 ? "sign" : "argmax",
      classes,
      compareBits: signedBits(2n * maxOut + 1n, "the output comparison"),
    },
  };
}

/** What the circuit computes, in bigints: the class and the last layer's integers. */
export function fixedForward(q: QuantizedMlp, x: readonly bigint[]): { outputClass: number; logits: bigint[] } {
  if (x.length !== q.encoding.fields.length)
    throw new RangeError(`expected ${q.encoding.fields.length} fields, got ${x.length}`);
  x.forEach((v, i) => {
    const f = q.encoding.fields[i]!;
    if (v < 0n || v >= 1n << BigInt(f.bits)) throw new RangeError(`${f.name} = ${v} is outside [0, 2^${f.bits})`);
  });
  let a: bigint[] = [...x];
  for (const layer of q.layers) {
    const out = layer.bias.map((b, j) => layer.weights.reduce((s, row, i) => s + row[j]! * a[i]!, b));
    a = layer.relu ? out.map((v) => (v > 0n ? v : 0n)) : out;
  }
  if (q.output.kind === "sign") return { outputClass: a[0]! > 0n ? 1 : 0, logits: a };
  let best = 0;
  for (let k = 1; k < a.length; k++) if (a[k]! > a[best]!) best = k;
  return { outputClass: best, logits: a };
}

const term = (signal: string, c: bigint): string => `${signal} * (${c})`;

/** A circom identifier from a model name: "breast-cancer-mlp" → "BreastCancerMlp". */
export function pascalName(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}

/** The .circom source. `header` lines go at the top as comments. */
export function generateCircom(q: QuantizedMlp, templateName: string, header: readonly string[]): string {
  const F = q.encoding.fields.length;
  const depth = treeDepth(F);
  const zeros = emptyRoots(depth);
  const lines: string[] = [];
  const emit = (s = "") => lines.push(s);

  emit(header.map((l) => `// ${l}`).join("\n"));
  emit("pragma circom 2.1.0;");
  emit();
  emit('include "circomlib/circuits/bitify.circom";');
  emit('include "circomlib/circuits/poseidon.circom";');
  emit();
  emit("// out = 1 if in >= 0 else 0, for a signed value with |in| < 2^(n-1).");
  emit("template IsNonNegative(n) {");
  emit("    signal input in;");
  emit("    signal output out;");
  emit("    component bits = Num2Bits(n);");
  emit("    bits.in <== in + (1 << (n - 1));");
  emit("    out <== bits.out[n - 1];");
  emit("}");
  emit();
  const sizes = [F, ...q.layers.map((l) => l.bias.length)].join(" -> ");
  emit(
    `// ${sizes}, ${q.output.kind === "argmax" ? "argmax (lowest index wins a tie)" : "sign (class 1 iff output > 0)"}.`,
  );
  emit(
    `// Public signals: [class, commitment]; commitment = root of the depth-${depth}, ${ARITY}-ary Poseidon tree of`,
  );
  emit("// leaf_i = Poseidon(x[i], salt[i]) (empty leaves 0), as sdk/src/fields/tree.ts computes it.");
  emit(`template ${templateName}() {`);
  emit(`    signal input x[${F}];`);
  emit(`    signal input salt[${F}];`);
  emit("    signal output class;");
  emit("    signal output commitment;");
  emit();
  emit("    // Each field is an unsigned fixed-point integer below 2^bits.");
  q.encoding.fields.forEach((f, i) => {
    emit(`    component range${i} = Num2Bits(${f.bits}); // ${f.name}, scale ${f.scale}`);
    emit(`    range${i}.in <== x[${i}];`);
  });
  emit();
  emit("    // Per-field hiding commitments and their Merkle root.");
  emit(`    component leaf[${F}];`);
  emit(`    for (var i = 0; i < ${F}; i++) {`);
  emit("        leaf[i] = Poseidon(2);");
  emit("        leaf[i].inputs[0] <== x[i];");
  emit("        leaf[i].inputs[1] <== salt[i];");
  emit("    }");
  const child = (d: number, k: number): string => {
    if (d === 0) return k < F ? `leaf[${k}].out` : `${EMPTY_LEAF}`;
    return k * ARITY ** d >= F ? `${zeros[d]}` : `node${d}_${k}.out`;
  };
  for (let d = 1; d <= depth; d++) {
    for (let k = 0; k * ARITY ** d < F; k++) {
      emit(`    component node${d}_${k} = Poseidon(${ARITY});`);
      for (let c = 0; c < ARITY; c++) emit(`    node${d}_${k}.inputs[${c}] <== ${child(d - 1, ARITY * k + c)};`);
    }
  }
  emit(`    commitment <== node${depth}_0.out;`);

  let input = (i: number) => `x[${i}]`;
  let scale = `${q.inputMultiplier === 1n ? "" : `${q.inputMultiplier} * `}2^0`;
  let shifts = 0;
  q.layers.forEach((layer, l) => {
    const n = l + 1;
    const outs = layer.bias.length;
    shifts += layer.shift;
    scale = `${q.inputMultiplier === 1n ? "" : `${q.inputMultiplier} * `}2^${shifts}`;
    emit();
    emit(
      `    // Layer ${n}: ${layer.weights.length} -> ${outs}${layer.relu ? ", ReLU" : ""}; values × ${scale}${layer.exact ? " (exact)" : " (rounded)"}.`,
    );
    emit(`    signal a${n}[${outs}];`);
    for (let j = 0; j < outs; j++) {
      const terms = layer.weights.flatMap((row, i) => (row[j] === 0n ? [] : [term(input(i), row[j]!)]));
      emit(`    a${n}[${j}] <== ${[...terms, `(${layer.bias[j]})`].join("\n        + ")};`);
    }
    if (layer.relu) {
      emit(`    component pos${n}[${outs}];`);
      emit(`    signal r${n}[${outs}];`);
      emit(`    for (var j = 0; j < ${outs}; j++) {`);
      emit(`        pos${n}[j] = IsNonNegative(${layer.signBits});`);
      emit(`        pos${n}[j].in <== a${n}[j];`);
      emit(`        r${n}[j] <== a${n}[j] * pos${n}[j].out;`);
      emit("    }");
      input = (i) => `r${n}[${i}]`;
    } else {
      input = (i) => `a${n}[${i}]`;
    }
  });
  const C = q.layers.at(-1)!.bias.length;
  const bits = q.output.compareBits;
  emit();
  if (q.output.kind === "sign") {
    emit("    // class = 1 iff the output is > 0.");
    emit(`    component positive = IsNonNegative(${bits});`);
    emit(`    positive.in <== ${input(0)} - 1;`);
    emit("    class <== positive.out;");
  } else {
    emit("    // Running argmax; a later output wins only if strictly greater.");
    emit(`    signal best[${C}];`);
    emit(`    signal idx[${C}];`);
    emit(`    component gt[${C - 1}];`);
    emit(`    best[0] <== ${input(0)};`);
    emit("    idx[0] <== 0;");
    for (let k = 1; k < C; k++) {
      emit(`    gt[${k - 1}] = IsNonNegative(${bits});`);
      emit(`    gt[${k - 1}].in <== ${input(k)} - best[${k - 1}] - 1;`);
      emit(`    best[${k}] <== best[${k - 1}] + gt[${k - 1}].out * (${input(k)} - best[${k - 1}]);`);
      emit(`    idx[${k}] <== idx[${k - 1}] + gt[${k - 1}].out * (${k} - idx[${k - 1}]);`);
    }
    emit(`    class <== idx[${C - 1}];`);
  }
  emit("}");
  emit();
  emit(`component main = ${templateName}();`);
  return lines.join("\n") + "\n";
}
