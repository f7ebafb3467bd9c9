/**
 * Generates circuits/iris.circom from the quantized iris weights (sdk/zk.ts `quantizeIris`): the
 * fixed-point MLP 4 → 8 ReLU → 3 with argmax, weights baked in as constants.
 */
import {
  INPUT_BITS,
  IRIS_CLASSES,
  IRIS_FEATURES,
  IRIS_HIDDEN,
  WEIGHT_SHIFT,
  type IrisFixedWeights,
} from "@verity-ai/sdk";

const abs = (v: bigint): bigint => (v < 0n ? -v : v);
const bitLength = (v: bigint): number => v.toString(2).length;

/** Bits for a sign test of a value with |v| <= maxAbs: v + 2^(n-1) must lie in [0, 2^n). */
function signedBits(maxAbs: bigint): number {
  return bitLength(maxAbs) + 1;
}

/** Worst-case magnitudes over the whole input range, so every valid input has a witness. */
export function irisBitWidths(q: IrisFixedWeights): { hidden: number; output: number } {
  const xMax = (1n << BigInt(INPUT_BITS)) - 1n;
  const hMax = q.b1.map((b, j) => q.w1.reduce((acc, row) => acc + xMax * abs(row[j]!), abs(b)));
  // relu(h) <= max(h, 0) <= hMax[j]
  const oMax = q.b2.map((b, k) => q.w2.reduce((acc, row, j) => acc + hMax[j]! * abs(row[k]!), abs(b)));
  const maxH = hMax.reduce((a, b) => (a > b ? a : b));
  const maxO = oMax.reduce((a, b) => (a > b ? a : b));
  // A difference o_a - o_b - 1 is bounded by 2·maxO + 1.
  return { hidden: signedBits(maxH), output: signedBits(2n * maxO + 1n) };
}

const term = (signal: string, c: bigint): string => `${signal} * (${c})`;

/** The .circom source. `header` lines are put at the top as comments. */
export function irisCircom(q: IrisFixedWeights, header: string[]): string {
  const bits = irisBitWidths(q);
  if (bits.output > 250) throw new Error(`output range ${bits.output} bits does not fit the field`);
  const hidden = Array.from({ length: IRIS_HIDDEN }, (_, j) => {
    const sum = Array.from({ length: IRIS_FEATURES }, (_, i) => term(`x[${i}]`, q.w1[i]![j]!)).join(" + ");
    return `    h[${j}] <== ${sum} + (${q.b1[j]});`;
  });
  const outputs = Array.from({ length: IRIS_CLASSES }, (_, k) => {
    const sum = Array.from({ length: IRIS_HIDDEN }, (_, j) => term(`r[${j}]`, q.w2[j]![k]!)).join("\n        + ");
    return `    o[${k}] <== ${sum}\n        + (${q.b2[k]});`;
  });
  return `${header.map((l) => `// ${l}`).join("\n")}
pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

// out = 1 if in >= 0 else 0, for a signed value with |in| < 2^(n-1).
template IsNonNegative(n) {
    signal input in;
    signal output out;
    component bits = Num2Bits(n);
    bits.in <== in + (1 << (n - 1));
    out <== bits.out[n - 1];
}

// Iris MLP 4 -> ${IRIS_HIDDEN} ReLU -> ${IRIS_CLASSES}, argmax. Inputs in milli-cm, weights x 2^${WEIGHT_SHIFT}.
// Public signals: [class, commitment].
template Iris() {
    signal input x[${IRIS_FEATURES}];
    signal input salt;
    signal output class;
    signal output commitment;

    // Inputs are ${INPUT_BITS}-bit unsigned milli-cm.
    component range[${IRIS_FEATURES}];
    for (var i = 0; i < ${IRIS_FEATURES}; i++) {
        range[i] = Num2Bits(${INPUT_BITS});
        range[i].in <== x[i];
    }

    // commitment = Poseidon(x0, x1, x2, x3, salt)
    component hash = Poseidon(${IRIS_FEATURES + 1});
    for (var i = 0; i < ${IRIS_FEATURES}; i++) hash.inputs[i] <== x[i];
    hash.inputs[${IRIS_FEATURES}] <== salt;
    commitment <== hash.out;

    // Hidden layer (scale 1000 * 2^${WEIGHT_SHIFT}), ReLU.
    signal h[${IRIS_HIDDEN}];
${hidden.join("\n")}
    component pos[${IRIS_HIDDEN}];
    signal r[${IRIS_HIDDEN}];
    for (var j = 0; j < ${IRIS_HIDDEN}; j++) {
        pos[j] = IsNonNegative(${bits.hidden});
        pos[j].in <== h[j];
        r[j] <== h[j] * pos[j].out;
    }

    // Output layer (scale 1000 * 2^${2n * WEIGHT_SHIFT}).
    signal o[${IRIS_CLASSES}];
${outputs.join("\n")}

    // argmax, lowest index wins a tie: gAB = (oA > oB).
    component g10 = IsNonNegative(${bits.output});
    g10.in <== o[1] - o[0] - 1;
    component g20 = IsNonNegative(${bits.output});
    g20.in <== o[2] - o[0] - 1;
    component g21 = IsNonNegative(${bits.output});
    g21.in <== o[2] - o[1] - 1;
    signal is2;
    is2 <== g20.out * g21.out;
    signal is1;
    is1 <== g10.out * (1 - g21.out);
    class <== is1 + 2 * is2;
}

component main = Iris();
`;
}
