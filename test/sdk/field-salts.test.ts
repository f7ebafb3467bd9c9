import { createRequire } from "node:module";

import { expect } from "chai";

import { FIELD, deriveFieldSalts, discloseFields, checkFieldDisclosure, fieldTree } from "@verity-ai/sdk";

const require = createRequire(import.meta.url);
const circomlibjs = require("circomlibjs") as {
  buildPoseidon(): Promise<{ (inputs: bigint[]): Uint8Array; F: { toObject(x: Uint8Array): bigint } }>;
};

const MASTER = 0x1234_5678_9abc_def0_1234_5678_9abc_def0_1234_5678_9abc_def0n;
const VALUES = [25380n, 1733n, 18460n, 20190n, 16220n, 66560n, 711900n, 265400n, 4601n, 11890n];

describe("sdk fields: per-field salts derived from a master salt", () => {
  it("salt_i = Poseidon(masterSalt, i), as circomlib's Poseidon computes it", async () => {
    const poseidon = await circomlibjs.buildPoseidon();
    const salts = deriveFieldSalts(MASTER, 10);
    expect(salts).to.have.length(10);
    salts.forEach((s, i) => expect(s).to.equal(poseidon.F.toObject(poseidon([MASTER, BigInt(i)]))));
    expect(new Set(salts).size).to.equal(10);
    // A prefix of a longer record's salts: the derivation depends on the index only.
    expect(deriveFieldSalts(MASTER, 3)).to.deep.equal(salts.slice(0, 3));
  });

  it("derived salts commit and disclose like random ones", () => {
    const salts = deriveFieldSalts(MASTER, 10);
    const tree = fieldTree(VALUES, salts);
    const d = discloseFields(tree, VALUES, salts, [2, 7]);
    expect([...checkFieldDisclosure(tree.root, d).entries()]).to.deep.equal([
      [2, 18460n],
      [7, 265400n],
    ]);
    // Another master salt gives another commitment to the same values.
    expect(fieldTree(VALUES, deriveFieldSalts(MASTER + 1n, 10)).root).to.not.equal(tree.root);
  });

  it("refuses a master salt outside the field and a record size outside 1 … 256", () => {
    expect(() => deriveFieldSalts(FIELD, 10)).to.throw(
      RangeError,
      `the master salt must be an integer in [0, BN254 field order), got ${FIELD}: draw it with randomSalts(1)`,
    );
    expect(() => deriveFieldSalts(-1n, 10)).to.throw(RangeError, "got -1");
    expect(() => deriveFieldSalts(MASTER, 0)).to.throw(RangeError, "a record has 1 to 256 fields, not 0");
    expect(() => deriveFieldSalts(MASTER, 257)).to.throw(RangeError, "a record has 1 to 256 fields, not 257");
  });
});
