import { readFileSync } from "node:fs";

import { expect } from "chai";
import { ZeroAddress, toBeHex, zeroPadValue } from "ethers";
import { network } from "hardhat";

import {
  FIELD,
  FieldRangeError,
  RANGE_MAX,
  RANGE_MIN,
  boundToField,
  checkFieldRange,
  fieldRangeFromJson,
  fieldRangeToJson,
  fieldTree,
  merklePath,
  proveFieldRange,
  proveGroth16,
  randomSalts,
  rangeProofWords,
  requestIdOf,
  zkShutdown,
  type FieldRangeProof,
  type Request,
} from "@verity-ai/sdk";
import {
  fieldRangeMain,
  fieldRangePaths,
  fieldRangeSdkKeys,
  fieldRangeVerifierSource,
} from "../../scripts/zk/field-range.ts";
import type { FieldRangeD2Groth16Verifier } from "../../typechain-types/index.ts";
import { deployZk, irisRecord, openZkRequest } from "../zk/helpers.ts";

const conn = await network.create();
const { networkHelpers } = conn;

const D2 = fieldRangePaths(2);
// A breast-cancer-mlp record: ten int32 fixed-point fields (worst radius 25.38 × 1000 = 25380, …).
const VALUES = [25380n, 1733n, 18460n, 20190n, 16220n, 66560n, 711900n, 265400n, 4601n, 11890n];
const SALTS = randomSalts(10);
const tree = fieldTree(VALUES, SALTS);
const OTHER_VALUES = VALUES.map((v) => v + 1n);
const otherTree = fieldTree(OTHER_VALUES, randomSalts(10));
const hex32 = (v: bigint) => zeroPadValue(toBeHex(v), 32);

const prove = (index: number, min: bigint, max: bigint, t = tree, values = VALUES, salts = SALTS) =>
  proveFieldRange({ tree: t, values, salts, index, min, max, wasm: D2.wasm, zkey: D2.zkey });

/** Why a promise rejected: a FieldRangeError's problem and message. */
async function rejection(p: Promise<unknown>): Promise<{ problem: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FieldRangeError) return { problem: e.problem, message: e.message };
    return { problem: "other", message: (e as Error).message };
  }
  return { problem: "accepted", message: "" };
}

async function deploy() {
  const d = await deployZk(conn);
  const verifier = (await conn.ethers.deployContract("FieldRangeD2Groth16Verifier", [
    await d.coordinator.getAddress(),
  ])) as unknown as FieldRangeD2Groth16Verifier;
  // Two private requests, committed to two different records (no input is sent).
  const one = await openZkRequest(d, irisRecord([1, 1, 1, 1], 1n), { inputCommitment: hex32(tree.root) });
  const two = await openZkRequest(d, irisRecord([1, 1, 1, 1], 1n), { inputCommitment: hex32(otherTree.root) });
  return { d, verifier, one: one.request, two: two.request };
}

describe("FieldRangeVerifier (depth 2) and the SDK's range proofs", function () {
  this.timeout(120_000);
  // worst_radius (field 0, 25380) lies in [20000, 30000] (20.0 … 30.0 in its unit).
  let radius: FieldRangeProof;
  let verifier: FieldRangeD2Groth16Verifier;
  let one: Request;
  let two: Request;
  before(async () => {
    radius = await prove(0, 20_000n, 30_000n);
  });
  after(async () => {
    await zkShutdown(); // snarkjs's curve threads would keep the process alive
  });
  beforeEach(async () => {
    ({ verifier, one, two } = await networkHelpers.loadFixture(deploy));
  });
  const words = (p: FieldRangeProof = radius) =>
    rangeProofWords(p.proof) as unknown as Parameters<FieldRangeD2Groth16Verifier["verifyRange"]>[5];

  describe("a true predicate", () => {
    it("is accepted on chain and recorded against its request with FieldRangeProved", async () => {
      expect(await verifier.verifyRange(hex32(tree.root), 10, 0, 20_000n, 30_000n, words())).to.equal(true);
      const [signer] = await conn.ethers.getSigners();
      await expect(verifier.proveRange(one, 10, 0, 20_000n, 30_000n, words()))
        .to.emit(verifier, "FieldRangeProved")
        .withArgs(requestIdOf(one), hex32(tree.root), 0n, 20_000n, 30_000n, signer!.address);
      expect(await verifier.depth()).to.equal(2n);
    });

    it("is accepted off chain by the SDK with its committed verification key, also after a JSON round trip", async () => {
      expect(await checkFieldRange(tree.root, radius, { fieldCount: 10 })).to.equal(true);
      const copy = fieldRangeFromJson(JSON.parse(JSON.stringify(fieldRangeToJson(radius))));
      expect(await checkFieldRange(tree.root, copy)).to.equal(true);
    });

    it("holds with signed bounds: a negative lower bound is the field element p − |x| on both sides", async () => {
      const p = await prove(7, -100n, 265_400n); // worst concave points = 0.2654, the upper bound exact
      expect(p.min).to.equal(-100n);
      expect(await checkFieldRange(tree.root, p)).to.equal(true);
      expect(await verifier.verifyRange(hex32(tree.root), 10, 7, -100n, 265_400n, words(p))).to.equal(true);
      expect(boundToField(-100n)).to.equal(FIELD - 100n);
      // Widest bounds the encoding allows.
      const widest = await prove(9, RANGE_MIN, RANGE_MAX);
      expect(await verifier.verifyRange(hex32(tree.root), 10, 9, RANGE_MIN, RANGE_MAX, words(widest))).to.equal(true);
    });
  });

  describe("a false predicate", () => {
    it("is refused by the SDK before proving, with a sentence that says so", async () => {
      const r = await rejection(prove(0, 26_000n, 30_000n));
      expect(r.problem).to.equal("false");
      expect(r.message).to.equal(
        "the value of field 0 is outside [26000, 30000]: the predicate is false and cannot be proved; choose bounds that hold",
      );
    });

    it("has no witness in the circuit: a prover that skips the SDK's check gets no proof", async () => {
      const input = {
        root: String(tree.root),
        index: "0",
        min: "26000",
        max: "30000",
        value: String(VALUES[0]),
        salt: String(SALTS[0]),
        path: merklePath(tree, 0).map((l) => l.map(String)),
      };
      expect((await rejection(proveGroth16(input, D2.wasm, D2.zkey))).message).to.match(/Assert Failed/);
      // Nor can it prove a lie about the value: the leaf must open to the committed one.
      const lie = { ...input, value: "27000" };
      expect((await rejection(proveGroth16(lie, D2.wasm, D2.zkey))).message).to.match(/Assert Failed/);
    });

    it("cannot be smuggled in through a bound outside int32 (the comparison would wrap): the circuit range-checks bounds", async () => {
      // min = −2^40 as a field element: shifted by 2^31 it is not below 2^32, so no witness.
      const input = {
        root: String(tree.root),
        index: "0",
        min: String(FIELD - 2n ** 40n),
        max: "30000",
        value: String(VALUES[0]),
        salt: String(SALTS[0]),
        path: merklePath(tree, 0).map((l) => l.map(String)),
      };
      expect((await rejection(proveGroth16(input, D2.wasm, D2.zkey))).message).to.match(/Assert Failed/);
    });
  });

  describe("a proof replayed for another claim", () => {
    it("is rejected for another request's commitment, on chain and off chain", async () => {
      await expect(verifier.proveRange(two, 10, 0, 20_000n, 30_000n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeInvalidProof")
        .withArgs(hex32(otherTree.root), 0n, 20_000n, 30_000n);
      // The same proof file presented as the other record's: the off-chain check refuses the commitment,
      // and the proof itself fails for it.
      expect((await rejection(checkFieldRange(otherTree.root, radius))).problem).to.equal("proof");
      const relabelled = { ...radius, commitment: otherTree.root };
      expect((await rejection(checkFieldRange(otherTree.root, relabelled))).message).to.equal(
        `the proof does not show that field 0 of commitment ${otherTree.root} lies in [20000, 30000]: it was made for another record, field or bounds`,
      );
    });

    it("is rejected for other bounds (narrower or wider), on chain and off chain", async () => {
      for (const [min, max] of [
        [20_000n, 29_999n],
        [19_999n, 30_000n],
      ] as const) {
        await expect(verifier.proveRange(one, 10, 0, min, max, words()))
          .to.be.revertedWithCustomError(verifier, "FieldRangeInvalidProof")
          .withArgs(hex32(tree.root), 0n, min, max);
        expect((await rejection(checkFieldRange(tree.root, { ...radius, min, max }))).problem).to.equal("proof");
      }
    });

    it("is rejected for another field index, on chain and off chain", async () => {
      await expect(verifier.proveRange(one, 10, 1, 20_000n, 30_000n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeInvalidProof")
        .withArgs(hex32(tree.root), 1n, 20_000n, 30_000n);
      expect((await rejection(checkFieldRange(tree.root, { ...radius, index: 1 }))).problem).to.equal("proof");
    });
  });

  describe("claims the verifier refuses before the pairing", () => {
    it("refuses a request the coordinator never made", async () => {
      const forged = { ...one, nonce: one.nonce + 100n };
      await expect(verifier.proveRange(forged, 10, 0, 20_000n, 30_000n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeUnknownRequest")
        .withArgs(requestIdOf(forged));
    });

    it("refuses bounds outside int32 and an empty range, on chain and in the SDK", async () => {
      const c = hex32(tree.root);
      await expect(verifier.verifyRange(c, 10, 0, RANGE_MIN - 1n, 0n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeBoundOutOfRange")
        .withArgs(RANGE_MIN - 1n);
      await expect(verifier.verifyRange(c, 10, 0, 0n, RANGE_MAX + 1n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeBoundOutOfRange")
        .withArgs(RANGE_MAX + 1n);
      await expect(verifier.verifyRange(c, 10, 0, 30_000n, 20_000n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeEmptyRange")
        .withArgs(30_000n, 20_000n);
      const out = await rejection(prove(0, 0n, RANGE_MAX + 1n));
      expect(out).to.deep.equal({
        problem: "bounds",
        message: `the upper bound ${RANGE_MAX + 1n} of field 0 is not a signed 32-bit integer (the record's encoding): give a bound in [${RANGE_MIN}, ${RANGE_MAX}] in encoded units`,
      });
      expect(await rejection(prove(0, 30_000n, 20_000n))).to.deep.equal({
        problem: "bounds",
        message: "the range [30000, 20000] of field 0 is empty: the lower bound must not exceed the upper",
      });
    });

    it("refuses an index past the record and a record of another depth", async () => {
      const c = hex32(tree.root);
      await expect(verifier.verifyRange(c, 10, 10, 0n, 1n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeIndexOutOfRange")
        .withArgs(10n, 10n);
      await expect(verifier.verifyRange(c, 17, 0, 0n, 1n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeDepthMismatch")
        .withArgs(17n, 3n, 2n);
      await expect(verifier.verifyRange(c, 4, 0, 0n, 1n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeDepthMismatch")
        .withArgs(4n, 1n, 2n);
      await expect(verifier.verifyRange(c, 0, 0, 0n, 1n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeDepthMismatch")
        .withArgs(0n, 0n, 2n);
      expect((await rejection(checkFieldRange(tree.root, { ...radius, index: 10 }))).problem).to.equal("index");
      expect((await rejection(checkFieldRange(tree.root, radius, { fieldCount: 12 }))).problem).to.equal("shape");
    });

    it("refuses a commitment outside the field and a proof coordinate outside the base field", async () => {
      const big = hex32(FIELD + tree.root);
      await expect(verifier.verifyRange(big, 10, 0, 20_000n, 30_000n, words()))
        .to.be.revertedWithCustomError(verifier, "FieldRangeCommitmentOutOfField")
        .withArgs(big);
      // a.y + q: the same point mod q, refused rather than reduced (by the explicit coordinate check, which the
      // precompiles back up: they refuse a coordinate ≥ q too, so this guards behaviour, not one line).
      const q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
      const w = rangeProofWords(radius.proof);
      w[1] = w[1]! + q;
      await expect(
        verifier.verifyRange(hex32(tree.root), 10, 0, 20_000n, 30_000n, w as unknown as ReturnType<typeof words>),
      )
        .to.be.revertedWithCustomError(verifier, "FieldRangeInvalidProof")
        .withArgs(hex32(tree.root), 0n, 20_000n, 30_000n);
    });

    it("refuses a zero coordinator at deployment", async () => {
      const factory = await conn.ethers.getContractFactory("FieldRangeD2Groth16Verifier");
      await expect(factory.deploy(ZeroAddress))
        .to.be.revertedWithCustomError(verifier, "FieldRangeInvalidAddress")
        .withArgs("coordinator");
    });
  });

  it("has committed artefacts that the setup would write again: main circuit, Solidity key, SDK keys", () => {
    expect(fieldRangeMain(2)).to.equal(readFileSync(D2.circuit, "utf8"));
    expect(fieldRangeVerifierSource(D2.vkey, 2, D2.contract)).to.equal(readFileSync(D2.verifier, "utf8"));
    expect(fieldRangeSdkKeys()).to.equal(readFileSync(D2.sdkKeys, "utf8"));
  });
});
