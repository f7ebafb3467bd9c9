import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { AbiCoder, ZeroAddress, ZeroHash, keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { network } from "hardhat";

import {
  requestIdOf,
  requestParams,
  RequestStatus,
  toRequest,
  type RequestParams,
  operatorShare,
  splitFee,
} from "@verity-ai/sdk";
import {
  E18,
  INPUT_64,
  OUTPUT,
  PRICE,
  PROTOCOL_FEE_BPS,
  ROYALTY_BPS,
  WEIGHTS_HASH,
  openRequest,
  openRequestVia,
  teeProof,
} from "../helpers/fixture.ts";
import type { Env } from "../helpers/coordinator.ts";
import {
  deployEnv,
  deployFundedConsumer,
  eventsOf,
  expectedRequest,
  fulfilTee,
  recoveredSigner,
  setupZkModel,
} from "../helpers/coordinator.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

async function deploy() {
  return deployEnv(conn);
}

const WEIGHTS_V2 = keccak256(toUtf8Bytes("iris model bytes v2"));

function params(d: Env, p: Partial<RequestParams> = {}) {
  return requestParams({ modelId: d.modelId, input: INPUT_64, ...p });
}

/** A ZK request's input: private, committed by a field element. */
const ZK_COMMITMENT = toBeHex(123_456_789n, 32);
const ZK_INPUT = { input: "0x", inputCommitment: ZK_COMMITMENT };

describe("InferenceCoordinator: requestInference", function () {
  describe("payment", function () {
    it("pays from the internal balance and emits the whole pinned request", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await d.coordinator.connect(d.requester).deposit(50n * E18);
      const tip = 2n * E18;
      const t = BigInt(await networkHelpers.time.latest()) + 100n;
      await networkHelpers.time.setNextBlockTimestamp(t);
      const tx = await d.coordinator.connect(d.requester).requestInference(params(d, { tip, timeout: 600 }));
      const receipt = (await tx.wait())!;
      const s = splitFee(PRICE, tip, ROYALTY_BPS, PROTOCOL_FEE_BPS);
      const expected = expectedRequest({
        requester: d.requester.address,
        nonce: 0n,
        deadline: t + 600n,
        modelId: d.modelId,
        weightsHash: WEIGHTS_HASH,
        inputHash: keccak256(INPUT_64),
        fee: s.fee,
        royalty: s.royalty,
        protocolFee: s.protocolFee,
      });
      const id = requestIdOf(expected);
      await expect(tx)
        .to.emit(d.coordinator, "InferenceRequested")
        .withArgs(id, d.modelId, ZeroAddress, anyValue, INPUT_64);
      const [ev] = eventsOf(d.coordinator, receipt, "InferenceRequested");
      expect(toRequest(ev.args.request.toObject())).to.deep.equal(expected);
      expect(await d.coordinator.requestIdOf(expected)).to.equal(id);
      expect(s.fee).to.equal(12n * E18);
      expect(s.protocolFee).to.equal((12n * E18 * 500n) / 10_000n);
      expect(s.royalty).to.equal(2n * E18);
      expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(50n * E18 - s.fee);
      expect(await d.token.balanceOf(await d.coordinator.getAddress())).to.equal(50n * E18);
      expect(await d.coordinator.nonceOf(d.requester.address)).to.equal(1n);
      expect(await d.coordinator.requestStatus(id)).to.equal(RequestStatus.Open);
    });

    it("pays partly from balance and pulls the shortfall", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await d.coordinator.connect(d.requester).deposit(3n * E18);
      const tx = d.coordinator.connect(d.requester).requestInference(params(d));
      await expect(tx).to.changeTokenBalances(ethers, d.token, [d.requester, d.coordinator], [-7n * E18, 7n * E18]);
      expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(0n);
      expect(await d.token.balanceOf(await d.coordinator.getAddress())).to.equal(PRICE);
    });

    it("pulls the whole fee when the balance is empty", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const tx = d.coordinator.connect(d.requester).requestInference(params(d, { tip: 1n }));
      await expect(tx).to.changeTokenBalances(
        ethers,
        d.token,
        [d.requester, d.coordinator],
        [-(PRICE + 1n), PRICE + 1n],
      );
      expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(0n);
    });

    it("fails the shortfall pull without allowance", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.other).requestInference(params(d)))
        .to.be.revertedWithCustomError(d.token, "ERC20InsufficientAllowance")
        .withArgs(await d.coordinator.getAddress(), 0n, PRICE);
    });

    it("gives each request of one requester a distinct nonce and id", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const a = await openRequest(d);
      const b = await openRequest(d);
      expect(a.request.nonce).to.equal(0n);
      expect(b.request.nonce).to.equal(1n);
      expect(a.requestId).to.not.equal(b.requestId);
      expect(await d.coordinator.requestIdOf(a.request)).to.equal(a.requestId);
      expect(await d.coordinator.requestIdOf(b.request)).to.equal(b.requestId);
    });

    it("caps the royalty to what is left after the protocol fee", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await d.registry.connect(d.modelOwner).setPricing(d.modelId, PRICE, 10_000);
      const { request } = await openRequest(d);
      expect(request.protocolFee).to.equal((PRICE * PROTOCOL_FEE_BPS) / 10_000n);
      expect(request.royalty).to.equal(PRICE - request.protocolFee);
      expect(operatorShare(request)).to.equal(0n);
    });
  });

  describe("private inputs, assignment and callbacks", function () {
    it("pins a commitment for a private input and emits no input", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const commitment = keccak256(toUtf8Bytes("secret input + salt"));
      const { request, requestId, receipt } = await openRequest(d, { input: "0x", inputCommitment: commitment });
      expect(request.inputHash).to.equal(commitment);
      const [ev] = eventsOf(d.coordinator, receipt, "InferenceRequested");
      expect(ev.args.input).to.equal("0x");
      expect(ev.args.requestId).to.equal(requestId);
      // Fulfilled against the commitment.
      await expect(fulfilTee(d, request, OUTPUT)).to.emit(d.coordinator, "InferenceFulfilled");
    });

    it("pins an assigned operator and a callback with its gas", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const consumer = await deployFundedConsumer(d, ethers, "RecordingConsumer");
      const { request, requestId, receipt } = await openRequestVia(d, consumer, {
        operator: d.operator.address,
        callback: await consumer.getAddress(),
        callbackGasLimit: 123_456,
        storeOutput: true,
      });
      expect(request.operator).to.equal(d.operator.address);
      expect(request.callback).to.equal(await consumer.getAddress());
      expect(request.callbackGasLimit).to.equal(123_456n);
      expect(request.storeOutput).to.equal(true);
      const [ev] = eventsOf(d.coordinator, receipt, "InferenceRequested");
      expect(ev.args.operator).to.equal(d.operator.address);
      expect(ev.args.requestId).to.equal(requestId);
    });

    it("drops the callback gas when there is no callback", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request } = await openRequest(d, { callbackGasLimit: 99_999_999 });
      expect(request.callback).to.equal(ZeroAddress);
      expect(request.callbackGasLimit).to.equal(0n);
    });
  });

  describe("version pinning", function () {
    it("keeps an open request on the version it pinned after a new one is published", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const v1 = await openRequest(d);
      await d.registry.connect(d.modelOwner).publishVersion(d.modelId, {
        weightsHash: WEIGHTS_V2,
        zkVerifier: ZeroAddress,
        uri: "verity://models/iris/2",
        runtime: "onnx",
        encoding: "int32be-milli-x4/uint256-argmax",
      });
      const v2 = await openRequest(d);
      const pinned1 = await openRequest(d, { version: 1 });
      expect(v1.request.version).to.equal(1n);
      expect(v1.request.weightsHash).to.equal(WEIGHTS_HASH);
      expect(v2.request.version).to.equal(2n);
      expect(v2.request.weightsHash).to.equal(WEIGHTS_V2);
      expect(pinned1.request.version).to.equal(1n);
      expect(pinned1.request.weightsHash).to.equal(WEIGHTS_HASH);
      // The v1 request is fulfilled against v1's weights hash.
      await expect(fulfilTee(d, v1.request, OUTPUT))
        .to.emit(d.coordinator, "InferenceFulfilled")
        .withArgs(v1.requestId, d.operator.address, keccak256(OUTPUT), anyValue);
      // Claiming v2's weights for the v1 request does not verify: the signed digest differs.
      const forged = { ...pinned1.request, weightsHash: WEIGHTS_V2 };
      const proof = await teeProof(d, forged, OUTPUT, d.enclave, d.operator.address, { requestId: pinned1.requestId });
      const recovered = await recoveredSigner(d, pinned1.request, OUTPUT, d.operator.address, proof);
      expect(recovered).to.not.equal(d.enclave.address);
      await expect(d.coordinator.connect(d.operator).fulfill(pinned1.request, OUTPUT, proof))
        .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
        .withArgs(recovered);
    });
  });

  describe("errors", function () {
    it("CoordinatorPaused", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await d.coordinator.connect(d.admin).setPaused(true);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d))).to.be.revertedWithCustomError(
        d.coordinator,
        "CoordinatorPaused",
      );
    });

    it("CoordinatorModeUnsupported for a mode the model allows but no verifier serves", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await d.registry.connect(d.modelOwner).setModes(d.modelId, 0b1010);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { mode: 3 })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorModeUnsupported")
        .withArgs(3);
      // ZK: the version has a verifier, but the coordinator has no verifier for the mode.
      const zk = await setupZkModel(d, ethers);
      await d.coordinator.connect(d.admin).setVerifier(2, ZeroAddress);
      await expect(
        d.coordinator
          .connect(d.requester)
          .requestInference(params(d, { modelId: zk.modelId, mode: 2, operator: d.operator.address })),
      )
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorModeUnsupported")
        .withArgs(2);
    });

    it("CoordinatorInvalidInput for both or neither of input and commitment", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const commitment = keccak256("0x1234");
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { inputCommitment: commitment })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInvalidInput")
        .withArgs(64n, commitment);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { input: "0x" })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInvalidInput")
        .withArgs(0n, ZeroHash);
    });

    it("CoordinatorInputTooLarge", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const input = "0x" + "11".repeat(4097);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { input })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInputTooLarge")
        .withArgs(4097n, 4096n);
      // Exactly the limit is accepted.
      await expect(
        d.coordinator.connect(d.requester).requestInference(params(d, { input: "0x" + "11".repeat(4096) })),
      ).to.emit(d.coordinator, "InferenceRequested");
    });

    it("CoordinatorInvalidTimeout below and above the bounds", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const max = 7n * 24n * 3600n;
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { timeout: 59 })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInvalidTimeout")
        .withArgs(59n, 60n, max);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { timeout: max + 1n })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInvalidTimeout")
        .withArgs(max + 1n, 60n, max);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { timeout: 60 }))).to.emit(
        d.coordinator,
        "InferenceRequested",
      );
    });

    it("CoordinatorCallbackNotContract when an account names itself as callback", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { callback: d.requester.address })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorCallbackNotContract")
        .withArgs(d.requester.address);
    });

    it("CoordinatorCallbackNotRequester: nobody can feed a result into someone else's consumer", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const consumer = await deployFundedConsumer(d, ethers, "RecordingConsumer");
      const target = await consumer.getAddress();
      // A stranger's request (own model, own input) naming the consumer as callback is refused...
      await expect(
        d.coordinator.connect(d.requester).requestInference(params(d, { callback: target, callbackGasLimit: 100_000 })),
      )
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorCallbackNotRequester")
        .withArgs(target, d.requester.address);
      // ...so the consumer only ever hears about its own requests.
      const own = await openRequestVia(d, consumer, { callbackGasLimit: 100_000 });
      expect(own.request.requester).to.equal(target);
      await fulfilTee(d, own.request, OUTPUT);
      expect(await consumer.calls()).to.equal(1n);
      expect(await consumer.lastRequestId()).to.equal(own.requestId);
    });

    it("CoordinatorCallbackGasTooHigh", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const consumer = await deployFundedConsumer(d, ethers, "RecordingConsumer");
      await expect(openRequestVia(d, consumer, { callbackGasLimit: 2_000_001 }))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorCallbackGasTooHigh")
        .withArgs(2_000_001n, 2_000_000n);
    });

    it("CoordinatorOperatorNotEligible for an unstaked or jailed assigned operator", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { operator: d.other.address })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOperatorNotEligible")
        .withArgs(d.other.address);
      await d.staking.connect(d.admin).setJailed(d.operator.address, true);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { operator: d.operator.address })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOperatorNotEligible")
        .withArgs(d.operator.address);
    });

    it("CoordinatorAmountTooLarge when price + tip exceeds uint96", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const max96 = 2n ** 96n - 1n;
      await d.registry.connect(d.modelOwner).setPricing(d.modelId, max96, 0);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { tip: 1n })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorAmountTooLarge")
        .withArgs(2n ** 96n);
    });

    it("CoordinatorFeeAboveMax guards against a price change in flight", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { tip: 5n, maxFee: PRICE })))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorFeeAboveMax")
        .withArgs(PRICE + 5n, PRICE);
      await expect(
        d.coordinator.connect(d.requester).requestInference(params(d, { tip: 5n, maxFee: PRICE + 5n })),
      ).to.emit(d.coordinator, "InferenceRequested");
    });

    it("surfaces registry errors", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const unknown = keccak256(toUtf8Bytes("no such model"));
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { modelId: unknown })))
        .to.be.revertedWithCustomError(d.registry, "RegistryUnknownModel")
        .withArgs(unknown);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { mode: 2 })))
        .to.be.revertedWithCustomError(d.registry, "RegistryModeNotAllowed")
        .withArgs(d.modelId, 2);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { mode: 0 })))
        .to.be.revertedWithCustomError(d.registry, "RegistryModeNotAllowed")
        .withArgs(d.modelId, 0);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d, { version: 2 })))
        .to.be.revertedWithCustomError(d.registry, "RegistryUnknownVersion")
        .withArgs(d.modelId, 2);
      // ZK allowed, but version 1 pins no ZK verifier.
      await d.registry.connect(d.modelOwner).setModes(d.modelId, 0b110);
      await expect(
        d.coordinator.connect(d.requester).requestInference(params(d, { mode: 2, operator: d.operator.address })),
      )
        .to.be.revertedWithCustomError(d.registry, "RegistryNoZkVerifier")
        .withArgs(d.modelId, 1);
      await d.registry.connect(d.modelOwner).setActive(d.modelId, false);
      await expect(d.coordinator.connect(d.requester).requestInference(params(d)))
        .to.be.revertedWithCustomError(d.registry, "RegistryModelInactive")
        .withArgs(d.modelId);
    });
  });
});

describe("InferenceCoordinator: ZK requests", function () {
  it("CoordinatorOperatorRequired(2) without an operator; with one the request is pinned", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const zk = await setupZkModel(d, ethers);
    const commitment = toBeHex(12345n, 32);
    await expect(
      d.coordinator
        .connect(d.requester)
        .requestInference(params(d, { modelId: zk.modelId, mode: 2, input: "0x", inputCommitment: commitment })),
    )
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOperatorRequired")
      .withArgs(2);
    // With a public input too: the check is on the mode, not the input.
    await expect(d.coordinator.connect(d.requester).requestInference(params(d, { modelId: zk.modelId, mode: 2 })))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOperatorRequired")
      .withArgs(2);
    expect(await d.coordinator.nonceOf(d.requester.address)).to.equal(0n);

    const { request, requestId } = await openRequest(d, {
      modelId: zk.modelId,
      mode: 2,
      operator: d.operator.address,
      input: "0x",
      inputCommitment: commitment,
    });
    expect([request.mode, request.operator, request.inputHash]).to.deep.equal([2n, d.operator.address, commitment]);
    expect(await d.coordinator.requestStatus(requestId)).to.equal(RequestStatus.Open);
    // TEE requests still need no operator.
    const tee = await openRequest(d, { modelId: zk.modelId });
    expect(tee.request.operator).to.equal(ZeroAddress);
  });

  it("pinnedVerifierOf: the pinned verifier (ZK: the version's; TEE: the mode's) while pending, zero once settled", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const zk = await setupZkModel(d, ethers);
    const zkParams = { modelId: zk.modelId, mode: 2, operator: d.operator.address, timeout: 60, ...ZK_INPUT };
    const toFulfil = await openRequest(d, zkParams);
    const toRefund = await openRequest(d, zkParams);
    const tee = await openRequest(d, { modelId: zk.modelId, operator: d.operator.address, timeout: 60 });

    expect(await d.coordinator.pinnedVerifierOf(toFulfil.requestId)).to.equal(zk.versionVerifier);
    expect(await d.coordinator.pinnedVerifierOf(toRefund.requestId)).to.equal(zk.versionVerifier);
    // A TEE request pins the mode's verifier of the time too (a swap never changes an in-flight request).
    expect(await d.coordinator.pinnedVerifierOf(tee.requestId)).to.equal(await d.tee.getAddress());
    expect(await d.coordinator.pinnedVerifierOf(12345n)).to.equal(ZeroAddress);

    for (const r of [toFulfil, toRefund, tee]) await d.coordinator.connect(d.operator).acceptRequest(r.request);
    expect(await d.coordinator.requestStatus(toRefund.requestId)).to.equal(RequestStatus.Accepted);
    expect(await d.coordinator.pinnedVerifierOf(toFulfil.requestId)).to.equal(zk.versionVerifier);
    expect(await d.coordinator.pinnedVerifierOf(toRefund.requestId)).to.equal(zk.versionVerifier);
    expect(await d.coordinator.pinnedVerifierOf(tee.requestId)).to.equal(await d.tee.getAddress());

    // Fulfilled through the pinned verifier (AcceptAllVerifier records the request id).
    await expect(d.coordinator.connect(d.operator).fulfill(toFulfil.request, OUTPUT, "0x"))
      .to.emit(d.coordinator, "InferenceFulfilled")
      .withArgs(toFulfil.requestId, d.operator.address, keccak256(OUTPUT), toBeHex(toFulfil.requestId, 32));
    expect(await d.coordinator.pinnedVerifierOf(toFulfil.requestId)).to.equal(ZeroAddress);
    expect(await d.coordinator.royaltiesOf(zk.modelId)).to.equal(toFulfil.request.royalty);

    await networkHelpers.time.increaseTo(toRefund.request.deadline + 1n);
    await expect(d.coordinator.refund(toRefund.request))
      .to.emit(d.coordinator, "RequestRefunded")
      .withArgs(toRefund.requestId, d.requester.address, PRICE, 100n * E18);
    expect(await d.coordinator.requestStatus(toRefund.requestId)).to.equal(RequestStatus.Refunded);
    expect(await d.coordinator.pinnedVerifierOf(toRefund.requestId)).to.equal(ZeroAddress);
  });

  it("an open request keeps the verifier it pinned; fulfil calls that one, not the mode's or the new version's", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const zk = await setupZkModel(d, ethers);
    const v1 = await openRequest(d, { modelId: zk.modelId, mode: 2, operator: d.operator.address, ...ZK_INPUT });
    // Version 2 pins another (approved) verifier, declaring version 2's weights.
    const other = await ethers.deployContract("AcceptAllVerifier", [2]);
    await other.setWeightsHash(WEIGHTS_V2);
    await d.registry.connect(d.modelOwner).publishVersion(zk.modelId, {
      weightsHash: WEIGHTS_V2,
      zkVerifier: await other.getAddress(),
      uri: "verity://models/iris-zk/2",
      runtime: "onnx",
      encoding: "int32be-milli-x4/uint256-argmax",
    });
    const v2 = await openRequest(d, { modelId: zk.modelId, mode: 2, operator: d.operator.address, ...ZK_INPUT });
    expect([v1.request.version, v2.request.version]).to.deep.equal([1n, 2n]);
    expect(await d.coordinator.pinnedVerifierOf(v1.requestId)).to.equal(zk.versionVerifier);
    expect(await d.coordinator.pinnedVerifierOf(v2.requestId)).to.equal(await other.getAddress());

    // Removing the mode's verifier blocks new ZK requests, not the fulfilment of a pinned one.
    await d.coordinator.connect(d.admin).setVerifier(2, ZeroAddress);
    await expect(
      d.coordinator
        .connect(d.requester)
        .requestInference(
          params(d, { modelId: zk.modelId, mode: 2, operator: d.operator.address, version: 1, ...ZK_INPUT }),
        ),
    )
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorModeUnsupported")
      .withArgs(2);
    await expect(d.coordinator.connect(d.operator).fulfill(v1.request, OUTPUT, "0x"))
      .to.emit(d.coordinator, "InferenceFulfilled")
      .withArgs(v1.requestId, d.operator.address, keccak256(OUTPUT), toBeHex(v1.requestId, 32));
  });

  it("CoordinatorZkInputUnprovable: a public input or a commitment outside the BN254 field is refused", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const zk = await setupZkModel(d, ethers);
    const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    const zkParams = (p: Partial<RequestParams>) =>
      params(d, { modelId: zk.modelId, mode: 2, operator: d.operator.address, ...p });
    await expect(d.coordinator.connect(d.requester).requestInference(zkParams({ input: INPUT_64 })))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorZkInputUnprovable")
      .withArgs(64n, ZeroHash);
    for (const c of [FIELD, 2n ** 256n - 1n]) {
      await expect(
        d.coordinator.connect(d.requester).requestInference(zkParams({ input: "0x", inputCommitment: toBeHex(c, 32) })),
      )
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorZkInputUnprovable")
        .withArgs(0n, toBeHex(c, 32));
    }
    // The largest field element is a valid commitment.
    await expect(
      d.coordinator
        .connect(d.requester)
        .requestInference(zkParams({ input: "0x", inputCommitment: toBeHex(FIELD - 1n, 32) })),
    ).to.emit(d.coordinator, "InferenceRequested");
  });
});

describe("InferenceCoordinator: views", function () {
  it("getResult / isVerified / checkOutput / getOutput / requestStatus through the lifecycle", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const stored = await openRequest(d, { storeOutput: true });
    const plain = await openRequest(d);
    const refunded = await openRequest(d, { timeout: 60 });
    const unknown = 12345n;

    await expect(d.coordinator.getResult(unknown))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorUnknownRequest")
      .withArgs(unknown);
    expect(await d.coordinator.requestStatus(unknown)).to.equal(RequestStatus.None);
    expect(await d.coordinator.isVerified(unknown)).to.equal(false);

    const open = await d.coordinator.getResult(stored.requestId);
    expect(open.status).to.equal(RequestStatus.Open);
    expect(open.outputHash).to.equal(ZeroHash);
    expect(await d.coordinator.isVerified(stored.requestId)).to.equal(false);
    expect(await d.coordinator.checkOutput(stored.requestId, OUTPUT)).to.equal(false);

    const out2 = "0x" + "00".repeat(31) + "02";
    await fulfilTee(d, stored.request, OUTPUT);
    await fulfilTee(d, plain.request, out2, d.operator2, d.enclave2);

    const r = await d.coordinator.getResult(stored.requestId);
    expect(r.status).to.equal(RequestStatus.Fulfilled);
    expect(r.outputHash).to.equal(keccak256(OUTPUT));
    expect(await d.coordinator.requestStatus(stored.requestId)).to.equal(RequestStatus.Fulfilled);
    expect(await d.coordinator.isVerified(stored.requestId)).to.equal(true);
    expect(await d.coordinator.checkOutput(stored.requestId, OUTPUT)).to.equal(true);
    expect(await d.coordinator.checkOutput(stored.requestId, out2)).to.equal(false);
    expect(await d.coordinator.getOutput(stored.requestId)).to.equal(OUTPUT);
    // Not stored: only the hash is there.
    expect(await d.coordinator.getOutput(plain.requestId)).to.equal("0x");
    expect(await d.coordinator.checkOutput(plain.requestId, out2)).to.equal(true);

    await networkHelpers.time.increaseTo(refunded.request.deadline + 1n);
    await d.coordinator.refund(refunded.request);
    const rr = await d.coordinator.getResult(refunded.requestId);
    expect(rr.status).to.equal(RequestStatus.Refunded);
    expect(rr.outputHash).to.equal(ZeroHash);
    expect(await d.coordinator.isVerified(refunded.requestId)).to.equal(false);
    expect(await d.coordinator.requestStatus(refunded.requestId)).to.equal(RequestStatus.Refunded);
  });

  it("a request's slot: a state word below 2^184 (pinned verifier, then pause epoch), then the output hash", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const zk = await setupZkModel(d, ethers);
    const coordinator = await d.coordinator.getAddress();
    const LIMIT = 2n ** 184n;
    const word = (verifier: string, state: bigint, epoch = 0n) => (epoch << 168n) | (BigInt(verifier) << 8n) | state;
    // Pause and resume first, so the acceptance records pause epoch 2.
    await d.coordinator.connect(d.admin).setPaused(true);
    await d.coordinator.connect(d.admin).setPaused(false);
    const { request, requestId } = await openRequest(d, {
      modelId: zk.modelId,
      mode: 2,
      operator: d.operator.address,
      ...ZK_INPUT,
    });
    const expectedOpen = word(zk.versionVerifier, 1n);
    // Find the `_results` mapping by its base slot: the one whose entry for this id holds the open word.
    const slotOf = (base: number) =>
      keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [requestId, base]));
    let slot = "";
    for (let base = 0; base < 64 && slot === ""; base++) {
      if (BigInt(await ethers.provider.getStorage(coordinator, slotOf(base))) === expectedOpen) slot = slotOf(base);
    }
    expect(slot, "results slot found").to.not.equal("");
    const read = async () => BigInt(await ethers.provider.getStorage(coordinator, slot));
    expect(expectedOpen).to.be.lessThan(LIMIT);
    await d.coordinator.connect(d.operator).acceptRequest(request);
    expect(await read()).to.equal(word(zk.versionVerifier, 3n, 2n));
    // The largest state word (verifier 0xff..ff, epoch 0xffff) is still below the bound fulfil enforces.
    expect(word("0x" + "ff".repeat(20), 0xffn, 0xffffn)).to.equal(LIMIT - 1n);
    await d.coordinator.connect(d.operator).fulfill(request, OUTPUT, "0x");
    expect(await read()).to.equal(BigInt(keccak256(OUTPUT)));
    expect(BigInt(keccak256(OUTPUT))).to.be.greaterThanOrEqual(LIMIT);
    expect(await d.coordinator.requestStatus(requestId)).to.equal(RequestStatus.Fulfilled);
    // fulfil refuses an output whose hash is below 2^184 (it would read as a state word). No keccak256
    // preimage with 72 leading zero bits is known, so only the error's ABI is checked here.
    expect(d.coordinator.interface.getError("CoordinatorReservedOutputHash")!.format("sighash")).to.equal(
      "CoordinatorReservedOutputHash(bytes32)",
    );
  });

  it("requestIdOf matches the SDK for arbitrary requests", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request } = await openRequest(d, { tip: 77n });
    const variants = [
      request,
      { ...request, nonce: 9n },
      { ...request, storeOutput: true },
      { ...request, fee: 2n ** 96n - 1n, royalty: 1n, protocolFee: 2n },
      { ...request, operator: d.operator.address, callback: d.other.address, callbackGasLimit: 4_000_000_000n },
    ];
    for (const v of variants) {
      expect(await d.coordinator.requestIdOf(v)).to.equal(requestIdOf(v));
    }
  });

  it("exposes configuration", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const cfg = await d.coordinator.config();
    expect(cfg.treasury).to.equal(d.treasury.address);
    expect(cfg.protocolFeeBps).to.equal(PROTOCOL_FEE_BPS);
    expect(cfg.minTimeout).to.equal(60n);
    expect(cfg.maxTimeout).to.equal(7n * 24n * 3600n);
    const [maxIn, maxOut, maxGas, penalty] = await d.coordinator.limits();
    expect([maxIn, maxOut, maxGas, penalty]).to.deep.equal([4096n, 4096n, 2_000_000n, 100n * E18]);
    expect(await d.coordinator.verifierOf(1)).to.equal(await d.tee.getAddress());
    expect(await d.coordinator.verifierOf(2)).to.equal(ZeroAddress);
    expect(await d.coordinator.paused()).to.equal(false);
    expect(await d.coordinator.token()).to.equal(await d.token.getAddress());
    expect(await d.coordinator.registry()).to.equal(await d.registry.getAddress());
    expect(await d.coordinator.staking()).to.equal(await d.staking.getAddress());
  });
});
