import { readFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";
import { ZeroAddress, toBeHex, zeroPadValue } from "ethers";
import { network } from "hardhat";

import { ROOT } from "../../scripts/zk/artefacts.ts";
import { FIELD_POSEIDON_CONTRACTS, fieldPoseidonSource } from "../../scripts/zk/poseidon-contracts.ts";
import {
  FIELD,
  FieldDisclosureError,
  checkFieldDisclosure,
  discloseFields,
  fieldLeaf,
  fieldTree,
  randomSalts,
  type FieldDisclosure,
  type FieldOpening,
} from "@verity-ai/sdk";
import type { FieldDisclosureVerifier } from "../../typechain-types/index.ts";

const { ethers, networkHelpers } = await network.create();

const VALUES = [25380n, 1733n, 18460n, 20190n, 16220n, 66560n, 711900n, 265400n, 4601n, 11890n];
const SALTS = randomSalts(10);
const tree = fieldTree(VALUES, SALTS);
const commitment = zeroPadValue(toBeHex(tree.root), 32);
const disclosure = discloseFields(tree, VALUES, SALTS, [2, 7]);

const asStruct = (f: FieldOpening) => ({
  index: f.index,
  value: f.value,
  salt: f.salt,
  leaf: f.leaf,
  path: f.path as [bigint, bigint, bigint][],
});
const tamper = (k: number, change: Partial<FieldOpening>): FieldDisclosure => ({
  ...disclosure,
  fields: disclosure.fields.map((f, i) => (i === k ? { ...f, ...change } : f)),
});

async function deploy() {
  const t3 = await ethers.deployContract("PoseidonT3");
  const t5 = await ethers.deployContract("PoseidonT5");
  const verifier = (await ethers.deployContract("FieldDisclosureVerifier", [
    await t3.getAddress(),
    await t5.getAddress(),
  ])) as unknown as FieldDisclosureVerifier;
  return { verifier, t3, t5 };
}

describe("FieldDisclosureVerifier", function () {
  let verifier: FieldDisclosureVerifier;
  beforeEach(async () => {
    ({ verifier } = await networkHelpers.loadFixture(deploy));
  });
  const onChain = (d: FieldDisclosure, c: string = commitment, count: number = d.fieldCount) =>
    verifier.verifyDisclosure(c, count, d.fields.map(asStruct));
  /** Off-chain check of the same disclosure: the problem it names. */
  const offChain = (d: FieldDisclosure): string => {
    try {
      checkFieldDisclosure(tree.root, d, { fieldCount: 10 });
      return "accepted";
    } catch (e) {
      return (e as FieldDisclosureError).problem;
    }
  };

  it("uses the generated Poseidon contracts, which hash as circomlib (and the SDK) do", async () => {
    const { t3, t5 } = await networkHelpers.loadFixture(deploy);
    for (const [n, name] of FIELD_POSEIDON_CONTRACTS) {
      expect(fieldPoseidonSource(n, name)).to.equal(
        readFileSync(join(ROOT, "contracts", "generated", `${name}.sol`), "utf8"),
      );
    }
    const leaf = new ethers.Contract(
      await t3.getAddress(),
      ["function poseidon(uint256[2]) pure returns (uint256)"],
      ethers.provider,
    );
    const node = new ethers.Contract(
      await t5.getAddress(),
      ["function poseidon(uint256[4]) pure returns (uint256)"],
      ethers.provider,
    );
    expect(await leaf.poseidon([VALUES[0], SALTS[0]])).to.equal(tree.leaves[0]);
    expect(await node.poseidon(tree.levels[0]!.slice(0, 4))).to.equal(tree.levels[1]![0]);
    expect(await verifier.ARITY()).to.equal(4n);
    expect([
      await verifier.depthOf(1),
      await verifier.depthOf(4),
      await verifier.depthOf(5),
      await verifier.depthOf(16),
      await verifier.depthOf(17),
      await verifier.depthOf(256),
    ]).to.deep.equal([1n, 1n, 2n, 2n, 3n, 4n]);
  });

  it("accepts a disclosure of any subset, as the SDK does; gas of the check", async () => {
    for (const subset of [[2, 7], [0], [9], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
      const d = discloseFields(tree, VALUES, SALTS, subset);
      expect(await onChain(d)).to.equal(true);
      expect(offChain(d)).to.equal("accepted");
      const gas = await verifier.verifyDisclosure.estimateGas(commitment, 10, d.fields.map(asStruct));
      console.log(`      verifyDisclosure of ${subset.length} field(s) of 10, as a transaction: ${gas} gas`);
    }
    const single = fieldTree([42n], [7n]);
    expect(
      await verifier.verifyDisclosure(
        zeroPadValue(toBeHex(single.root), 32),
        1,
        discloseFields(single, [42n], [7n], [0]).fields.map(asStruct),
      ),
    ).to.equal(true);
  });

  it("rejects a wrong value or salt: the opening fails (FieldDisclosureOpeningMismatch), off-chain too", async () => {
    for (const [d, index] of [
      [tamper(0, { value: 18461n }), 2],
      [tamper(1, { salt: SALTS[7]! + 1n }), 7],
    ] as const) {
      await expect(onChain(d))
        .to.be.revertedWithCustomError(verifier, "FieldDisclosureOpeningMismatch")
        .withArgs(index, tree.leaves[index]);
      expect(offChain(d)).to.equal("opening");
    }
  });

  it("rejects a value or a salt outside the scalar field", async () => {
    await expect(onChain(tamper(0, { value: FIELD + 18460n })))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosureValueOutOfField")
      .withArgs(2, FIELD + 18460n);
    expect(offChain(tamper(0, { value: FIELD + 18460n }))).to.equal("value");
    await expect(onChain(tamper(1, { salt: SALTS[7]! + FIELD })))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosureSaltOutOfField")
      .withArgs(7, SALTS[7]! + FIELD);
    expect(offChain(tamper(1, { salt: SALTS[7]! + FIELD }))).to.equal("salt");
  });

  it("rejects a wrong index: out of range, repeated, out of order, or another field's", async () => {
    await expect(onChain(tamper(1, { index: 10 })))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosureIndexOutOfRange")
      .withArgs(10, 10);
    await expect(onChain(tamper(1, { index: 2 })))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosureIndexNotAscending")
      .withArgs(2, 2);
    const reversed = { ...disclosure, fields: [...disclosure.fields].reverse() };
    await expect(onChain(reversed))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosureIndexNotAscending")
      .withArgs(7, 2);
    const as3 = { ...disclosure, fields: [{ ...disclosure.fields[0]!, index: 3 }] };
    await expect(onChain(as3)).to.be.revertedWithCustomError(verifier, "FieldDisclosureWrongIndex").withArgs(3, 2);
    const as9 = { ...disclosure, fields: [{ ...disclosure.fields[1]!, index: 9 }] };
    await expect(onChain(as9)).to.be.revertedWithCustomError(verifier, "FieldDisclosureWrongIndex").withArgs(9, 7);
    for (const d of [tamper(1, { index: 10 }), tamper(1, { index: 2 }), reversed, as3, as9])
      expect(offChain(d)).to.equal("index");
  });

  it("rejects a wrong path: a changed sibling, a wrong length, a sibling outside the field", async () => {
    const changed = disclosure.fields[0]!.path.map((l) => [...l]);
    changed[1]![2]! += 1n;
    const tx = onChain(tamper(0, { path: changed }));
    await expect(tx).to.be.revertedWithCustomError(verifier, "FieldDisclosurePathMismatch");
    const outside = disclosure.fields[0]!.path.map((l) => [...l]);
    outside[1]![0]! += FIELD;
    await expect(onChain(tamper(0, { path: changed.slice(0, 1) })))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosurePathLength")
      .withArgs(2, 1, 2);
    await expect(onChain(tamper(0, { path: [...changed, changed[0]!] })))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosurePathLength")
      .withArgs(2, 3, 2);
    await expect(onChain(tamper(0, { path: outside })))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosureSiblingOutOfField")
      .withArgs(2, 1);
    // A re-hashed leaf for another value: the opening holds, the path does not.
    const other = tamper(0, { value: 1n, leaf: fieldLeaf(1n, SALTS[2]!) });
    await expect(onChain(other)).to.be.revertedWithCustomError(verifier, "FieldDisclosurePathMismatch");
    for (const d of [
      tamper(0, { path: changed }),
      tamper(0, { path: changed.slice(0, 1) }),
      tamper(0, { path: outside }),
      other,
    ]) {
      expect(offChain(d)).to.equal("path");
    }
  });

  it("reports the root a wrong path leads to, and rejects another commitment, an empty disclosure, a bad field count", async () => {
    const changed = disclosure.fields[1]!.path.map((l) => [...l]);
    changed[0]![0]! += 1n;
    const { rootFromPath } = await import("../../sdk/src/fields/tree.ts");
    const wrongRoot = zeroPadValue(toBeHex(rootFromPath(disclosure.fields[1]!.leaf, 7, changed)), 32);
    await expect(onChain(tamper(1, { path: changed })))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosurePathMismatch")
      .withArgs(7, wrongRoot, commitment);
    const otherCommitment = zeroPadValue(toBeHex(tree.root + 1n), 32);
    await expect(onChain(disclosure, otherCommitment))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosurePathMismatch")
      .withArgs(2, commitment, otherCommitment);
    await expect(onChain({ ...disclosure, fields: [] })).to.be.revertedWithCustomError(
      verifier,
      "FieldDisclosureEmpty",
    );
    await expect(onChain(disclosure, commitment, 0))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosureBadFieldCount")
      .withArgs(0, 256);
    await expect(onChain(disclosure, commitment, 257))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosureBadFieldCount")
      .withArgs(257, 256);
    // A field count with another depth: the paths have the wrong length.
    await expect(onChain(disclosure, commitment, 17))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosurePathLength")
      .withArgs(2, 2, 3);
  });

  it("refuses zero addresses at construction", async () => {
    const { t3 } = await networkHelpers.loadFixture(deploy);
    const factory = await ethers.getContractFactory("FieldDisclosureVerifier");
    await expect(factory.deploy(ZeroAddress, await t3.getAddress()))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosureInvalidAddress")
      .withArgs("leafHash");
    await expect(factory.deploy(await t3.getAddress(), ZeroAddress))
      .to.be.revertedWithCustomError(verifier, "FieldDisclosureInvalidAddress")
      .withArgs("nodeHash");
  });
});
