import { expect } from "chai";
import { keccak256 } from "ethers";
import { network } from "hardhat";

import { claimFor, resultDomain, signResult, RequestStatus, operatorShare } from "@verity-ai/sdk";
import { E18, MIN_STAKE, OUTPUT, PRICE, openRequest, openRequestVia, teeProof } from "../helpers/fixture.ts";
import { deployEnv, deployFundedConsumer, fulfilTee } from "../helpers/coordinator.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

const PENALTY = 100n * E18;
const SLASH_MISSED_DEADLINE = 1;

async function deploy() {
  return deployEnv(conn);
}

describe("InferenceCoordinator: slashing only when the protocol did not block delivery", function () {
  it("a pause between acceptance and deadline waives the slash (PenaltyWaived) and releases the lock", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await openRequest(d, { operator: d.operator.address, timeout: 600 });
    await d.coordinator.connect(d.operator).acceptRequest(request);
    expect(await d.coordinator.lockedPenaltyOf(requestId)).to.equal(PENALTY);
    // Governance pauses for a while: the operator cannot deliver in that time.
    await d.coordinator.connect(d.admin).setPaused(true);
    await networkHelpers.time.increase(300);
    await d.coordinator.connect(d.admin).setPaused(false);
    expect(await d.coordinator.pauseEpoch()).to.equal(2n);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    const tx = d.coordinator.connect(d.other).refund(request);
    await expect(tx).to.emit(d.coordinator, "PenaltyWaived").withArgs(requestId, d.operator.address, PENALTY);
    await expect(tx).to.emit(d.coordinator, "RequestRefunded").withArgs(requestId, d.requester.address, PRICE, 0n);
    await expect(tx).to.not.emit(d.staking, "Slashed");
    expect((await d.staking.stakeOf(d.operator.address)).staked).to.equal(MIN_STAKE);
    expect(await d.staking.lockedOf(d.operator.address)).to.equal(0n);
    expect(await d.coordinator.lockedPenaltyOf(requestId)).to.equal(0n);
  });

  it("still refunded without a slash while paused at the deadline", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await openRequest(d, { operator: d.operator.address, timeout: 600 });
    await d.coordinator.connect(d.operator).acceptRequest(request);
    await d.coordinator.connect(d.admin).setPaused(true);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    await expect(d.coordinator.connect(d.other).refund(request))
      .to.emit(d.coordinator, "PenaltyWaived")
      .withArgs(requestId, d.operator.address, PENALTY);
  });

  it("a pause before the acceptance does not excuse the operator: it accepted afterwards", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request } = await openRequest(d, { operator: d.operator.address, timeout: 600 });
    await d.coordinator.connect(d.admin).setPaused(true);
    await expect(d.coordinator.connect(d.operator).acceptRequest(request)).to.be.revertedWithCustomError(
      d.coordinator,
      "CoordinatorPaused",
    );
    await d.coordinator.connect(d.admin).setPaused(false);
    await d.coordinator.connect(d.operator).acceptRequest(request);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    await expect(d.coordinator.connect(d.other).refund(request))
      .to.emit(d.staking, "Slashed")
      .withArgs(
        d.operator.address,
        SLASH_MISSED_DEADLINE,
        d.requester.address,
        PENALTY,
        PENALTY / 2n,
        PENALTY / 2n,
        false,
      );
  });

  it("lowering maxOutputBytes after acceptance waives the slash; raising it does not", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const lowered = await openRequest(d, { operator: d.operator.address, timeout: 600, storeOutput: true });
    await d.coordinator.connect(d.operator).acceptRequest(lowered.request);
    await d.coordinator.connect(d.admin).setLimits(4096, 8192, 2_000_000); // raised: no disruption
    expect(await d.coordinator.pauseEpoch()).to.equal(0n);
    await d.coordinator.connect(d.admin).setLimits(4096, 16, 2_000_000); // lowered below the job's output
    expect(await d.coordinator.pauseEpoch()).to.equal(2n);
    expect(await d.coordinator.paused()).to.equal(false);
    await networkHelpers.time.increaseTo(lowered.request.deadline + 1n);
    await expect(d.coordinator.connect(d.other).refund(lowered.request))
      .to.emit(d.coordinator, "PenaltyWaived")
      .withArgs(lowered.requestId, d.operator.address, PENALTY);
  });

  it("an accepted request keeps the penalty it locked when governance changes the penalty", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await openRequest(d, { operator: d.operator.address, timeout: 600 });
    await d.coordinator.connect(d.operator).acceptRequest(request);
    await d.coordinator.connect(d.admin).setMissedDeadlinePenalty(500n * E18);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    await expect(d.coordinator.connect(d.other).refund(request))
      .to.emit(d.coordinator, "RequestRefunded")
      .withArgs(requestId, d.requester.address, PRICE, PENALTY);
    expect(await d.staking.lockedOf(d.operator.address)).to.equal(0n);
  });
});

describe("InferenceCoordinator: the missed-deadline penalty is backed", function () {
  it("accepting reserves the penalty; an operator cannot accept more jobs than its free stake covers", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    // MIN_STAKE (1,000) backs ten 100-token penalties, not eleven.
    const jobs = [];
    for (let i = 0; i < 11; i++) jobs.push(await openRequest(d, { operator: d.operator.address, timeout: 600 }));
    for (let i = 0; i < 10; i++) {
      await expect(d.coordinator.connect(d.operator).acceptRequest(jobs[i]!.request))
        .to.emit(d.staking, "StakeLocked")
        .withArgs(d.operator.address, await d.coordinator.getAddress(), PENALTY, PENALTY * BigInt(i + 1));
    }
    await expect(d.coordinator.connect(d.operator).acceptRequest(jobs[10]!.request))
      .to.be.revertedWithCustomError(d.staking, "StakingInsufficientFreeStake")
      .withArgs(d.operator.address, 0n, PENALTY);
    expect(await d.coordinator.requestStatus(jobs[10]!.requestId)).to.equal(RequestStatus.Open);
    // Every accepted job that misses its deadline is paid its full penalty.
    await networkHelpers.time.increaseTo(jobs[0]!.request.deadline + 1n);
    for (let i = 0; i < 10; i++) {
      await expect(d.coordinator.connect(d.other).refund(jobs[i]!.request))
        .to.emit(d.coordinator, "RequestRefunded")
        .withArgs(jobs[i]!.requestId, d.requester.address, PRICE, PENALTY);
    }
    expect(await d.staking.claimableOf(d.requester.address)).to.equal((10n * PENALTY) / 2n);
  });

  it("fulfilling an accepted request (alone or in a batch) releases its penalty", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const a = await openRequest(d, { operator: d.operator.address });
    const b = await openRequest(d, { operator: d.operator.address });
    const c = await openRequest(d, { operator: d.operator.address });
    for (const r of [a, b, c]) await d.coordinator.connect(d.operator).acceptRequest(r.request);
    expect(await d.staking.lockedOf(d.operator.address)).to.equal(3n * PENALTY);
    await expect(fulfilTee(d, a.request, OUTPUT))
      .to.emit(d.staking, "StakeUnlocked")
      .withArgs(d.operator.address, await d.coordinator.getAddress(), PENALTY, 2n * PENALTY);
    const proofs = [
      await teeProof(d, b.request, OUTPUT, d.enclave, d.operator.address),
      await teeProof(d, c.request, OUTPUT, d.enclave, d.operator.address),
    ];
    // One unlock for the whole batch.
    await expect(d.coordinator.connect(d.operator).fulfillBatch([b.request, c.request], [OUTPUT, OUTPUT], proofs))
      .to.emit(d.staking, "StakeUnlocked")
      .withArgs(d.operator.address, await d.coordinator.getAddress(), 2n * PENALTY, 0n);
    expect(await d.coordinator.lockedPenaltyOf(b.requestId)).to.equal(0n);
    // The whole stake is free again.
    await d.staking.connect(d.operator).requestUnstake(MIN_STAKE);
  });

  it("only the coordinator (locker role) locks and unlocks stake", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const role = await d.staking.LOCKER_ROLE();
    await expect(d.staking.connect(d.other).lock(d.operator.address, 1n))
      .to.be.revertedWithCustomError(d.staking, "AccessControlUnauthorizedAccount")
      .withArgs(d.other.address, role);
    await expect(d.staking.connect(d.operator).unlock(d.operator.address, 1n))
      .to.be.revertedWithCustomError(d.staking, "AccessControlUnauthorizedAccount")
      .withArgs(d.operator.address, role);
  });

  it("equivocation evidence is still slashable after the operator's last job and a full unstake", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    // The last job, with the longest timeout the coordinator allows.
    const maxTimeout = (await d.coordinator.config()).maxTimeout;
    const { request, requestId } = await openRequest(d, { operator: d.operator.address, timeout: maxTimeout });
    await d.coordinator.connect(d.operator).acceptRequest(request);
    await fulfilTee(d, request, OUTPUT);
    // The operator leaves at once...
    await d.staking.connect(d.operator).requestUnstake(MIN_STAKE);
    const end = (await d.staking.stakeOf(d.operator.address)).unbondingEnd;
    // ...but the stake stays slashable past the job's deadline plus the evidence window.
    const window = await d.coordinator.EVIDENCE_WINDOW();
    expect(end).to.be.greaterThan(request.deadline + window);
    await networkHelpers.time.increaseTo(request.deadline + window);
    const domain = resultDomain(d.chainId, await d.coordinator.getAddress());
    const a = claimFor(requestId, request, OUTPUT, d.operator.address);
    const b = claimFor(requestId, request, "0x" + "00".repeat(31) + "02", d.operator.address);
    const equivocationPenalty = await d.tee.equivocationPenalty();
    await expect(
      d.tee
        .connect(d.other)
        .reportEquivocation(a, await signResult(d.enclave, domain, a), b, await signResult(d.enclave, domain, b)),
    )
      .to.emit(d.staking, "Slashed")
      .withArgs(d.operator.address, 2, ethers.ZeroAddress, equivocationPenalty, 0n, equivocationPenalty, true);
    // The penalty came out of the unbonding stake: nothing is left to withdraw.
    expect((await d.staking.stakeOf(d.operator.address)).unbonding).to.equal(MIN_STAKE - equivocationPenalty);
    await expect(d.staking.connect(d.operator).withdrawUnstaked())
      .to.be.revertedWithCustomError(d.staking, "StakingNothingUnbonding")
      .withArgs(d.operator.address);
  });
});

describe("InferenceCoordinator: a jailed operator is paid for nothing after the jail", function () {
  it("a callback that gets the operator jailed halts the batch: later items are skipped and unpaid", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const jailer = await deployFundedConsumer(d, ethers, "JailingConsumer");
    await d.staking.connect(d.admin).grantRole(await d.staking.SLASHER_ROLE(), await jailer.getAddress());
    await jailer.setJail(await d.staking.getAddress(), d.operator.address);
    const first = await openRequestVia(d, jailer, { callbackGasLimit: 200_000 });
    const second = await openRequest(d);
    const third = await openRequest(d);
    const reqs = [first, second, third];
    const proofs = await Promise.all(reqs.map((r) => teeProof(d, r.request, OUTPUT, d.enclave, d.operator.address)));
    const tx = d.coordinator.connect(d.operator).fulfillBatch(
      reqs.map((r) => r.request),
      reqs.map(() => OUTPUT),
      proofs,
    );
    await expect(tx)
      .to.emit(d.coordinator, "InferenceFulfilled")
      .withArgs(first.requestId, d.operator.address, keccak256(OUTPUT), ethers.zeroPadValue(d.enclave.address, 32));
    for (const r of [second, third]) {
      await expect(tx)
        .to.emit(d.coordinator, "FulfillmentSkipped")
        .withArgs(r.requestId, d.operator.address, RequestStatus.Open);
    }
    expect((await d.staking.stakeOf(d.operator.address)).jailed).to.equal(true);
    expect(await jailer.calls()).to.equal(1n);
    // Paid for the first item only; the others stay open for an eligible operator.
    expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(operatorShare(first.request));
    expect(await d.coordinator.requestStatus(second.requestId)).to.equal(RequestStatus.Open);
    await expect(fulfilTee(d, second.request, OUTPUT, d.operator2, d.enclave2)).to.emit(
      d.coordinator,
      "InferenceFulfilled",
    );
  });
});

describe("InferenceCoordinator: a large output cannot starve the callback", function () {
  it("with a 64 KiB unstored output, the least gas that succeeds still gives the consumer its whole limit", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const probe = await deployFundedConsumer(d, ethers, "GasProbeConsumer");
    const limit = 300_000n;
    const { request } = await openRequestVia(d, probe, { callbackGasLimit: limit });
    const big = "0x" + "ab".repeat(64 * 1024);
    const proof = await teeProof(d, request, big, d.enclave, d.operator.address);
    const estimate = await d.coordinator.connect(d.operator).fulfill.estimateGas(request, big, proof);
    await d.coordinator.connect(d.operator).fulfill(request, big, proof, { gasLimit: estimate });
    const atEntry = await probe.gasAtEntry();
    expect(await probe.calls()).to.equal(1n);
    // The consumer got its limit (less the few opcodes before its `gasleft()`), not 24k short.
    expect(atEntry).to.be.lessThanOrEqual(limit);
    expect(atEntry).to.be.greaterThan(limit - 1_000n);
  });

  it("a refund's callback follows the same gas rule: too little gas reverts, the request stays pending", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const consumer = await deployFundedConsumer(d, ethers, "RecordingConsumer");
    const limit = 1_000_000n;
    const { request, requestId } = await openRequestVia(d, consumer, { callbackGasLimit: limit, timeout: 60 });
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    const needed = limit + limit / 63n + 15_000n;
    await expect(d.coordinator.connect(d.other).refund(request, { gasLimit: 500_000n }))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInsufficientCallbackGas")
      .withArgs(requestId, (v: bigint) => v < needed, needed);
    expect(await d.coordinator.requestStatus(requestId)).to.equal(RequestStatus.Open);
    await expect(d.coordinator.connect(d.other).refund(request))
      .to.emit(d.coordinator, "RefundCallbackDelivered")
      .withArgs(requestId, await consumer.getAddress(), true);
    expect(await consumer.refunds()).to.equal(1n);
  });

  it("a reverting refund hook does not undo the refund", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const consumer = await deployFundedConsumer(d, ethers, "RevertingConsumer");
    const addr = await consumer.getAddress();
    const { request, requestId } = await openRequestVia(d, consumer, { callbackGasLimit: 100_000, timeout: 60 });
    const before = await d.coordinator.balanceOf(addr);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    await expect(d.coordinator.connect(d.other).refund(request))
      .to.emit(d.coordinator, "RefundCallbackDelivered")
      .withArgs(requestId, addr, false);
    expect(await d.coordinator.balanceOf(addr)).to.equal(before + PRICE);
    expect(await d.coordinator.requestStatus(requestId)).to.equal(RequestStatus.Refunded);
  });
});

describe("InferenceCoordinator: no stranded funds", function () {
  it('withdraw to the coordinator itself is refused: CoordinatorInvalidAddress("to")', async function () {
    const d = await networkHelpers.loadFixture(deploy);
    await d.coordinator.connect(d.requester).deposit(10n * E18);
    await expect(d.coordinator.connect(d.requester).withdraw(1n, await d.coordinator.getAddress()))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInvalidAddress")
      .withArgs("to");
    expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(10n * E18);
  });

  it("slashed shares can be claimed to any address, never to staking itself", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const { request } = await openRequest(d, { operator: d.operator.address, timeout: 60 });
    await d.coordinator.connect(d.operator).acceptRequest(request);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    await d.coordinator.connect(d.other).refund(request);
    await expect(d.staking.connect(d.requester).claimSlashed(await d.staking.getAddress()))
      .to.be.revertedWithCustomError(d.staking, "StakingInvalidAddress")
      .withArgs("to");
    await expect(d.staking.connect(d.requester).claimSlashed(ethers.ZeroAddress))
      .to.be.revertedWithCustomError(d.staking, "StakingInvalidAddress")
      .withArgs("to");
    await expect(d.staking.connect(d.requester).claimSlashed(d.other.address)).to.changeTokenBalances(
      ethers,
      d.token,
      [d.other, d.requester],
      [PENALTY / 2n, 0n],
    );
  });
});
