import { expect } from "chai";
import { AbiCoder, ZeroAddress, ZeroHash, keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";

import { requestParams } from "@verity-ai/sdk";
import {
  INPUT_64,
  OUTPUT,
  PRICE,
  ROYALTY_BPS,
  WEIGHTS_HASH,
  deployVerity,
  openRequest,
  teeProof,
} from "../helpers/fixture.ts";
import type { Deployment } from "../helpers/fixture.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

const MAX_NAME = 64n;
const WEIGHTS_2 = keccak256(toUtf8Bytes("iris model bytes v2"));
/** An address without code: a version naming it as its ZK verifier is refused. */
const EOA_VERIFIER = "0x000000000000000000000000000000000000dEaD";
/**
 * Approved ZK verifiers (set by the fixture) declaring the weights they prove: ZK_VERIFIER proves
 * WEIGHTS_2, ZK_VERIFIER_1 proves WEIGHTS_HASH. A version pins the one for its weights by default.
 */
let ZK_VERIFIER = "";
let ZK_VERIFIER_1 = "";

function zkFor(weightsHash: string): string {
  if (weightsHash === WEIGHTS_2) return ZK_VERIFIER;
  if (weightsHash === WEIGHTS_HASH) return ZK_VERIFIER_1;
  return ZeroAddress;
}

function version(
  weightsHash = WEIGHTS_2,
  fields: Partial<{ uri: string; runtime: string; encoding: string; zkVerifier: string }> = {},
) {
  return {
    weightsHash,
    zkVerifier: zkFor(weightsHash),
    uri: "verity://models/iris/v2",
    runtime: "onnx",
    encoding: "int32be-milli-x4/uint256-argmax",
    ...fields,
  };
}

function modelIdOf(owner: string, name: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["address", "string"], [owner, name]));
}

async function fixture(): Promise<Deployment> {
  const d = await deployVerity(conn);
  // loadFixture runs this once and reverts to the snapshot taken after it, so the address stays valid.
  for (const [w, set] of [
    [WEIGHTS_2, (a: string) => (ZK_VERIFIER = a)],
    [WEIGHTS_HASH, (a: string) => (ZK_VERIFIER_1 = a)],
  ] as const) {
    const v = await ethers.deployContract("AcceptAllVerifier", [2]);
    await v.setWeightsHash(w);
    set(await v.getAddress());
  }
  await d.registry.connect(d.admin).setZkVerifierApproval(ZK_VERIFIER, true);
  return d;
}

describe("ModelRegistry", function () {
  describe("registerModel", function () {
    it("registers the model with its first version and emits both events", async function () {
      const { registry, other } = await networkHelpers.loadFixture(fixture);
      const owner = await other.getAddress();
      const id = modelIdOf(owner, "resnet");
      const input = version(WEIGHTS_HASH, { uri: "ipfs://resnet", encoding: "f32/f32" });
      expect(await registry.connect(other).registerModel.staticCall("resnet", 123n, 250, 0b1110, input)).to.equal(id);

      const tx = registry.connect(other).registerModel("resnet", 123n, 250, 0b1110, input);
      await expect(tx).to.emit(registry, "ModelRegistered").withArgs(id, owner, "resnet", 123n, 250, 0b1110);
      await expect(tx)
        .to.emit(registry, "VersionPublished")
        .withArgs(id, 1, WEIGHTS_HASH, ZK_VERIFIER_1, "ipfs://resnet", "onnx", "f32/f32");
      const ts = BigInt(await networkHelpers.time.latest());

      const m = await registry.getModel(id);
      expect(m.price).to.equal(123n);
      expect(m.royaltyBps).to.equal(250n);
      expect(m.modes).to.equal(0b1110n);
      expect(m.active).to.equal(true);
      expect(m.latestVersion).to.equal(1n);
      expect(m.owner).to.equal(owner);
      expect(m.pendingOwner).to.equal(ZeroAddress);

      const v = await registry.getVersion(id, 1);
      expect(v.weightsHash).to.equal(WEIGHTS_HASH);
      expect(v.zkVerifier).to.equal(ZK_VERIFIER_1);
      expect(v.publishedAt).to.equal(ts);
      expect(v.uri).to.equal("ipfs://resnet");
      expect(v.runtime).to.equal("onnx");
      expect(v.encoding).to.equal("f32/f32");
      expect(await registry.ownerOf(id)).to.equal(owner);
    });

    it("derives the id from owner and name (modelIdOf)", async function () {
      const { registry, modelOwner, modelId, other } = await networkHelpers.loadFixture(fixture);
      const owner = await modelOwner.getAddress();
      expect(await registry.modelIdOf(owner, "iris")).to.equal(modelIdOf(owner, "iris"));
      expect(modelId).to.equal(modelIdOf(owner, "iris"));
      // Same name under another owner is another model.
      await registry.connect(other).registerModel("iris", 1n, 0, 0b10, version());
      const otherId = modelIdOf(await other.getAddress(), "iris");
      expect(otherId).to.not.equal(modelId);
      expect(await registry.ownerOf(otherId)).to.equal(await other.getAddress());
      expect(await registry.ownerOf(modelId)).to.equal(owner);
    });

    it("reverts RegistryModelExists for the same owner and name", async function () {
      const { registry, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
      await expect(registry.connect(modelOwner).registerModel("iris", 1n, 0, 0b10, version()))
        .to.be.revertedWithCustomError(registry, "RegistryModelExists")
        .withArgs(modelId);
    });

    it("reverts RegistryInvalidName for an empty or too long name, accepts 64 bytes", async function () {
      const { registry, other } = await networkHelpers.loadFixture(fixture);
      await expect(registry.connect(other).registerModel("", 1n, 0, 0b10, version()))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidName")
        .withArgs(0n, MAX_NAME);
      await expect(registry.connect(other).registerModel("x".repeat(65), 1n, 0, 0b10, version()))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidName")
        .withArgs(65n, MAX_NAME);
      // Length is in bytes: 33 two-byte characters are 66 bytes.
      await expect(registry.connect(other).registerModel("é".repeat(33), 1n, 0, 0b10, version()))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidName")
        .withArgs(66n, MAX_NAME);
      expect(await registry.MAX_NAME_LENGTH()).to.equal(MAX_NAME);
      await expect(registry.connect(other).registerModel("x".repeat(64), 1n, 0, 0b10, version())).to.emit(
        registry,
        "ModelRegistered",
      );
    });

    it("reverts RegistryInvalidRoyalty above 10,000 bps, accepts exactly 10,000", async function () {
      const { registry, other } = await networkHelpers.loadFixture(fixture);
      await expect(registry.connect(other).registerModel("m", 1n, 10_001, 0b10, version()))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidRoyalty")
        .withArgs(10_001);
      await expect(registry.connect(other).registerModel("m", 1n, 10_000, 0b10, version())).to.emit(
        registry,
        "ModelRegistered",
      );
    });

    it("reverts RegistryInvalidModes for no modes, bit 0 or bits above MODE_MAX", async function () {
      const { registry, other } = await networkHelpers.loadFixture(fixture);
      for (const modes of [0, 0b1, 0b11, 0b10000, 0b10010, 0xff]) {
        await expect(registry.connect(other).registerModel("m", 1n, 0, modes, version()))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidModes")
          .withArgs(modes);
      }
      await expect(registry.connect(other).registerModel("m", 1n, 0, 0b1110, version())).to.emit(
        registry,
        "ModelRegistered",
      );
    });

    it("reverts RegistryInvalidZkVerifier for a ZK verifier without code, accepts zero and a contract", async function () {
      const { registry, other, requester } = await networkHelpers.loadFixture(fixture);
      for (const eoa of [EOA_VERIFIER, await requester.getAddress()]) {
        await expect(registry.connect(other).registerModel("m", 1n, 0, 0b110, version(WEIGHTS_2, { zkVerifier: eoa })))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidZkVerifier")
          .withArgs(eoa);
      }
      await expect(registry.connect(other).registerModel("m", 1n, 0, 0b110, version()))
        .to.emit(registry, "VersionPublished")
        .withArgs(
          modelIdOf(await other.getAddress(), "m"),
          1,
          WEIGHTS_2,
          ZK_VERIFIER,
          "verity://models/iris/v2",
          "onnx",
          "int32be-milli-x4/uint256-argmax",
        );
      await expect(
        registry.connect(other).registerModel("n", 1n, 0, 0b10, version(WEIGHTS_2, { zkVerifier: ZeroAddress })),
      )
        .to.emit(registry, "VersionPublished")
        .withArgs(
          modelIdOf(await other.getAddress(), "n"),
          1,
          WEIGHTS_2,
          ZeroAddress,
          "verity://models/iris/v2",
          "onnx",
          "int32be-milli-x4/uint256-argmax",
        );
    });

    it("reverts RegistryInvalidWeightsHash and RegistryInvalidVersionField for the first version", async function () {
      const { registry, other } = await networkHelpers.loadFixture(fixture);
      await expect(registry.connect(other).registerModel("m", 1n, 0, 0b10, version(ZeroHash)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidWeightsHash")
        .withArgs(ZeroHash);
      for (const field of ["uri", "runtime", "encoding"] as const) {
        await expect(registry.connect(other).registerModel("m", 1n, 0, 0b10, version(WEIGHTS_2, { [field]: "" })))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidVersionField")
          .withArgs(field);
      }
    });
  });

  describe("publishVersion", function () {
    it("numbers versions from 1 and never changes a published one", async function () {
      const { registry, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
      const v1 = await registry.getVersion(modelId, 1);
      expect(await registry.connect(modelOwner).publishVersion.staticCall(modelId, version())).to.equal(2n);

      await expect(registry.connect(modelOwner).publishVersion(modelId, version()))
        .to.emit(registry, "VersionPublished")
        .withArgs(
          modelId,
          2,
          WEIGHTS_2,
          ZK_VERIFIER,
          "verity://models/iris/v2",
          "onnx",
          "int32be-milli-x4/uint256-argmax",
        );
      const ts2 = BigInt(await networkHelpers.time.latest());
      const w3 = keccak256(toUtf8Bytes("v3"));
      await expect(registry.connect(modelOwner).publishVersion(modelId, version(w3, { uri: "u3" })))
        .to.emit(registry, "VersionPublished")
        .withArgs(modelId, 3, w3, ZeroAddress, "u3", "onnx", "int32be-milli-x4/uint256-argmax");

      expect((await registry.getModel(modelId)).latestVersion).to.equal(3n);
      const again1 = await registry.getVersion(modelId, 1);
      expect(again1.weightsHash).to.equal(v1.weightsHash).and.to.equal(WEIGHTS_HASH);
      expect(again1.uri).to.equal(v1.uri);
      expect(again1.publishedAt).to.equal(v1.publishedAt);
      const v2 = await registry.getVersion(modelId, 2);
      expect(v2.weightsHash).to.equal(WEIGHTS_2);
      expect(v2.publishedAt).to.equal(ts2);
      expect((await registry.getVersion(modelId, 3)).weightsHash).to.equal(w3);
    });

    it("reverts RegistryNotOwner for anyone else and RegistryUnknownModel for an unknown id", async function () {
      const { registry, modelId, other } = await networkHelpers.loadFixture(fixture);
      await expect(registry.connect(other).publishVersion(modelId, version()))
        .to.be.revertedWithCustomError(registry, "RegistryNotOwner")
        .withArgs(modelId, await other.getAddress());
      const unknown = keccak256(toUtf8Bytes("nope"));
      await expect(registry.connect(other).publishVersion(unknown, version()))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownModel")
        .withArgs(unknown);
    });

    it("validates the version fields", async function () {
      const { registry, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
      await expect(registry.connect(modelOwner).publishVersion(modelId, version(ZeroHash)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidWeightsHash")
        .withArgs(ZeroHash);
      for (const field of ["uri", "runtime", "encoding"] as const) {
        await expect(registry.connect(modelOwner).publishVersion(modelId, version(WEIGHTS_2, { [field]: "" })))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidVersionField")
          .withArgs(field);
      }
      for (const eoa of [EOA_VERIFIER, await modelOwner.getAddress()]) {
        await expect(registry.connect(modelOwner).publishVersion(modelId, version(WEIGHTS_2, { zkVerifier: eoa })))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidZkVerifier")
          .withArgs(eoa);
      }
      expect((await registry.getModel(modelId)).latestVersion).to.equal(1n);
    });
  });

  describe("getVersion / getModel / ownerOf", function () {
    it("reverts RegistryUnknownVersion for version 0 and above the latest", async function () {
      const { registry, modelId } = await networkHelpers.loadFixture(fixture);
      for (const v of [0, 2, 2 ** 32 - 1]) {
        await expect(registry.getVersion(modelId, v))
          .to.be.revertedWithCustomError(registry, "RegistryUnknownVersion")
          .withArgs(modelId, v);
      }
    });

    it("reverts RegistryUnknownModel for an unknown model", async function () {
      const { registry } = await networkHelpers.loadFixture(fixture);
      const unknown = keccak256(toUtf8Bytes("unknown"));
      await expect(registry.getVersion(unknown, 1))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownModel")
        .withArgs(unknown);
      await expect(registry.getModel(unknown))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownModel")
        .withArgs(unknown);
      await expect(registry.ownerOf(unknown))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownModel")
        .withArgs(unknown);
      await expect(registry.requestTerms(unknown, 0, 1))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownModel")
        .withArgs(unknown);
    });
  });

  describe("setPricing / setModes / setActive", function () {
    it("updates pricing with PricingUpdated", async function () {
      const { registry, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
      await expect(registry.connect(modelOwner).setPricing(modelId, 77n, 10_000))
        .to.emit(registry, "PricingUpdated")
        .withArgs(modelId, 77n, 10_000);
      const m = await registry.getModel(modelId);
      expect(m.price).to.equal(77n);
      expect(m.royaltyBps).to.equal(10_000n);
      await expect(registry.connect(modelOwner).setPricing(modelId, 1n, 10_001))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidRoyalty")
        .withArgs(10_001);
    });

    it("updates modes with ModesUpdated and rejects invalid sets", async function () {
      const { registry, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
      await expect(registry.connect(modelOwner).setModes(modelId, 0b1100))
        .to.emit(registry, "ModesUpdated")
        .withArgs(modelId, 0b1100);
      expect((await registry.getModel(modelId)).modes).to.equal(0b1100n);
      for (const modes of [0, 1, 0b10001]) {
        await expect(registry.connect(modelOwner).setModes(modelId, modes))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidModes")
          .withArgs(modes);
      }
    });

    it("toggles active with ActiveUpdated", async function () {
      const { registry, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
      await expect(registry.connect(modelOwner).setActive(modelId, false))
        .to.emit(registry, "ActiveUpdated")
        .withArgs(modelId, false);
      expect((await registry.getModel(modelId)).active).to.equal(false);
      await expect(registry.connect(modelOwner).setActive(modelId, true))
        .to.emit(registry, "ActiveUpdated")
        .withArgs(modelId, true);
      expect((await registry.getModel(modelId)).active).to.equal(true);
    });

    it("reverts RegistryNotOwner / RegistryUnknownModel on every owner function", async function () {
      const { registry, modelId, other } = await networkHelpers.loadFixture(fixture);
      const who = await other.getAddress();
      const unknown = keccak256(toUtf8Bytes("unknown"));
      const calls = [
        (id: string) => registry.connect(other).setPricing(id, 1n, 0),
        (id: string) => registry.connect(other).setModes(id, 0b10),
        (id: string) => registry.connect(other).setActive(id, false),
        (id: string) => registry.connect(other).transferModelOwnership(id, who),
      ];
      for (const call of calls) {
        await expect(call(modelId)).to.be.revertedWithCustomError(registry, "RegistryNotOwner").withArgs(modelId, who);
        await expect(call(unknown)).to.be.revertedWithCustomError(registry, "RegistryUnknownModel").withArgs(unknown);
      }
    });
  });

  describe("requestTerms", function () {
    it("resolves version 0 to the latest and pins an explicit version", async function () {
      const { registry, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
      let t = await registry.requestTerms(modelId, 0, 1);
      expect([t.price, t.royaltyBps, t.version, t.weightsHash, t.verifier]).to.deep.equal([
        PRICE,
        ROYALTY_BPS,
        1n,
        WEIGHTS_HASH,
        ZeroAddress,
      ]);

      await registry.connect(modelOwner).publishVersion(modelId, version());
      t = await registry.requestTerms(modelId, 0, 1);
      expect([t.version, t.weightsHash, t.verifier]).to.deep.equal([2n, WEIGHTS_2, ZeroAddress]);
      t = await registry.requestTerms(modelId, 1, 1);
      expect([t.version, t.weightsHash, t.verifier]).to.deep.equal([1n, WEIGHTS_HASH, ZeroAddress]);
      await expect(registry.requestTerms(modelId, 3, 1))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownVersion")
        .withArgs(modelId, 3);
    });

    it("returns the version's ZK verifier for mode 2 and zero for mode 1", async function () {
      const { registry, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
      await registry.connect(modelOwner).setModes(modelId, 0b110);
      await registry.connect(modelOwner).publishVersion(modelId, version());
      let t = await registry.requestTerms(modelId, 0, 2);
      expect([t.price, t.royaltyBps, t.version, t.weightsHash, t.verifier]).to.deep.equal([
        PRICE,
        ROYALTY_BPS,
        2n,
        WEIGHTS_2,
        ZK_VERIFIER,
      ]);
      expect(await registry.zkVerifierOf(modelId, 2)).to.equal(ZK_VERIFIER);
      t = await registry.requestTerms(modelId, 2, 1);
      expect([t.version, t.weightsHash, t.verifier]).to.deep.equal([2n, WEIGHTS_2, ZeroAddress]);
    });

    it("reverts RegistryNoZkVerifier for mode 2 on a version without a ZK verifier", async function () {
      const { registry, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
      await registry.connect(modelOwner).setModes(modelId, 0b110);
      // Version 1 (the fixture's) has no ZK verifier; TEE requests for it still resolve.
      await expect(registry.requestTerms(modelId, 0, 2))
        .to.be.revertedWithCustomError(registry, "RegistryNoZkVerifier")
        .withArgs(modelId, 1);
      expect((await registry.requestTerms(modelId, 0, 1)).version).to.equal(1n);
      // Version 2 has one, version 1 still not.
      await registry.connect(modelOwner).publishVersion(modelId, version());
      expect((await registry.requestTerms(modelId, 0, 2)).verifier).to.equal(ZK_VERIFIER);
      await expect(registry.requestTerms(modelId, 1, 2))
        .to.be.revertedWithCustomError(registry, "RegistryNoZkVerifier")
        .withArgs(modelId, 1);
      // Version 3 without one again: version 0 resolves to it.
      await registry.connect(modelOwner).publishVersion(modelId, version(WEIGHTS_HASH, { zkVerifier: ZeroAddress }));
      await expect(registry.requestTerms(modelId, 0, 2))
        .to.be.revertedWithCustomError(registry, "RegistryNoZkVerifier")
        .withArgs(modelId, 3);
    });

    it("pins the latest version into a request made with version 0", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      await d.registry.connect(d.modelOwner).publishVersion(d.modelId, version());
      const { request } = await openRequest(d);
      expect(request.version).to.equal(2n);
      expect(request.weightsHash).to.equal(WEIGHTS_2);
      const pinned = await openRequest(d, { version: 1 });
      expect(pinned.request.version).to.equal(1n);
      expect(pinned.request.weightsHash).to.equal(WEIGHTS_HASH);
    });

    it("reverts RegistryModeNotAllowed for a mode the model does not allow", async function () {
      const { registry, modelId } = await networkHelpers.loadFixture(fixture);
      for (const mode of [0, 2, 3, 4, 255]) {
        await expect(registry.requestTerms(modelId, 0, mode))
          .to.be.revertedWithCustomError(registry, "RegistryModeNotAllowed")
          .withArgs(modelId, mode);
      }
    });

    it("reverts RegistryModelInactive for an inactive model, also through the coordinator", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      await d.registry.connect(d.modelOwner).setActive(d.modelId, false);
      await expect(d.registry.requestTerms(d.modelId, 0, 1))
        .to.be.revertedWithCustomError(d.registry, "RegistryModelInactive")
        .withArgs(d.modelId);
      await expect(
        d.coordinator.connect(d.requester).requestInference(requestParams({ modelId: d.modelId, input: INPUT_64 })),
      )
        .to.be.revertedWithCustomError(d.registry, "RegistryModelInactive")
        .withArgs(d.modelId);
    });
  });

  describe("two-step ownership", function () {
    it("starts, accepts and moves every owner right to the new owner", async function () {
      const { registry, modelOwner, modelId, other } = await networkHelpers.loadFixture(fixture);
      const prev = await modelOwner.getAddress();
      const next = await other.getAddress();
      await expect(registry.connect(modelOwner).transferModelOwnership(modelId, next))
        .to.emit(registry, "OwnershipTransferStarted")
        .withArgs(modelId, prev, next);
      let m = await registry.getModel(modelId);
      expect(m.owner).to.equal(prev);
      expect(m.pendingOwner).to.equal(next);

      await expect(registry.connect(other).acceptModelOwnership(modelId))
        .to.emit(registry, "OwnershipTransferred")
        .withArgs(modelId, prev, next);
      m = await registry.getModel(modelId);
      expect(m.owner).to.equal(next);
      expect(m.pendingOwner).to.equal(ZeroAddress);
      expect(await registry.ownerOf(modelId)).to.equal(next);

      await expect(registry.connect(modelOwner).setPricing(modelId, 1n, 0))
        .to.be.revertedWithCustomError(registry, "RegistryNotOwner")
        .withArgs(modelId, prev);
      await expect(registry.connect(other).setPricing(modelId, 1n, 0)).to.emit(registry, "PricingUpdated");
      // The acceptance cannot be replayed.
      await expect(registry.connect(other).acceptModelOwnership(modelId))
        .to.be.revertedWithCustomError(registry, "RegistryNotPendingOwner")
        .withArgs(modelId, next);
    });

    it("cancels a pending transfer with the zero address", async function () {
      const { registry, modelOwner, modelId, other } = await networkHelpers.loadFixture(fixture);
      const prev = await modelOwner.getAddress();
      await registry.connect(modelOwner).transferModelOwnership(modelId, await other.getAddress());
      await expect(registry.connect(modelOwner).transferModelOwnership(modelId, ZeroAddress))
        .to.emit(registry, "OwnershipTransferStarted")
        .withArgs(modelId, prev, ZeroAddress);
      expect((await registry.getModel(modelId)).pendingOwner).to.equal(ZeroAddress);
      await expect(registry.connect(other).acceptModelOwnership(modelId))
        .to.be.revertedWithCustomError(registry, "RegistryNotPendingOwner")
        .withArgs(modelId, await other.getAddress());
      expect(await registry.ownerOf(modelId)).to.equal(prev);
    });

    it("reverts RegistryNotPendingOwner for anyone but the pending owner, RegistryUnknownModel for an unknown id", async function () {
      const { registry, modelOwner, modelId, other, requester } = await networkHelpers.loadFixture(fixture);
      await registry.connect(modelOwner).transferModelOwnership(modelId, await other.getAddress());
      for (const s of [requester, modelOwner]) {
        await expect(registry.connect(s).acceptModelOwnership(modelId))
          .to.be.revertedWithCustomError(registry, "RegistryNotPendingOwner")
          .withArgs(modelId, await s.getAddress());
      }
      const unknown = keccak256(toUtf8Bytes("unknown"));
      await expect(registry.connect(other).acceptModelOwnership(unknown))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownModel")
        .withArgs(unknown);
    });

    it("the royalty of a request made before the transfer is claimed by the new owner, not the old one", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const prev = await d.modelOwner.getAddress();
      const next = await d.other.getAddress();
      const { request } = await openRequest(d);
      await d.registry.connect(d.modelOwner).transferModelOwnership(d.modelId, next);
      await d.registry.connect(d.other).acceptModelOwnership(d.modelId);
      const operator = await d.operator.getAddress();
      const proof = await teeProof(d, request, OUTPUT, d.enclave, operator);
      await d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof);
      const royalty = (PRICE * ROYALTY_BPS) / 10_000n;
      expect(request.royalty).to.equal(royalty);
      // Fulfil credits nobody: the royalty accrues to the model.
      expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(royalty);
      expect(await d.coordinator.balanceOf(next)).to.equal(0n);
      expect(await d.coordinator.balanceOf(prev)).to.equal(0n);

      await expect(d.coordinator.connect(d.modelOwner).claimRoyalties([d.modelId]))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotModelOwner")
        .withArgs(d.modelId, next, prev);
      await expect(d.coordinator.connect(d.other).claimRoyalties([d.modelId]))
        .to.emit(d.coordinator, "RoyaltiesClaimed")
        .withArgs(d.modelId, next, royalty);
      expect(await d.coordinator.balanceOf(next)).to.equal(royalty);
      expect(await d.coordinator.balanceOf(prev)).to.equal(0n);
      expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(0n);
    });
  });
});

describe("ModelRegistry: ZK verifiers governance approved and bound to the version's circuit", function () {
  it("RegistryZkVerifierNotApproved for code governance did not approve; approval covers every copy of the code", async function () {
    const { registry, admin, other } = await networkHelpers.loadFixture(fixture);
    // An owner's own accept-everything contract claiming the real weights hash is refused...
    const rogue = await ethers.deployContract("OtherKeyGroth16Verifier");
    const rogueAddr = await rogue.getAddress();
    const rogueCode = keccak256((await ethers.provider.getCode(rogueAddr))!);
    expect(await registry.isZkVerifierCodeApproved(rogueCode)).to.equal(false);
    const irisWeights = await rogue.weightsHash();
    await expect(
      registry.connect(other).registerModel("rogue", 1n, 0, 0b100, version(irisWeights, { zkVerifier: rogueAddr })),
    )
      .to.be.revertedWithCustomError(registry, "RegistryZkVerifierNotApproved")
      .withArgs(rogueAddr, rogueCode);
    // ...until governance approves that code. Only governance can.
    await expect(registry.connect(other).setZkVerifierApproval(rogueAddr, true))
      .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
      .withArgs(await other.getAddress(), ZeroHash);
    await expect(registry.connect(admin).setZkVerifierApproval(rogueAddr, true))
      .to.emit(registry, "ZkVerifierCodeApprovalUpdated")
      .withArgs(rogueCode, true);
    const copy = await (await ethers.deployContract("OtherKeyGroth16Verifier")).getAddress();
    await expect(
      registry.connect(other).registerModel("copy", 1n, 0, 0b100, version(irisWeights, { zkVerifier: copy })),
    ).to.emit(registry, "VersionPublished");
    await expect(registry.connect(admin).setZkVerifierApproval(EOA_VERIFIER, true))
      .to.be.revertedWithCustomError(registry, "RegistryInvalidZkVerifier")
      .withArgs(EOA_VERIFIER);
  });

  it("RegistryZkVerifierWeightsMismatch when the verifier proves another model's weights", async function () {
    const { registry, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
    // ZK_VERIFIER (approved code) declares WEIGHTS_2: it cannot stand for a version with other weights.
    const w3 = keccak256(toUtf8Bytes("v3"));
    await expect(registry.connect(modelOwner).publishVersion(modelId, version(w3, { zkVerifier: ZK_VERIFIER })))
      .to.be.revertedWithCustomError(registry, "RegistryZkVerifierWeightsMismatch")
      .withArgs(ZK_VERIFIER, WEIGHTS_2, w3);
    await expect(registry.connect(modelOwner).publishVersion(modelId, version(WEIGHTS_2))).to.emit(
      registry,
      "VersionPublished",
    );
  });

  it("withdrawing approval stops new ZK requests for versions that pinned that code", async function () {
    const { registry, admin, modelOwner, modelId } = await networkHelpers.loadFixture(fixture);
    await registry.connect(modelOwner).setModes(modelId, 0b110);
    await registry.connect(modelOwner).publishVersion(modelId, version());
    expect((await registry.requestTerms(modelId, 0, 2)).verifier).to.equal(ZK_VERIFIER);
    await registry.connect(admin).setZkVerifierApproval(ZK_VERIFIER, false);
    const code = keccak256((await ethers.provider.getCode(ZK_VERIFIER))!);
    await expect(registry.requestTerms(modelId, 0, 2))
      .to.be.revertedWithCustomError(registry, "RegistryZkVerifierNotApproved")
      .withArgs(ZK_VERIFIER, code);
    // TEE requests for the same version are unaffected.
    expect((await registry.requestTerms(modelId, 0, 1)).version).to.equal(2n);
  });
});
