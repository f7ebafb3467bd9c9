/**
 * The Breast Cancer Wisconsin (Diagnostic) data set as committed in datasets/breast-cancer-wisconsin/,
 * the ten "worst" features the diagnosis model reads, and their fixed-point encoding.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { mulberry32, shuffled, type Split } from "../iris/split.ts";

export const DATASET_DIR = join("datasets", "breast-cancer-wisconsin");
export const DATASET_FILE = join(DATASET_DIR, "breast_cancer.csv");

/** One model input field: its column in the CSV, name, unit and fixed-point scale. */
export interface FieldSpec {
  column: number;
  name: string;
  unit: string;
  /** The encoded integer is round(value × scale); the scale is 10^(decimals in the data). */
  scale: number;
  /** Encoded values lie in [0, 2^bits): about twice the largest value in the data set. */
  bits: number;
  description: string;
}

const length = "image length unit (the source does not name it)";
const area = "image area unit (square of the length unit)";
const ratio = "dimensionless";
/**
 * The "worst" (mean of the three largest) value of each of the ten nuclear measurements, columns 20–29.
 * Scales keep every digit of the data; bits give headroom of about 2× the data set's maximum.
 */
export const DIAGNOSIS_FIELDS: readonly FieldSpec[] = [
  {
    column: 20,
    name: "worst_radius",
    unit: length,
    scale: 1_000,
    bits: 17,
    description: "mean distance from centre to perimeter",
  },
  {
    column: 21,
    name: "worst_texture",
    unit: "grey level (standard deviation)",
    scale: 100,
    bits: 14,
    description: "standard deviation of grey-scale values",
  },
  { column: 22, name: "worst_perimeter", unit: length, scale: 100, bits: 16, description: "nuclear perimeter" },
  { column: 23, name: "worst_area", unit: area, scale: 10, bits: 17, description: "nuclear area" },
  {
    column: 24,
    name: "worst_smoothness",
    unit: ratio,
    scale: 100_000,
    bits: 16,
    description: "local variation in radius lengths",
  },
  {
    column: 25,
    name: "worst_compactness",
    unit: ratio,
    scale: 100_000,
    bits: 18,
    description: "perimeter² / area − 1.0",
  },
  {
    column: 26,
    name: "worst_concavity",
    unit: ratio,
    scale: 1_000_000,
    bits: 22,
    description: "severity of concave portions of the contour",
  },
  {
    column: 27,
    name: "worst_concave_points",
    unit: ratio,
    scale: 1_000_000,
    bits: 20,
    description: "number of concave portions of the contour",
  },
  { column: 28, name: "worst_symmetry", unit: ratio, scale: 10_000, bits: 14, description: "symmetry of the nucleus" },
  {
    column: 29,
    name: "worst_fractal_dimension",
    unit: ratio,
    scale: 100_000,
    bits: 16,
    description: "coastline approximation − 1",
  },
];

export interface Dataset {
  /** Class names by index, from the CSV's first line. */
  labels: string[];
  /** All 30 features of every row. */
  rows: number[][];
  /** 0 malignant, 1 benign. */
  classes: number[];
}

export function loadDataset(root: string): Dataset {
  const lines = readFileSync(join(root, DATASET_FILE), "utf8").trim().split("\n");
  const [n, d, ...labels] = lines[0]!.split(",");
  const rows: number[][] = [];
  const classes: number[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(",").map(Number);
    if (cells.length !== Number(d) + 1 || cells.some((c) => !Number.isFinite(c))) {
      throw new Error(`${DATASET_FILE}: malformed row "${line}"; restore the committed file`);
    }
    rows.push(cells.slice(0, -1));
    classes.push(cells.at(-1)!);
  }
  if (rows.length !== Number(n)) throw new Error(`${DATASET_FILE}: ${rows.length} rows, header says ${n}`);
  return { labels, rows, classes };
}

/** A row's model fields as fixed-point integers: round(value × scale), checked against the field's range. */
export function encodeFields(row: readonly number[], fields: readonly FieldSpec[] = DIAGNOSIS_FIELDS): number[] {
  return fields.map((f) => {
    const v = row[f.column]!;
    const n = Math.round(v * f.scale);
    if (n < 0 || n >= 2 ** f.bits)
      throw new RangeError(`${f.name} = ${v} is outside [0, 2^${f.bits}) after × ${f.scale}`);
    return n;
  });
}

/** Hold out round(fraction × class size) rows of each class, chosen by a seeded shuffle within the class. */
export function proportionalSplit(labels: readonly number[], fraction: number, seed: number): Split {
  const rand = mulberry32(seed);
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const heldOut: number[] = [];
  for (const c of classes) {
    const rows = labels.flatMap((l, i) => (l === c ? [i] : []));
    heldOut.push(...shuffled(rows, rand).slice(0, Math.round(rows.length * fraction)));
  }
  heldOut.sort((a, b) => a - b);
  const held = new Set(heldOut);
  return { train: labels.map((_, i) => i).filter((i) => !held.has(i)), heldOut };
}
