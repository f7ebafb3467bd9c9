import { anyUint, anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { Wallet, ZeroAddress, keccak256, zeroPadValue } from "ethers";
import { network } from "hardhat";

import { RequestStatus, requestParams, operatorShare, splitFee } from "@verity-ai/sdk";
import {
  E18,
  MIN_STAKE,
  OUTPUT,
  PRICE,
  PROTOCOL_FEE_BPS,
  ROYALTY_BPS,
  openRequest,
  openRequestVia,
  teeProof,
} from "../helpers/fixture.ts";
import type { Env } from "../helpers/coordinator.ts";
import {
  REENTRANCY_SELECTOR,
  deployEnv,
  deployFundedConsumer,
  eventsOf,
  fulfilTee,
  recoveredSigner,
} from "../helpers/coordinator.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

async function deploy() {
  return deployEnv(conn);
}

const OUTPUT2 = "0x" + "00".repeat(31) + "02";
const PENALTY = 100n * E18;

async function coordinatorTokens(d: Env) {
  return d.token.balanceOf(await d.coordinator.getAddress());
}

describe("InferenceCoordinator: fulfil", function () {
  it("verifies, records and pays the operator, the model owner and the protocol exactly", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const tip = 2n * E18;
    const { request, requestId } = await openRequest(d, { tip });
    const s = splitFee(PRICE, tip, ROYALTY_BPS, PROTOCOL_FEE_BPS);
    expect([request.fee, request.royalty, request.protocolFee]).to.deep.equal([s.fee, s.royalty, s.protocolFee]);
    expect(s.operatorShare).to.equal(12n * E18 - 2n * E18 - (12n * E18 * 500n) / 10_000n);

    const tx = fulfilTee(d, request, OUTPUT);
    await expect(tx)
      .to.emit(d.coordinator, "InferenceFulfilled")
      .withArgs(requestId, d.operator.address, keccak256(OUTPUT), zeroPadValue(d.enclave.address, 32));
    await expect(tx).to.not.emit(d.coordinator, "CallbackDelivered");
    await expect(tx).to.changeTokenBalances(ethers, d.token, [d.coordinator, d.operator], [0n, 0n]);

    expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(s.operatorShare);
    // The royalty accrues to the model, not to the owner's balance.
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(s.royalty);
    expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(0n);
    expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(0n);
    expect(await d.coordinator.protocolFeesAccrued()).to.equal(s.protocolFee);
    expect(await coordinatorTokens(d)).to.equal(s.fee);

    // The owner claims it into their balance: no token moves.
    const claim = d.coordinator.connect(d.modelOwner).claimRoyalties([d.modelId]);
    await expect(claim).to.emit(d.coordinator, "RoyaltiesClaimed").withArgs(d.modelId, d.modelOwner.address, s.royalty);
    await expect(claim).to.changeTokenBalances(ethers, d.token, [d.coordinator, d.modelOwner], [0n, 0n]);
    expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(s.royalty);
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(0n);

    // Everybody takes their share out; nothing is left behind.
    await expect(
      d.coordinator.connect(d.operator).withdraw(s.operatorShare, d.operator.address),
    ).to.changeTokenBalances(ethers, d.token, [d.operator], [s.operatorShare]);
    await expect(d.coordinator.connect(d.modelOwner).withdraw(s.royalty, d.modelOwner.address)).to.changeTokenBalances(
      ethers,
      d.token,
      [d.modelOwner],
      [s.royalty],
    );
    await expect(d.coordinator.withdrawProtocolFees()).to.changeTokenBalances(
      ethers,
      d.token,
      [d.treasury],
      [s.protocolFee],
    );
    expect(await coordinatorTokens(d)).to.equal(0n);
  });

  it("accrues the royalty to the model, whoever owns it at fulfilment time", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request } = await openRequest(d);
    await d.registry.connect(d.modelOwner).transferModelOwnership(d.modelId, d.other.address);
    await d.registry.connect(d.other).acceptModelOwnership(d.modelId);
    await expect(fulfilTee(d, request, OUTPUT)).to.not.emit(d.coordinator, "RoyaltiesClaimed");
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(request.royalty);
    expect(await d.coordinator.balanceOf(d.other.address)).to.equal(0n);
    expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(0n);
  });

  it("an assigned operator fulfils; anyone else gets CoordinatorNotAssignedOperator", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await openRequest(d, { operator: d.operator.address });
    await expect(fulfilTee(d, request, OUTPUT, d.operator2, d.enclave2))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotAssignedOperator")
      .withArgs(requestId, d.operator.address, d.operator2.address);
    await expect(fulfilTee(d, request, OUTPUT)).to.emit(d.coordinator, "InferenceFulfilled");
    expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(operatorShare(request));
    expect(await d.coordinator.balanceOf(d.operator2.address)).to.equal(0n);
  });

  it("stores the output only when asked, within maxOutputBytes", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const big = "0x" + "ee".repeat(4097);
    const stored = await openRequest(d, { storeOutput: true });
    const notStored = await openRequest(d);
    await expect(fulfilTee(d, stored.request, big))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOutputTooLarge")
      .withArgs(4097n, 4096n);
    await expect(fulfilTee(d, notStored.request, big)).to.emit(d.coordinator, "InferenceFulfilled");
    expect(await d.coordinator.checkOutput(notStored.requestId, big)).to.equal(true);
    const exact = "0x" + "ee".repeat(4096);
    await fulfilTee(d, stored.request, exact);
    expect(await d.coordinator.getOutput(stored.requestId)).to.equal(exact);
  });

  describe("errors", function () {
    it("CoordinatorPaused", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request } = await openRequest(d);
      await d.coordinator.connect(d.admin).setPaused(true);
      await expect(fulfilTee(d, request, OUTPUT)).to.be.revertedWithCustomError(d.coordinator, "CoordinatorPaused");
    });

    it("CoordinatorOperatorNotEligible: never staked, jailed, unstaking", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request } = await openRequest(d);
      // Even with a valid enclave signature of a registered operator, the caller must be eligible.
      const proof = await teeProof(d, request, OUTPUT, d.enclave, d.other.address);
      await expect(d.coordinator.connect(d.other).fulfill(request, OUTPUT, proof))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOperatorNotEligible")
        .withArgs(d.other.address);
      await d.staking.connect(d.admin).setJailed(d.operator.address, true);
      await expect(fulfilTee(d, request, OUTPUT))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOperatorNotEligible")
        .withArgs(d.operator.address);
      await d.staking.connect(d.operator2).requestUnstake(1n);
      await expect(fulfilTee(d, request, OUTPUT, d.operator2, d.enclave2))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOperatorNotEligible")
        .withArgs(d.operator2.address);
      expect(await d.coordinator.requestStatus(await d.coordinator.requestIdOf(request))).to.equal(RequestStatus.Open);
    });

    it("CoordinatorUnknownRequest for a tampered request", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request } = await openRequest(d);
      const tampered = { ...request, fee: request.fee * 2n };
      const id = await d.coordinator.requestIdOf(tampered);
      await expect(fulfilTee(d, tampered, OUTPUT))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorUnknownRequest")
        .withArgs(id);
      const rerouted = { ...request, operator: d.operator.address };
      await expect(fulfilTee(d, rerouted, OUTPUT))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorUnknownRequest")
        .withArgs(await d.coordinator.requestIdOf(rerouted));
    });

    it("double fulfil: CoordinatorRequestNotOpen(id, Fulfilled)", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request, requestId } = await openRequest(d);
      await fulfilTee(d, request, OUTPUT);
      await expect(fulfilTee(d, request, OUTPUT2, d.operator2, d.enclave2))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestNotOpen")
        .withArgs(requestId, RequestStatus.Fulfilled);
      await expect(fulfilTee(d, request, OUTPUT))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestNotOpen")
        .withArgs(requestId, 2);
      expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(operatorShare(request));
      expect(await d.coordinator.balanceOf(d.operator2.address)).to.equal(0n);
    });

    it("fulfil at the deadline works, after it CoordinatorRequestExpired", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const a = await openRequest(d, { timeout: 120 });
      const b = await openRequest(d, { timeout: 120 });
      await networkHelpers.time.setNextBlockTimestamp(a.request.deadline);
      await expect(fulfilTee(d, a.request, OUTPUT)).to.emit(d.coordinator, "InferenceFulfilled");
      await networkHelpers.time.setNextBlockTimestamp(b.request.deadline + 1n);
      await expect(fulfilTee(d, b.request, OUTPUT))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestExpired")
        .withArgs(b.requestId, b.request.deadline);
    });

    it("a TEE request keeps the verifier it was made with when governance removes or swaps the mode's", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request, requestId } = await openRequest(d);
      const second = await openRequest(d);
      await d.coordinator.connect(d.admin).setVerifier(1, ZeroAddress);
      // New requests need a verifier for the mode...
      await expect(
        d.coordinator.connect(d.requester).requestInference(requestParams({ modelId: d.modelId, input: OUTPUT })),
      )
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorModeUnsupported")
        .withArgs(1);
      // ...but the in-flight one is still checked by (and only by) the verifier it pinned.
      const enclave = await d.tee.getAddress();
      await expect(fulfilTee(d, request, OUTPUT))
        .to.emit(d.coordinator, "InferenceFulfilled")
        .withArgs(requestId, d.operator.address, keccak256(OUTPUT), zeroPadValue(d.enclave.address, 32));
      const acceptAll = await ethers.deployContract("AcceptAllVerifier", [1]);
      await d.coordinator.connect(d.admin).setVerifier(1, await acceptAll.getAddress());
      expect(await d.coordinator.pinnedVerifierOf(second.requestId)).to.equal(enclave);
      // A garbage proof the new (accept-all) verifier would take is still refused by the pinned one.
      await expect(
        d.coordinator.connect(d.operator).fulfill(second.request, OUTPUT, "0x"),
      ).to.be.revertedWithCustomError(d.tee, "TeeInvalidSignature");
    });
  });

  describe("TEE proofs", function () {
    it("a malformed signature: TeeInvalidSignature", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request, requestId } = await openRequest(d);
      await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, "0x1234"))
        .to.be.revertedWithCustomError(d.tee, "TeeInvalidSignature")
        .withArgs(requestId);
    });

    it("another operator's enclave: TeeEnclaveOperatorMismatch", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request } = await openRequest(d);
      const proof = await teeProof(d, request, OUTPUT, d.enclave2, d.operator.address);
      await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof))
        .to.be.revertedWithCustomError(d.tee, "TeeEnclaveOperatorMismatch")
        .withArgs(d.enclave2.address, d.operator.address, d.operator2.address);
    });

    it("a revoked enclave: TeeEnclaveNotActive", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request } = await openRequest(d);
      await d.tee.connect(d.operator).revokeEnclave(d.enclave.address);
      await expect(fulfilTee(d, request, OUTPUT))
        .to.be.revertedWithCustomError(d.tee, "TeeEnclaveNotActive")
        .withArgs(d.enclave.address);
    });

    it("an unregistered key: TeeUnknownEnclave", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request } = await openRequest(d);
      const rogue = Wallet.createRandom();
      await expect(fulfilTee(d, request, OUTPUT, d.operator, rogue))
        .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
        .withArgs(rogue.address);
    });

    it("a signature for another output does not verify", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request } = await openRequest(d);
      const proof = await teeProof(d, request, OUTPUT, d.enclave, d.operator.address);
      const recovered = await recoveredSigner(d, request, OUTPUT2, d.operator.address, proof);
      await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT2, proof))
        .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
        .withArgs(recovered);
    });

    describe("replay", function () {
      it("on another request", async function () {
        const d = await networkHelpers.loadFixture(deploy);
        const a = await openRequest(d);
        const b = await openRequest(d);
        const proofA = await teeProof(d, a.request, OUTPUT, d.enclave, d.operator.address);
        await fulfilTee(d, a.request, OUTPUT);
        const recovered = await recoveredSigner(d, b.request, OUTPUT, d.operator.address, proofA);
        expect(recovered).to.not.equal(d.enclave.address);
        await expect(d.coordinator.connect(d.operator).fulfill(b.request, OUTPUT, proofA))
          .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
          .withArgs(recovered);
        expect(await d.coordinator.requestStatus(b.requestId)).to.equal(RequestStatus.Open);
      });

      it("from another chain id", async function () {
        const d = await networkHelpers.loadFixture(deploy);
        const { request } = await openRequest(d);
        const proof = await teeProof(d, request, OUTPUT, d.enclave, d.operator.address, { chainId: 1n });
        const recovered = await recoveredSigner(d, request, OUTPUT, d.operator.address, proof);
        expect(recovered).to.not.equal(d.enclave.address);
        await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof))
          .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
          .withArgs(recovered);
      });

      it("from another coordinator", async function () {
        const d = await networkHelpers.loadFixture(deploy);
        const { request } = await openRequest(d);
        const proof = await teeProof(d, request, OUTPUT, d.enclave, d.operator.address, {
          coordinator: await d.registry.getAddress(),
        });
        const recovered = await recoveredSigner(d, request, OUTPUT, d.operator.address, proof);
        expect(recovered).to.not.equal(d.enclave.address);
        await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof))
          .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
          .withArgs(recovered);
      });
    });
  });
});

describe("InferenceCoordinator: fulfillBatch", function () {
  it("skips requests no longer open, pays for the others and returns the count", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const a = await openRequest(d, { tip: 1n * E18 });
    const b = await openRequest(d, { tip: 2n * E18 });
    const c = await openRequest(d, { tip: 3n * E18 });
    const r = await openRequest(d, { timeout: 60 });
    await fulfilTee(d, b.request, OUTPUT2, d.operator2, d.enclave2);
    await networkHelpers.time.increaseTo(r.request.deadline + 1n);
    await d.coordinator.refund(r.request);

    const requests = [a.request, b.request, c.request, r.request];
    const outputs = [OUTPUT, OUTPUT, OUTPUT2, OUTPUT];
    const proofs = await Promise.all(requests.map((q, i) => teeProof(d, q, outputs[i], d.enclave, d.operator.address)));
    expect(await d.coordinator.connect(d.operator).fulfillBatch.staticCall(requests, outputs, proofs)).to.equal(2n);

    const feesBefore = await d.coordinator.protocolFeesAccrued();
    const tx = d.coordinator.connect(d.operator).fulfillBatch(requests, outputs, proofs);
    await expect(tx)
      .to.emit(d.coordinator, "FulfillmentSkipped")
      .withArgs(b.requestId, d.operator.address, RequestStatus.Fulfilled);
    await expect(tx)
      .to.emit(d.coordinator, "FulfillmentSkipped")
      .withArgs(r.requestId, d.operator.address, RequestStatus.Refunded);
    await expect(tx)
      .to.emit(d.coordinator, "InferenceFulfilled")
      .withArgs(a.requestId, d.operator.address, keccak256(OUTPUT), zeroPadValue(d.enclave.address, 32));
    await expect(tx)
      .to.emit(d.coordinator, "InferenceFulfilled")
      .withArgs(c.requestId, d.operator.address, keccak256(OUTPUT2), zeroPadValue(d.enclave.address, 32));
    const receipt = (await (await tx).wait())!;
    expect(eventsOf(d.coordinator, receipt, "InferenceFulfilled")).to.have.length(2);
    expect(eventsOf(d.coordinator, receipt, "FulfillmentSkipped")).to.have.length(2);

    expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(
      operatorShare(a.request) + operatorShare(c.request),
    );
    expect(await d.coordinator.balanceOf(d.operator2.address)).to.equal(operatorShare(b.request));
    expect(await d.coordinator.protocolFeesAccrued()).to.equal(
      feesBefore + a.request.protocolFee + c.request.protocolFee,
    );
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(
      a.request.royalty + b.request.royalty + c.request.royalty,
    );
    expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(0n);
    expect(await d.coordinator.checkOutput(b.requestId, OUTPUT2)).to.equal(true); // b kept its first result
    expect(await d.coordinator.checkOutput(c.requestId, OUTPUT2)).to.equal(true);
  });

  it("CoordinatorBatchLengthMismatch", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const a = await openRequest(d);
    await expect(d.coordinator.connect(d.operator).fulfillBatch([a.request, a.request], [OUTPUT], ["0x", "0x"]))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorBatchLengthMismatch")
      .withArgs(2n, 1n, 2n);
    await expect(d.coordinator.connect(d.operator).fulfillBatch([a.request], [OUTPUT], []))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorBatchLengthMismatch")
      .withArgs(1n, 1n, 0n);
  });

  it("an unknown request or a bad proof reverts the whole batch; an expired item is skipped", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const a = await openRequest(d);
    const b = await openRequest(d, { timeout: 60 });
    const pa = await teeProof(d, a.request, OUTPUT, d.enclave, d.operator.address);
    const pb = await teeProof(d, b.request, OUTPUT, d.enclave, d.operator.address);
    const tampered = { ...a.request, nonce: 99n };
    await expect(d.coordinator.connect(d.operator).fulfillBatch([a.request, tampered], [OUTPUT, OUTPUT], [pa, pa]))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorUnknownRequest")
      .withArgs(await d.coordinator.requestIdOf(tampered));
    await expect(
      d.coordinator.connect(d.operator).fulfillBatch([a.request, b.request], [OUTPUT, OUTPUT], [pa, "0x"]),
    ).to.be.revertedWithCustomError(d.tee, "TeeInvalidSignature");
    expect(await d.coordinator.requestStatus(a.requestId)).to.equal(RequestStatus.Open);
    // b expires between simulation and inclusion: it is skipped, a is still delivered and paid.
    await networkHelpers.time.increaseTo(b.request.deadline + 1n);
    const tx = d.coordinator.connect(d.operator).fulfillBatch([b.request, a.request], [OUTPUT, OUTPUT], [pb, pa]);
    await expect(tx)
      .to.emit(d.coordinator, "FulfillmentSkipped")
      .withArgs(b.requestId, d.operator.address, RequestStatus.Open);
    await expect(tx)
      .to.emit(d.coordinator, "InferenceFulfilled")
      .withArgs(a.requestId, d.operator.address, anyValue, anyValue);
    expect(await d.coordinator.requestStatus(a.requestId)).to.equal(RequestStatus.Fulfilled);
    expect(await d.coordinator.requestStatus(b.requestId)).to.equal(RequestStatus.Open);
    expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(operatorShare(a.request));
    // Alone, the expired request still reverts with the reason.
    await expect(d.coordinator.connect(d.operator).fulfill(b.request, OUTPUT, pb))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestExpired")
      .withArgs(b.requestId, b.request.deadline);
  });

  it("paused, ineligible and foreign-assigned batches revert", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const a = await openRequest(d, { operator: d.operator2.address });
    const pa = await teeProof(d, a.request, OUTPUT, d.enclave, d.operator.address);
    await expect(d.coordinator.connect(d.operator).fulfillBatch([a.request], [OUTPUT], [pa]))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotAssignedOperator")
      .withArgs(a.requestId, d.operator2.address, d.operator.address);
    await expect(d.coordinator.connect(d.other).fulfillBatch([a.request], [OUTPUT], [pa]))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOperatorNotEligible")
      .withArgs(d.other.address);
    await d.coordinator.connect(d.admin).setPaused(true);
    await expect(
      d.coordinator.connect(d.operator).fulfillBatch([a.request], [OUTPUT], [pa]),
    ).to.be.revertedWithCustomError(d.coordinator, "CoordinatorPaused");
  });

  it("delivers callbacks inside a batch", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const consumer = await deployFundedConsumer(d, ethers, "RecordingConsumer");
    const reverting = await deployFundedConsumer(d, ethers, "RevertingConsumer");
    const a = await openRequestVia(d, consumer, { callbackGasLimit: 200_000 });
    const b = await openRequestVia(d, reverting, { callbackGasLimit: 200_000 });
    const proofs = [
      await teeProof(d, a.request, OUTPUT, d.enclave, d.operator.address),
      await teeProof(d, b.request, OUTPUT2, d.enclave, d.operator.address),
    ];
    const tx = d.coordinator.connect(d.operator).fulfillBatch([a.request, b.request], [OUTPUT, OUTPUT2], proofs);
    await expect(tx)
      .to.emit(d.coordinator, "CallbackDelivered")
      .withArgs(a.requestId, await consumer.getAddress(), true);
    await expect(tx)
      .to.emit(d.coordinator, "CallbackDelivered")
      .withArgs(b.requestId, await reverting.getAddress(), false);
    expect(await consumer.lastRequestId()).to.equal(a.requestId);
    expect(await consumer.lastOutput()).to.equal(OUTPUT);
    expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(
      operatorShare(a.request) + operatorShare(b.request),
    );
  });
});

describe("InferenceCoordinator: refund", function () {
  it("before (and at) the deadline: CoordinatorRequestNotExpired", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await openRequest(d, { timeout: 300 });
    await expect(d.coordinator.refund(request))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestNotExpired")
      .withArgs(requestId, request.deadline);
    await networkHelpers.time.setNextBlockTimestamp(request.deadline);
    await expect(d.coordinator.refund(request))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestNotExpired")
      .withArgs(requestId, request.deadline);
    await networkHelpers.time.setNextBlockTimestamp(request.deadline + 1n);
    await expect(d.coordinator.refund(request)).to.emit(d.coordinator, "RequestRefunded");
  });

  it("an unassigned request is refunded to the requester without slashing, by anyone; twice fails", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    await d.coordinator.connect(d.requester).deposit(4n * E18);
    const { request, requestId } = await openRequest(d, { timeout: 60, tip: 5n });
    expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(0n);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    const tx = d.coordinator.connect(d.other).refund(request);
    await expect(tx)
      .to.emit(d.coordinator, "RequestRefunded")
      .withArgs(requestId, d.requester.address, PRICE + 5n, 0n);
    await expect(tx).to.not.emit(d.staking, "Slashed");
    await expect(tx).to.changeTokenBalances(ethers, d.token, [d.coordinator, d.requester, d.other], [0n, 0n, 0n]);
    expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(PRICE + 5n);
    expect(await d.coordinator.balanceOf(d.other.address)).to.equal(0n);
    expect(await d.coordinator.requestStatus(requestId)).to.equal(RequestStatus.Refunded);
    expect(await d.coordinator.protocolFeesAccrued()).to.equal(0n);
    expect((await d.staking.stakeOf(d.operator.address)).staked).to.equal(MIN_STAKE);
    await expect(d.coordinator.refund(request))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestNotOpen")
      .withArgs(requestId, RequestStatus.Refunded);
    // The requester withdraws it all.
    await expect(d.coordinator.connect(d.requester).withdraw(PRICE + 5n, d.requester.address)).to.changeTokenBalances(
      ethers,
      d.token,
      [d.requester],
      [PRICE + 5n],
    );
    expect(await coordinatorTokens(d)).to.equal(0n);
  });

  it("an assigned operator that did not accept is not slashed when the request is refunded", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await openRequest(d, { timeout: 60, operator: d.operator.address });
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    const tx = d.coordinator.connect(d.other).refund(request);
    await expect(tx).to.emit(d.coordinator, "RequestRefunded").withArgs(requestId, d.requester.address, PRICE, 0n);
    await expect(tx).to.not.emit(d.staking, "Slashed");
    expect((await d.staking.stakeOf(d.operator.address)).staked).to.equal(MIN_STAKE);
    expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(PRICE);
  });

  it("acceptRequest: only the assigned, eligible operator, while open and in time", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await openRequest(d, { timeout: 60, operator: d.operator.address });
    await expect(d.coordinator.connect(d.operator2).acceptRequest(request))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotAssignedOperator")
      .withArgs(requestId, d.operator.address, d.operator2.address);
    await expect(d.coordinator.connect(d.operator).acceptRequest(request))
      .to.emit(d.coordinator, "RequestAccepted")
      .withArgs(requestId, d.operator.address);
    expect(await d.coordinator.requestStatus(requestId)).to.equal(RequestStatus.Accepted);
    expect((await d.coordinator.getResult(requestId)).status).to.equal(RequestStatus.Accepted);
    await expect(d.coordinator.connect(d.operator).acceptRequest(request))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestNotOpen")
      .withArgs(requestId, RequestStatus.Accepted);
    // An accepted request is still fulfilled normally.
    await fulfilTee(d, request, OUTPUT);
    expect(await d.coordinator.requestStatus(requestId)).to.equal(RequestStatus.Fulfilled);

    const late = await openRequest(d, { timeout: 60, operator: d.operator.address });
    await networkHelpers.time.increaseTo(late.request.deadline + 1n);
    await expect(d.coordinator.connect(d.operator).acceptRequest(late.request))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestExpired")
      .withArgs(late.requestId, late.request.deadline);
    const open = await openRequest(d, { timeout: 600 });
    await expect(d.coordinator.connect(d.operator).acceptRequest(open.request))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotAssignedOperator")
      .withArgs(open.requestId, ZeroAddress, d.operator.address);
  });

  it("an assigned operator that accepted and missed the deadline is slashed", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await openRequest(d, { timeout: 60, operator: d.operator.address });
    await d.coordinator.connect(d.operator).acceptRequest(request);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    const tx = d.coordinator.connect(d.other).refund(request);
    await expect(tx)
      .to.emit(d.staking, "Slashed")
      .withArgs(d.operator.address, 1, d.requester.address, PENALTY, PENALTY / 2n, PENALTY / 2n, false);
    await expect(tx).to.emit(d.coordinator, "RequestRefunded").withArgs(requestId, d.requester.address, PRICE, PENALTY);
    expect(await d.staking.claimableOf(d.requester.address)).to.equal(PENALTY / 2n);
    expect(await d.staking.claimableOf(d.treasury.address)).to.equal(PENALTY / 2n);
    expect(await d.staking.claimableOf(d.other.address)).to.equal(0n);
    expect((await d.staking.stakeOf(d.operator.address)).staked).to.equal(MIN_STAKE - PENALTY);
    expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(PRICE);
    // Below the minimum stake now: no longer eligible.
    expect(await d.staking.isEligible(d.operator.address)).to.equal(false);
    await expect(d.staking.connect(d.requester).claimSlashed(d.requester.address)).to.changeTokenBalances(
      ethers,
      d.token,
      [d.requester],
      [PENALTY / 2n],
    );
  });

  it("a slash that fails never blocks the refund", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await openRequest(d, { timeout: 60, operator: d.operator.address });
    await d.coordinator.connect(d.operator).acceptRequest(request);
    await d.staking.connect(d.admin).revokeRole(await d.staking.SLASHER_ROLE(), await d.coordinator.getAddress());
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    const tx = d.coordinator.refund(request);
    await expect(tx).to.emit(d.coordinator, "SlashFailed").withArgs(requestId, d.operator.address);
    await expect(tx).to.emit(d.coordinator, "RequestRefunded").withArgs(requestId, d.requester.address, PRICE, 0n);
    expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(PRICE);
  });

  it("no slash when the penalty is zero", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    await d.coordinator.connect(d.admin).setMissedDeadlinePenalty(0);
    const { request, requestId } = await openRequest(d, { timeout: 60, operator: d.operator.address });
    await d.coordinator.connect(d.operator).acceptRequest(request);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    const tx = d.coordinator.refund(request);
    await expect(tx).to.emit(d.coordinator, "RequestRefunded").withArgs(requestId, d.requester.address, PRICE, 0n);
    await expect(tx).to.not.emit(d.staking, "Slashed");
  });

  it("after fulfilment: CoordinatorRequestNotOpen(Fulfilled); unknown: CoordinatorUnknownRequest", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await openRequest(d, { timeout: 60 });
    await fulfilTee(d, request, OUTPUT);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    await expect(d.coordinator.refund(request))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestNotOpen")
      .withArgs(requestId, RequestStatus.Fulfilled);
    const unknown = { ...request, nonce: 1234n };
    await expect(d.coordinator.refund(unknown))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorUnknownRequest")
      .withArgs(await d.coordinator.requestIdOf(unknown));
  });
});

describe("InferenceCoordinator: callbacks and attacks", function () {
  it("delivers to a well-behaved consumer", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const consumer = await deployFundedConsumer(d, ethers, "RecordingConsumer");
    const { request, requestId } = await openRequestVia(d, consumer, {
      callbackGasLimit: 150_000,
    });
    await expect(fulfilTee(d, request, OUTPUT))
      .to.emit(d.coordinator, "CallbackDelivered")
      .withArgs(requestId, await consumer.getAddress(), true);
    expect(await consumer.calls()).to.equal(1n);
    expect(await consumer.lastRequestId()).to.equal(requestId);
    expect(await consumer.lastOutput()).to.equal(OUTPUT);
  });

  it("a reverting consumer: delivered with success=false, operator paid", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const consumer = await deployFundedConsumer(d, ethers, "RevertingConsumer");
    const { request, requestId } = await openRequestVia(d, consumer, {
      callbackGasLimit: 100_000,
    });
    const tx = fulfilTee(d, request, OUTPUT);
    await expect(tx)
      .to.emit(d.coordinator, "CallbackDelivered")
      .withArgs(requestId, await consumer.getAddress(), false);
    await expect(tx).to.emit(d.coordinator, "InferenceFulfilled");
    expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(operatorShare(request));
    expect(await d.coordinator.checkOutput(requestId, OUTPUT)).to.equal(true);
  });

  it("a gas-burning consumer gets only its limit: success=false, operator paid, tx gas ~ limit", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const burner = await deployFundedConsumer(d, ethers, "GasBurningConsumer");
    const plain = await openRequest(d);
    const limit = 500_000n;
    const { request, requestId } = await openRequestVia(d, burner, {
      callbackGasLimit: limit,
    });
    const base = (await (await fulfilTee(d, plain.request, OUTPUT)).wait())!.gasUsed;
    // Plenty of gas offered: if the coordinator forwarded more than the limit, the burner would eat it.
    const tx = await fulfilTee(d, request, OUTPUT, d.operator, d.enclave, { gasLimit: 5_000_000n });
    const receipt = (await tx.wait())!;
    await expect(tx)
      .to.emit(d.coordinator, "CallbackDelivered")
      .withArgs(requestId, await burner.getAddress(), false);
    expect(receipt.gasUsed).to.be.greaterThan(limit);
    expect(receipt.gasUsed).to.be.lessThan(limit + base + 60_000n);
    expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(
      operatorShare(request) + operatorShare(plain.request),
    );
  });

  it("too little gas for the callback: CoordinatorInsufficientCallbackGas, request stays open", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const consumer = await deployFundedConsumer(d, ethers, "RecordingConsumer");
    const limit = 1_000_000n;
    const { request, requestId } = await openRequestVia(d, consumer, {
      callbackGasLimit: limit,
    });
    const needed = limit + limit / 63n + 15_000n;
    await expect(fulfilTee(d, request, OUTPUT, d.operator, d.enclave, { gasLimit: 600_000n }))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInsufficientCallbackGas")
      .withArgs(requestId, anyUint, needed);
    expect(await d.coordinator.requestStatus(requestId)).to.equal(RequestStatus.Open);
    expect(await consumer.calls()).to.equal(0n);
    expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(0n);
    await expect(fulfilTee(d, request, OUTPUT))
      .to.emit(d.coordinator, "CallbackDelivered")
      .withArgs(requestId, await consumer.getAddress(), true);
    expect(await consumer.calls()).to.equal(1n);
  });

  it("the least gas that makes fulfil succeed still gives the consumer its whole limit", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const probe = await deployFundedConsumer(d, ethers, "GasProbeConsumer");
    const limit = 300_000n;
    const { request } = await openRequestVia(d, probe, { callbackGasLimit: limit });
    const proof = await teeProof(d, request, OUTPUT, d.enclave, d.operator.address);
    const estimate = await d.coordinator.connect(d.operator).fulfill.estimateGas(request, OUTPUT, proof);
    await d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof, { gasLimit: estimate });
    const atEntry = await probe.gasAtEntry();
    expect(atEntry).to.be.lessThanOrEqual(limit);
    expect(atEntry).to.be.greaterThan(limit - 1_000n);
  });

  describe("a re-entering consumer", function () {
    async function setup(attack: number) {
      const d = await networkHelpers.loadFixture(deploy);
      const consumer = await deployFundedConsumer(d, ethers, "ReentrantConsumer", [await d.coordinator.getAddress()]);
      return { d, consumer };
    }

    it("withdraw from the callback: ReentrancyGuardReentrantCall, delivery and payment happen", async function () {
      const { d, consumer } = await setup(1);
      const target = await openRequest(d);
      await consumer.setAttack(1, target.request, "0x", "0x");
      const { request, requestId } = await openRequestVia(d, consumer, {
        callbackGasLimit: 300_000,
      });
      await expect(fulfilTee(d, request, OUTPUT))
        .to.emit(d.coordinator, "CallbackDelivered")
        .withArgs(requestId, await consumer.getAddress(), true);
      expect(await consumer.lastError()).to.equal(REENTRANCY_SELECTOR);
      expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(operatorShare(request));
      expect(await d.coordinator.isVerified(requestId)).to.equal(true);
    });

    it("fulfil another request from the callback is refused", async function () {
      const { d, consumer } = await setup(2);
      const target = await openRequest(d);
      const proof = await teeProof(d, target.request, OUTPUT, d.enclave, await consumer.getAddress());
      await consumer.setAttack(2, target.request, OUTPUT, proof);
      const { request, requestId } = await openRequestVia(d, consumer, {
        callbackGasLimit: 300_000,
      });
      await expect(fulfilTee(d, request, OUTPUT))
        .to.emit(d.coordinator, "CallbackDelivered")
        .withArgs(requestId, await consumer.getAddress(), true);
      expect(await consumer.lastError()).to.equal(REENTRANCY_SELECTOR);
      expect(await d.coordinator.requestStatus(target.requestId)).to.equal(RequestStatus.Open);
      expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(operatorShare(request));
    });

    it("refund an expired request from the callback is refused", async function () {
      const { d, consumer } = await setup(3);
      const target = await openRequest(d, { timeout: 60, operator: d.operator2.address });
      await consumer.setAttack(3, target.request, "0x", "0x");
      const { request, requestId } = await openRequestVia(d, consumer, {
        callbackGasLimit: 300_000,
      });
      await networkHelpers.time.increaseTo(target.request.deadline + 1n);
      await expect(fulfilTee(d, request, OUTPUT))
        .to.emit(d.coordinator, "CallbackDelivered")
        .withArgs(requestId, await consumer.getAddress(), true);
      expect(await consumer.lastError()).to.equal(REENTRANCY_SELECTOR);
      expect(await d.coordinator.requestStatus(target.requestId)).to.equal(RequestStatus.Open);
      expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(operatorShare(request));
      // A plain refund afterwards works (no slash: the assigned operator never accepted).
      await expect(d.coordinator.refund(target.request))
        .to.emit(d.coordinator, "RequestRefunded")
        .withArgs(target.requestId, d.requester.address, PRICE, 0n);
    });
  });
});

describe("InferenceCoordinator: pause", function () {
  it("blocks deposit, request and fulfil but not withdraw, refund, fee withdrawal or royalty claims", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    await d.coordinator.connect(d.requester).deposit(35n * E18);
    const done = await openRequest(d);
    await fulfilTee(d, done.request, OUTPUT);
    const open = await openRequest(d, { timeout: 60 });
    const other = await openRequest(d);
    await expect(d.coordinator.connect(d.admin).setPaused(true))
      .to.emit(d.coordinator, "PausedSet")
      .withArgs(true, d.admin.address);

    await expect(d.coordinator.connect(d.requester).deposit(1)).to.be.revertedWithCustomError(
      d.coordinator,
      "CoordinatorPaused",
    );
    await expect(openRequest(d)).to.be.revertedWithCustomError(d.coordinator, "CoordinatorPaused");
    await expect(fulfilTee(d, other.request, OUTPUT)).to.be.revertedWithCustomError(d.coordinator, "CoordinatorPaused");

    await expect(d.coordinator.connect(d.requester).withdraw(1n, d.requester.address)).to.emit(
      d.coordinator,
      "Withdrawn",
    );
    await expect(d.coordinator.connect(d.operator).withdraw(operatorShare(done.request), d.operator.address)).to.emit(
      d.coordinator,
      "Withdrawn",
    );
    await expect(d.coordinator.withdrawProtocolFees())
      .to.emit(d.coordinator, "ProtocolFeesWithdrawn")
      .withArgs(d.treasury.address, done.request.protocolFee);
    // claimRoyalties has no pause check: the owner claims and withdraws while paused.
    await expect(d.coordinator.connect(d.modelOwner).claimRoyalties([d.modelId]))
      .to.emit(d.coordinator, "RoyaltiesClaimed")
      .withArgs(d.modelId, d.modelOwner.address, done.request.royalty);
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(0n);
    await expect(
      d.coordinator.connect(d.modelOwner).withdraw(done.request.royalty, d.modelOwner.address),
    ).to.changeTokenBalances(
      ethers,
      d.token,
      [d.coordinator, d.modelOwner],
      [-done.request.royalty, done.request.royalty],
    );
    await networkHelpers.time.increaseTo(open.request.deadline + 1n);
    await expect(d.coordinator.refund(open.request))
      .to.emit(d.coordinator, "RequestRefunded")
      .withArgs(open.requestId, d.requester.address, PRICE, 0n);

    await d.coordinator.connect(d.admin).setPaused(false);
    await expect(fulfilTee(d, other.request, OUTPUT)).to.emit(d.coordinator, "InferenceFulfilled");
  });
});
