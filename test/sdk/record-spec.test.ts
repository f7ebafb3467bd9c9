/**
 * The record layout of a model from its manifest (recordSpecFromManifest): what a private TEE request
 * commits on the field tree. It must give the commitment the model's circuit descriptor gives, and a
 * manifest whose fields its input cannot carry is refused.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";

import {
  CircuitSpecError,
  ManifestError,
  Mode,
  circuitSpec,
  commitmentFor,
  encodeInput,
  newSalt,
  parseManifest,
  recordCommitment,
  recordSpecFromManifest,
  teeCommitment,
  teeRecordCommitment,
} from "@verity-ai/sdk";

const ROOT = join(import.meta.dirname, "..", "..");
const json = (...p: string[]) => JSON.parse(readFileSync(join(ROOT, ...p), "utf8")) as Record<string, unknown>;
const DIAGNOSIS = json("models", "breast-cancer-mlp", "manifest.json");
const INPUT = encodeInput("int32be-fixed-x10", [25380, 1733, 18460, 20190, 16220, 66560, 711900, 265400, 4601, 11890]);

describe("sdk fields: a model's record layout from its manifest", () => {
  it("takes the manifest's fields in order, and commits as the circuit descriptor does", async () => {
    const spec = recordSpecFromManifest(parseManifest(DIAGNOSIS, "diagnosis"))!;
    expect(spec.name).to.equal("breast-cancer-mlp");
    expect(spec.input.encoding).to.equal("int32be-fixed-x10");
    expect(spec.input.fields.map((f) => f.name)).to.deep.equal(
      (DIAGNOSIS.input as { fields: { name: string }[] }).fields.map((f) => f.name),
    );
    const circuit = circuitSpec(json("circuits", "breast-cancer-mlp", "descriptor.json"));
    const salt = newSalt();
    expect(recordCommitment(spec, INPUT, salt)).to.equal(recordCommitment(circuit, INPUT, salt));
    expect(await commitmentFor(Mode.TEE, INPUT, salt, spec)).to.equal(recordCommitment(circuit, INPUT, salt));
    expect(teeRecordCommitment(INPUT, salt, spec)).to.equal(recordCommitment(spec, INPUT, salt));
  });

  it("gives no record for a model without input.fields: its TEE commitment stays keccak256(abi.encode(input, salt))", async () => {
    for (const dir of ["silero-vad", "iris"]) {
      const m = parseManifest(json("models", dir, "manifest.json"), dir);
      if (m.input.fields !== undefined) continue; // a model given named fields since has a record
      expect(recordSpecFromManifest(m)).to.equal(undefined);
    }
    const salt = newSalt();
    const audio = new Uint8Array(1024).fill(7);
    expect(await commitmentFor(Mode.TEE, audio, salt)).to.equal(teeCommitment(audio, salt));
    expect(teeRecordCommitment(audio, salt, undefined)).to.equal(teeCommitment(audio, salt));
  });

  it("refuses fields that are not one int32 per field: in the manifest schema, and in the derivation", () => {
    const audio = json("models", "silero-vad", "manifest.json");
    const withFields = {
      ...audio,
      input: { ...(audio.input as object), fields: [{ name: "a", unit: "u", scale: 1, bits: 8, description: "d" }] },
    };
    expect(() => parseManifest(withFields, "vad+fields")).to.throw(
      ManifestError,
      "input.fields: a field record is one int32 big-endian integer per field; pcm-s16be-x512 does not carry 1 of them",
    );
    expect(() =>
      recordSpecFromManifest({
        name: "odd",
        input: { encoding: "pcm-s16be-x512", byteLength: 1024, fields: [{ name: "a", scale: 1, bits: 8 }] },
      }),
    ).to.throw(
      CircuitSpecError,
      "model odd declares 1 input.fields but its input is 1024 bytes of pcm-s16be-x512: a field record is one int32 big-endian integer per field; fix the manifest",
    );
  });

  it("range-checks each field as the circuit does, naming the field", () => {
    const spec = recordSpecFromManifest(parseManifest(DIAGNOSIS, "diagnosis"))!;
    const big = new Uint8Array(INPUT);
    new DataView(big.buffer).setInt32(4 * 6, 2 ** 22, false);
    expect(() => recordCommitment(spec, big, newSalt())).to.throw(
      RangeError,
      "breast-cancer-mlp field 6 (worst_concavity) = 4194304 is outside the record's range [0, 2^22): encode value × 1000000 as a non-negative integer below 4194304",
    );
    expect(() => recordCommitment(spec, INPUT.slice(0, 36), newSalt())).to.throw(
      RangeError,
      "breast-cancer-mlp input is 40 bytes (10 × int32 big-endian), got 36",
    );
  });
});
