/**
 * The field-range circuit against the SDK's tree (sdk/src/fields/tree.ts), with no chain: every leaf
 * position of a full depth-2 tree (each base-4 digit at each level), signed values and bounds, and the
 * committed artefacts' transcript.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";

import {
  FIELD,
  FieldRangeError,
  checkFieldRange,
  fieldTree,
  merklePath,
  proveGroth16,
  proveFieldRange,
  randomSalts,
  zkShutdown,
} from "@verity-ai/sdk";
import { ROOT, hashFile } from "../../scripts/zk/artefacts.ts";
import { fieldRangePaths } from "../../scripts/zk/field-range.ts";

const D2 = fieldRangePaths(2);

describe("field-range circuit (depth 2) and the SDK", function () {
  this.timeout(180_000);
  after(async () => {
    await zkShutdown();
  });

  it("proves a range for every one of the 16 leaf positions: the circuit places the node as tree.ts does at every digit", async () => {
    const values = Array.from({ length: 16 }, (_, i) => BigInt(1000 * (i + 1)));
    const salts = randomSalts(16);
    const tree = fieldTree(values, salts);
    for (let index = 0; index < 16; index++) {
      const v = values[index]!;
      const p = await proveFieldRange({ tree, values, salts, index, min: v, max: v, wasm: D2.wasm, zkey: D2.zkey });
      expect(await checkFieldRange(tree.root, p), `index ${index}`).to.equal(true);
      // The same proof at the neighbouring index does not verify.
      const next = (index + 1) % 16;
      let problem = "accepted";
      await checkFieldRange(tree.root, { ...p, index: next }).catch((e: FieldRangeError) => (problem = e.problem));
      expect(problem, `index ${index} claimed as ${next}`).to.equal("proof");
    }
  });

  it("reads a committed p − |x| as the negative −|x|, as the record's int32 encoding means it", async () => {
    const values = [FIELD - 5n, 7n, 0n, 1n, 2n];
    const salts = randomSalts(values.length);
    const tree = fieldTree(values, salts);
    const p = await proveFieldRange({
      tree,
      values,
      salts,
      index: 0,
      min: -10n,
      max: -5n,
      wasm: D2.wasm,
      zkey: D2.zkey,
    });
    expect(await checkFieldRange(tree.root, p)).to.equal(true);
    let message = "";
    await proveFieldRange({ tree, values, salts, index: 0, min: 0n, max: 10n, wasm: D2.wasm, zkey: D2.zkey }).catch(
      (e: FieldRangeError) => (message = e.message),
    );
    expect(message).to.equal(
      "the value of field 0 is outside [0, 10]: the predicate is false and cannot be proved; choose bounds that hold",
    );
    // An element that is no int32 either way (2^40) has no range to prove.
    const big = [2n ** 40n, 1n, 1n, 1n, 1n];
    const bigTree = fieldTree(big, salts);
    await proveFieldRange({
      tree: bigTree,
      values: big,
      salts,
      index: 0,
      min: 0n,
      max: 2n ** 31n - 1n,
      wasm: D2.wasm,
      zkey: D2.zkey,
    }).catch((e: FieldRangeError) => (message = e.message));
    expect(message).to.equal("the value of field 0 is not a signed 32-bit integer: no range over it can be proved");
    // Nor does the circuit have a witness for it, even with the SDK's check skipped: the value is range-checked.
    const input = {
      root: String(bigTree.root),
      index: "0",
      min: "0",
      max: String(2n ** 31n - 1n),
      value: String(2n ** 40n),
      salt: String(salts[0]),
      path: merklePath(bigTree, 0).map((l) => l.map(String)),
    };
    let failed = "";
    await proveGroth16(input, D2.wasm, D2.zkey).catch((e: Error) => (failed = e.message));
    expect(failed).to.match(/Assert Failed/);
  });

  it("has a transcript whose hashes are those of the committed circuit, keys, verifier and descriptor", () => {
    const transcript = JSON.parse(readFileSync(D2.transcript, "utf8")) as {
      committed: { file: string; sha256: string }[];
      powersOfTau: { file: { file: string; sha256: string } };
    };
    expect(transcript.committed.map((c) => c.file)).to.include.members([
      "circuits/field-range/field-range.circom",
      "circuits/field-range/d2/field-range-d2_final.zkey",
      "contracts/generated/FieldRangeD2Groth16Verifier.sol",
    ]);
    for (const c of transcript.committed) expect(hashFile(join(ROOT, c.file)).sha256, c.file).to.equal(c.sha256);
    // The shared, committed powers of tau (never made by the setup).
    expect(transcript.powersOfTau.file.file).to.equal("circuits/ptau/pot13_final.ptau");
    expect(hashFile(join(ROOT, transcript.powersOfTau.file.file)).sha256).to.equal(transcript.powersOfTau.file.sha256);
  });
});
