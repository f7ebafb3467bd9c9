import { createRequire } from "node:module";

import { expect } from "chai";

import {
  FIELD,
  FieldDisclosureError,
  checkFieldDisclosure,
  disclosureFromJson,
  disclosureToJson,
  discloseFields,
  emptyRoots,
  fieldLeaf,
  fieldTree,
  hashNode,
  merklePath,
  randomSalts,
  rootFromPath,
  treeDepth,
  type FieldDisclosure,
} from "@verity-ai/sdk";

const require = createRequire(import.meta.url);
const circomlibjs = require("circomlibjs") as {
  buildPoseidon(): Promise<{ (inputs: bigint[]): Uint8Array; F: { toObject(x: Uint8Array): bigint } }>;
};

// A diagnosis-shaped record: ten fixed-point fields.
const VALUES = [25380n, 1733n, 18460n, 20190n, 16220n, 66560n, 711900n, 265400n, 4601n, 11890n];
const SALTS = VALUES.map((_, i) => 0xabcdefn * BigInt(i + 1) + (1n << 200n));
const FIELDS = ["r", "t", "p", "a", "s", "c", "cv", "cp", "sy", "fd"].map((name, i) => ({
  name,
  bits: [17, 14, 16, 17, 16, 18, 22, 20, 14, 16][i]!,
}));

function expectProblem(fn: () => unknown, problem: string, index: number | undefined, message: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).to.be.instanceOf(FieldDisclosureError);
  const e = error as FieldDisclosureError;
  expect([e.problem, e.index]).to.deep.equal([problem, index]);
  expect(e.message).to.include(message);
}

describe("sdk fields: per-field commitments and selective disclosure", () => {
  const tree = fieldTree(VALUES, SALTS);
  const disclosure = discloseFields(tree, VALUES, SALTS, [7, 2]);
  /** A copy of the disclosure with field `k` of the openings changed. */
  const tamper = (k: number, change: Partial<FieldDisclosure["fields"][number]>): FieldDisclosure => ({
    ...disclosure,
    fields: disclosure.fields.map((f, i) => (i === k ? { ...f, ...change } : f)),
  });

  it("poseidon-lite is circomlib's Poseidon (checked against circomlibjs for 1 to 6 inputs)", async () => {
    const reference = await circomlibjs.buildPoseidon();
    const lite = [
      (await import("poseidon-lite/poseidon1")).poseidon1,
      (await import("poseidon-lite/poseidon2")).poseidon2,
      (await import("poseidon-lite/poseidon3")).poseidon3,
      (await import("poseidon-lite/poseidon4")).poseidon4,
      (await import("poseidon-lite/poseidon5")).poseidon5,
      (await import("poseidon-lite/poseidon6")).poseidon6,
    ];
    for (const [n, hash] of lite.entries()) {
      for (const inputs of [
        Array.from({ length: n + 1 }, (_, i) => BigInt(i)),
        randomSalts(n + 1),
        Array(n + 1).fill(FIELD - 1n),
      ]) {
        expect(hash(inputs)).to.equal(reference.F.toObject(reference(inputs)));
      }
    }
    // The leaf and node functions are those.
    expect(fieldLeaf(1n, 2n)).to.equal(reference.F.toObject(reference([1n, 2n])));
    expect(hashNode([1n, 2n, 3n, 4n])).to.equal(reference.F.toObject(reference([1n, 2n, 3n, 4n])));
  });

  it("builds a 4-ary tree: depth max(1, ⌈log4 F⌉), empty leaves 0, empty subtrees hashed as constants", () => {
    expect([1, 4, 5, 10, 16, 17, 64, 65, 256].map(treeDepth)).to.deep.equal([1, 1, 2, 2, 2, 3, 3, 4, 4]);
    expect(() => treeDepth(0)).to.throw(RangeError, "1 to 256 fields");
    expect(() => treeDepth(257)).to.throw(RangeError);
    expect(tree.depth).to.equal(2);
    expect(tree.levels[0]).to.have.length(16);
    const [z0, z1] = emptyRoots(2);
    expect(z1).to.equal(hashNode([z0!, z0!, z0!, z0!]));
    // Root by hand: three nodes over leaves 0–3, 4–7, 8–11 (10 and 11 empty) and one empty subtree.
    const leaves = VALUES.map((v, i) => fieldLeaf(v, SALTS[i]!));
    const nodes = [
      hashNode(leaves.slice(0, 4)),
      hashNode(leaves.slice(4, 8)),
      hashNode([leaves[8]!, leaves[9]!, 0n, 0n]),
      z1!,
    ];
    expect(tree.root).to.equal(hashNode(nodes));
    for (let i = 0; i < 10; i++) expect(rootFromPath(leaves[i]!, i, merklePath(tree, i))).to.equal(tree.root);
    expect(() => fieldTree(VALUES, SALTS.slice(1))).to.throw(RangeError, "10 values but 9 salts");
    expect(() => fieldTree([FIELD], [1n])).to.throw(RangeError, "value of field 0");
    expect(() => fieldTree([1n], [-1n])).to.throw(RangeError, "salt of field 0");
  });

  it("the commitment hides each field: other salts give another root and other leaves", () => {
    const other = fieldTree(VALUES, randomSalts(10));
    expect(other.root).to.not.equal(tree.root);
    other.leaves.forEach((l, i) => expect(l).to.not.equal(tree.leaves[i]));
    expect(new Set(randomSalts(50)).size).to.equal(50);
    for (const s of randomSalts(50)) expect(s < FIELD && s >= 0n).to.equal(true);
  });

  it("discloses any subset, sorted, and the check returns exactly the disclosed values", () => {
    expect(disclosure.fields.map((f) => f.index)).to.deep.equal([2, 7]);
    const values = checkFieldDisclosure(tree.root, disclosure, { fieldCount: 10, fields: FIELDS });
    expect([...values.entries()]).to.deep.equal([
      [2, 18460n],
      [7, 265400n],
    ]);
    for (const subset of [[0], [9], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 8]]) {
      const d = discloseFields(tree, VALUES, SALTS, subset);
      expect([...checkFieldDisclosure(tree.root, d).keys()]).to.deep.equal(subset);
    }
    const single = fieldTree([42n], [7n]);
    expect([...checkFieldDisclosure(single.root, discloseFields(single, [42n], [7n], [0])).values()]).to.deep.equal([
      42n,
    ]);
    expect(() => discloseFields(tree, VALUES, SALTS, [])).to.throw(RangeError, "at least one field");
    expect(() => discloseFields(tree, VALUES, SALTS, [10])).to.throw(RangeError, "outside [0, 10)");
  });

  it("round-trips through JSON and refuses a malformed integer", () => {
    const json = JSON.parse(JSON.stringify(disclosureToJson(disclosure)));
    expect(disclosureFromJson(json)).to.deep.equal(disclosure);
    json.fields[0].salt = "0x12";
    expectProblem(
      () => disclosureFromJson(json),
      "shape",
      undefined,
      'salt of field 2 "0x12" is not a decimal integer',
    );
  });

  describe("rejects, naming the problem", () => {
    const check = (d: FieldDisclosure) => checkFieldDisclosure(tree.root, d, { fieldCount: 10, fields: FIELDS });

    it("a wrong value (in range): the opening fails", () => {
      expectProblem(
        () => check(tamper(0, { value: 18461n })),
        "opening",
        2,
        "the value or the salt of field 2 (p) is wrong",
      );
    });

    it("a wrong salt: the opening fails", () => {
      expectProblem(
        () => check(tamper(1, { salt: SALTS[7]! + 1n })),
        "opening",
        7,
        "the value or the salt of field 7 (cp) is wrong",
      );
    });

    it("a value outside the field's range or the scalar field; a salt outside the scalar field", () => {
      expectProblem(() => check(tamper(0, { value: 1n << 16n })), "value", 2, "outside its range [0, 2^16)");
      expectProblem(
        () => check(tamper(0, { value: FIELD + 18460n })),
        "value",
        2,
        "not an integer in [0, field order)",
      );
      expectProblem(() => check(tamper(0, { value: -1n })), "value", 2, "not an integer");
      expectProblem(
        () => check(tamper(1, { salt: SALTS[7]! + FIELD })),
        "salt",
        7,
        "the salt of field 7 (cp) is not an integer in [0, field order)",
      );
    });

    it("a wrong index: out of range, repeated, out of order, or another field's", () => {
      expectProblem(() => check(tamper(1, { index: 10 })), "index", 10, "field index 10 is outside [0, 10)");
      expectProblem(() => check(tamper(1, { index: 2 })), "index", 2, "field index 2 comes after 2");
      expectProblem(
        () => check({ ...disclosure, fields: [...disclosure.fields].reverse() }),
        "index",
        2,
        "comes after 7",
      );
      // Field 2's opening and path presented as field 3's (same node) or field 0's.
      expectProblem(
        () => check({ ...disclosure, fields: [{ ...disclosure.fields[0]!, index: 3 }] }),
        "index",
        3,
        "are those of field 2: the index is wrong",
      );
      expectProblem(
        () => check({ ...disclosure, fields: [{ ...disclosure.fields[0]!, index: 0 }] }),
        "index",
        0,
        "are those of field 2",
      );
    });

    it("a wrong path: a changed sibling, a wrong shape, a sibling outside the field", () => {
      const path = disclosure.fields[0]!.path.map((l) => [...l]);
      path[1]![2]! += 1n;
      expectProblem(
        () => check(tamper(0, { path })),
        "path",
        2,
        "the Merkle path of field 2 (p) does not lead to the commitment",
      );
      expectProblem(() => check(tamper(0, { path: path.slice(0, 1) })), "path", 2, "must have 2 levels of 3 siblings");
      expectProblem(
        () => check(tamper(0, { path: [path[0]!, path[1]!.slice(0, 2)] })),
        "path",
        2,
        "must have 2 levels of 3 siblings",
      );
      const outside = disclosure.fields[0]!.path.map((l) => [...l]);
      outside[0]![0]! += FIELD;
      expectProblem(() => check(tamper(0, { path: outside })), "path", 2, "not a field element");
      // A leaf that is not in the tree: the opening holds (value and salt re-hashed) but the path fails.
      expectProblem(
        () => check(tamper(0, { value: 1n, leaf: fieldLeaf(1n, SALTS[2]!) })),
        "path",
        2,
        "does not lead to the commitment",
      );
    });

    it("a disclosure for another commitment or record layout, or opening nothing", () => {
      expectProblem(() => checkFieldDisclosure(tree.root + 1n, disclosure), "shape", undefined, "is for commitment");
      expectProblem(
        () => checkFieldDisclosure(tree.root, disclosure, { fieldCount: 11 }),
        "shape",
        undefined,
        "the circuit has 11",
      );
      expectProblem(
        () => checkFieldDisclosure(tree.root, { ...disclosure, fieldCount: 0 }),
        "shape",
        undefined,
        "1 to 256 fields",
      );
      expectProblem(
        () => checkFieldDisclosure(tree.root, { ...disclosure, fields: [] }),
        "shape",
        undefined,
        "opens no field",
      );
    });
  });
});
