/**
 * A 4 → H (ReLU) → 3 perceptron in plain TypeScript: reference forward pass, full-batch gradient
 * descent with momentum on softmax cross-entropy, and folding the input standardisation into the
 * first layer. Matrices are row-major [in][out], the layout ONNX MatMul(x[N,in], W[in,out]) uses.
 */
import { mulberry32 } from "./split.ts";

export interface MlpWeights {
  w1: number[][];
  b1: number[];
  w2: number[][];
  b2: number[];
}

export interface TrainOptions {
  hidden: number;
  classes: number;
  epochs: number;
  learningRate: number;
  momentum: number;
  l2: number;
  seed: number;
}

export interface Standardisation {
  mean: number[];
  std: number[];
}

const zeros = (n: number): number[] => new Array<number>(n).fill(0);
const zeroMatrix = (r: number, c: number): number[][] => Array.from({ length: r }, () => zeros(c));

/** Logits of one example (float64 arithmetic). */
export function forward(w: MlpWeights, x: readonly number[]): { hidden: number[]; logits: number[] } {
  const hidden = w.b1.map((b, j) =>
    Math.max(
      0,
      x.reduce((s, xi, i) => s + xi * w.w1[i]![j]!, b),
    ),
  );
  const logits = w.b2.map((b, k) => hidden.reduce((s, hj, j) => s + hj * w.w2[j]![k]!, b));
  return { hidden, logits };
}

export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export function predict(w: MlpWeights, x: readonly number[]): number {
  return argmax(forward(w, x).logits);
}

export function accuracy(w: MlpWeights, xs: readonly number[][], ys: readonly number[]): number {
  return xs.filter((x, i) => predict(w, x) === ys[i]).length / xs.length;
}

function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Mean and population standard deviation per feature. */
export function fitStandardisation(xs: readonly number[][]): Standardisation {
  const d = xs[0]!.length;
  const mean = zeros(d).map((_, i) => xs.reduce((s, x) => s + x[i]!, 0) / xs.length);
  const std = mean.map((m, i) => Math.sqrt(xs.reduce((s, x) => s + (x[i]! - m) ** 2, 0) / xs.length));
  return { mean, std };
}

export function standardise(x: readonly number[], s: Standardisation): number[] {
  return x.map((v, i) => (v - s.mean[i]!) / s.std[i]!);
}

/** He-uniform initialisation from the seed; biases start at zero. */
function initialise(inputs: number, o: TrainOptions): MlpWeights {
  const rand = mulberry32(o.seed);
  const uniform = (fanIn: number) => (rand() * 2 - 1) * Math.sqrt(6 / fanIn);
  return {
    w1: Array.from({ length: inputs }, () => Array.from({ length: o.hidden }, () => uniform(inputs))),
    b1: zeros(o.hidden),
    w2: Array.from({ length: o.hidden }, () => Array.from({ length: o.classes }, () => uniform(o.hidden))),
    b2: zeros(o.classes),
  };
}

/** Full-batch gradient descent with momentum; returns the weights and the loss every 100 epochs. */
export function train(
  xs: readonly number[][],
  ys: readonly number[],
  o: TrainOptions,
): { weights: MlpWeights; losses: { epoch: number; loss: number }[] } {
  const d = xs[0]!.length;
  const w = initialise(d, o);
  const v: MlpWeights = {
    w1: zeroMatrix(d, o.hidden),
    b1: zeros(o.hidden),
    w2: zeroMatrix(o.hidden, o.classes),
    b2: zeros(o.classes),
  };
  const losses: { epoch: number; loss: number }[] = [];
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const g: MlpWeights = {
      w1: zeroMatrix(d, o.hidden),
      b1: zeros(o.hidden),
      w2: zeroMatrix(o.hidden, o.classes),
      b2: zeros(o.classes),
    };
    let loss = 0;
    xs.forEach((x, n) => {
      const { hidden, logits } = forward(w, x);
      const p = softmax(logits);
      loss -= Math.log(p[ys[n]!]!);
      const dLogits = p.map((pk, k) => pk - (k === ys[n] ? 1 : 0));
      dLogits.forEach((dk, k) => {
        g.b2[k] += dk;
        hidden.forEach((hj, j) => (g.w2[j]![k] += hj * dk));
      });
      hidden.forEach((hj, j) => {
        if (hj <= 0) return;
        const dh = dLogits.reduce((s, dk, k) => s + dk * w.w2[j]![k]!, 0);
        g.b1[j] += dh;
        x.forEach((xi, i) => (g.w1[i]![j] += xi * dh));
      });
    });
    const step = (param: number[], vel: number[], grad: number[], decay: boolean) =>
      param.forEach((_, i) => {
        const gi = grad[i]! / xs.length + (decay ? o.l2 * param[i]! : 0);
        vel[i] = o.momentum * vel[i]! - o.learningRate * gi;
        param[i] += vel[i]!;
      });
    w.w1.forEach((row, i) => step(row, v.w1[i]!, g.w1[i]!, true));
    step(w.b1, v.b1, g.b1, false);
    w.w2.forEach((row, j) => step(row, v.w2[j]!, g.w2[j]!, true));
    step(w.b2, v.b2, g.b2, false);
    if (epoch % 100 === 0 || epoch === 1) losses.push({ epoch, loss: loss / xs.length });
  }
  return { weights: w, losses };
}

/**
 * Fold (x − mean) / std into layer 1 so the model takes raw measurements:
 * W1'[i][j] = W1[i][j] / std[i], b1'[j] = b1[j] − Σ_i mean[i] · W1[i][j] / std[i].
 */
export function foldStandardisation(w: MlpWeights, s: Standardisation): MlpWeights {
  const w1 = w.w1.map((row, i) => row.map((wij) => wij / s.std[i]!));
  const b1 = w.b1.map((b, j) => b - w1.reduce((acc, row, i) => acc + s.mean[i]! * row[j]!, 0));
  return { w1, b1, w2: w.w2.map((r) => r.slice()), b2: w.b2.slice() };
}

/** Round every weight to float32, the precision the ONNX file stores. */
export function toFloat32(w: MlpWeights): MlpWeights {
  const f = (xs: number[]) => xs.map(Math.fround);
  return { w1: w.w1.map(f), b1: f(w.b1), w2: w.w2.map(f), b2: f(w.b2) };
}
