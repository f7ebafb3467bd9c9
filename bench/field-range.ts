/**
 * The field-range predicate's cost off chain: constraints of each built depth and the median warm
 * prove and verify times of "field 0 of a ten-field diagnosis record lies in [20, 30]" with the SDK.
 *   npm run bench:zk:range   → bench/results/field-range.json
 * Its on-chain gas (verifyRange, proveRange) is in bench:gas.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";

import { checkFieldRange, fieldTree, proveFieldRange, randomSalts, zkShutdown } from "@verity-ai/sdk";
import { RANGE_DEPTHS, fieldRangePaths } from "../scripts/zk/field-range.ts";

const RUNS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const values = [25380n, 1733n, 18460n, 20190n, 16220n, 66560n, 711900n, 265400n, 4601n, 11890n];
const salts = randomSalts(values.length);
const tree = fieldTree(values, salts);
const out: Record<string, unknown> = {};
for (const depth of RANGE_DEPTHS) {
  const p = fieldRangePaths(depth);
  if (!existsSync(p.descriptor)) continue;
  const d = JSON.parse(readFileSync(p.descriptor, "utf8")) as { r1cs: { constraints: number } };
  out[`d${depth}`] = { constraints: d.r1cs.constraints };
}
{
  const p = fieldRangePaths(tree.depth);
  const prove = () =>
    proveFieldRange({ tree, values, salts, index: 0, min: 20_000n, max: 30_000n, wasm: p.wasm, zkey: p.zkey });
  await prove(); // warm: curve and witness calculator built once
  const proveMs: number[] = [];
  const verifyMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const proof = await prove();
    proveMs.push(performance.now() - t);
    t = performance.now();
    await checkFieldRange(tree.root, proof);
    verifyMs.push(performance.now() - t);
  }
  Object.assign(out[`d${tree.depth}`] as object, {
    proveMedianMs: Math.round(median(proveMs)),
    verifyMedianMs: Math.round(median(verifyMs)),
    runs: RUNS,
  });
}
await zkShutdown();
console.log(JSON.stringify(out, null, 2));
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/field-range.json", JSON.stringify(out, null, 2) + "\n");
console.log("wrote bench/results/field-range.json");
