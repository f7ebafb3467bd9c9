/** availableCircuits (descriptor discovery) and the SDK's record inputs built from a descriptor. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { hexlify, toBeHex, zeroPadValue } from "ethers";

import {
  CircuitSpecError,
  circuitSpec,
  deriveFieldSalts,
  encodeInput,
  fieldTree,
  recordCommitment,
  recordFromBytes,
  recordWitnessInput,
  zkSalt,
} from "@verity-ai/sdk";

import { availableCircuits } from "../../../worker/prover.ts";
import { ROOT } from "../../helpers/node.ts";

const DIAGNOSIS = join(ROOT, "circuits", "breast-cancer-mlp", "descriptor.json");
const descriptor = () => JSON.parse(readFileSync(DIAGNOSIS, "utf8")) as Record<string, unknown>;

describe("worker: circuits from their descriptors", function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "verity-circuits-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the repository's circuits, each from its descriptor: the diagnosis model and iris alike", function () {
    const found = availableCircuits(join(ROOT, "circuits"));
    const hash = (dir: string) =>
      (JSON.parse(readFileSync(join(ROOT, "models", dir, "manifest.json"), "utf8")) as { weightsHash: string })
        .weightsHash;
    expect(found.map((c) => [c.name, c.weightsHash, c.spec.input.fields.length])).to.deep.equal([
      ["breast-cancer-mlp", hash("breast-cancer-mlp").toLowerCase(), 10],
      ["iris-mlp", hash("iris").toLowerCase(), 4],
    ]);
    const zeros = new Array<string>(10).fill("0");
    expect(found[0]!.warmInput).to.deep.equal({ x: zeros, salt: zeros });
    expect(found[1]!.warmInput).to.deep.equal({ x: ["0", "0", "0", "0"], salt: ["0", "0", "0", "0"] });
    expect(found[0]!.wasm).to.equal(join(ROOT, "circuits/breast-cancer-mlp/breast-cancer-mlp.wasm"));
    expect(found[1]!.wasm).to.equal(join(ROOT, "circuits/iris/iris-mlp.wasm"));
  });

  it("skips a descriptor whose wasm or key is absent, and refuses an unreadable one naming the file", function () {
    cpSync(DIAGNOSIS, join(dir, "d", "descriptor.json"), { recursive: true });
    expect(availableCircuits(dir)).to.deep.equal([]);
    writeFileSync(join(dir, "d", "descriptor.json"), JSON.stringify({ ...descriptor(), commitment: { scheme: "x" } }));
    expect(() => availableCircuits(dir)).to.throw(
      `${join(dir, "d", "descriptor.json")} is not a usable circuit descriptor (circuit descriptor breast-cancer-mlp commits with x, not poseidon-field-merkle/1: regenerate it with npm run zk:setup): fix or remove it`,
    );
    expect(availableCircuits(join(dir, "absent"))).to.deep.equal([]);
  });

  it("circuitSpec refuses a descriptor whose fields, depth or private inputs do not fit", function () {
    const d = descriptor() as { input: { fields: unknown[] }; commitment: object; privateInputs: object };
    expect(() => circuitSpec({ ...d, input: { ...d.input, fields: d.input.fields.slice(1) } })).to.throw(
      CircuitSpecError,
      "circuit descriptor breast-cancer-mlp: input.fields does not match commitment.fieldCount: regenerate it",
    );
    expect(() => circuitSpec({ ...d, commitment: { ...d.commitment, depth: 3 } })).to.throw(
      CircuitSpecError,
      "circuit descriptor breast-cancer-mlp: commitment.depth is not the tree depth of 10 fields",
    );
    expect(() => circuitSpec({ ...d, privateInputs: undefined })).to.throw(
      CircuitSpecError,
      "circuit descriptor breast-cancer-mlp names no private input signals: regenerate it with npm run zk:setup",
    );
    const wide = d.input.fields.map((f, i) => (i === 2 ? { ...(f as object), bits: 32 } : f));
    expect(() => circuitSpec({ ...d, input: { ...d.input, fields: wide } })).to.throw(
      CircuitSpecError,
      "circuit descriptor breast-cancer-mlp: field worst_perimeter has 32 bits; a circuit field has 1 to 31",
    );
  });

  it("builds the record, its field-tree commitment and the witness input from the descriptor alone", function () {
    const spec = circuitSpec(descriptor());
    const values = [25380, 1733, 18460, 20190, 1622, 66560, 711900, 265400, 4601, 11890];
    const input = hexlify(encodeInput("int32be-fixed-x10", values));
    const salt = "0x" + "ab".repeat(32);
    expect(recordFromBytes(spec, input)).to.deep.equal(values.map(BigInt));
    const salts = deriveFieldSalts(zkSalt(salt), 10);
    expect(recordCommitment(spec, input, salt)).to.equal(
      zeroPadValue(toBeHex(fieldTree(values.map(BigInt), salts).root), 32),
    );
    expect(recordWitnessInput(spec, input, salt)).to.deep.equal({ x: values.map(String), salt: salts.map(String) });
    // Each field is range-checked to its bits, and the length to the field count.
    const over = [...values];
    over[6] = 2 ** 22;
    expect(() => recordFromBytes(spec, encodeInput("int32be-fixed-x10", over))).to.throw(
      RangeError,
      "breast-cancer-mlp field 6 (worst_concavity) = 4194304 is outside the record's range [0, 2^22): encode value × 1000000 as a non-negative integer below 4194304",
    );
    const negative = [...values];
    negative[0] = -1;
    expect(() => recordFromBytes(spec, encodeInput("int32be-fixed-x10", negative))).to.throw(
      RangeError,
      "= -1 is outside",
    );
    expect(() => recordFromBytes(spec, input.slice(0, -8))).to.throw(
      RangeError,
      "breast-cancer-mlp input is 40 bytes (10 × int32 big-endian), got 36",
    );
  });
});
