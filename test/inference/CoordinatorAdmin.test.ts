import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";

import { requestParams, operatorShare } from "@verity-ai/sdk";
import { E18, INPUT_64, OUTPUT, PRICE, openRequest } from "../helpers/fixture.ts";
import { deployEnv, fulfilTee } from "../helpers/coordinator.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

async function deploy() {
  return deployEnv(conn);
}

const DAY = 24n * 3600n;

describe("InferenceCoordinator: governance", function () {
  it("every admin function is restricted (AccessControlUnauthorizedAccount)", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const c = d.coordinator.connect(d.other);
    const admin = ZeroHash;
    const pauser = await d.coordinator.PAUSER_ROLE();
    const calls: [Promise<unknown>, string][] = [
      [c.setVerifier(1, ZeroAddress), admin],
      [c.setProtocolFee(0), admin],
      [c.setTreasury(d.other.address), admin],
      [c.setTimeouts(60, 3600), admin],
      [c.setLimits(1, 1, 0), admin],
      [c.setMissedDeadlinePenalty(0), admin],
      [c.setPaused(true), pauser],
    ];
    for (const [call, role] of calls) {
      await expect(call)
        .to.be.revertedWithCustomError(d.coordinator, "AccessControlUnauthorizedAccount")
        .withArgs(d.other.address, role);
    }
    // Operators and requesters hold no role either.
    await expect(d.coordinator.connect(d.operator).setPaused(true))
      .to.be.revertedWithCustomError(d.coordinator, "AccessControlUnauthorizedAccount")
      .withArgs(d.operator.address, pauser);
  });

  it("setPaused: a granted pauser can pause and unpause", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const pauser = await d.coordinator.PAUSER_ROLE();
    await d.coordinator.connect(d.admin).grantRole(pauser, d.other.address);
    await expect(d.coordinator.connect(d.other).setPaused(true))
      .to.emit(d.coordinator, "PausedSet")
      .withArgs(true, d.other.address);
    expect(await d.coordinator.paused()).to.equal(true);
    await expect(d.coordinator.connect(d.other).setPaused(false))
      .to.emit(d.coordinator, "PausedSet")
      .withArgs(false, d.other.address);
    expect(await d.coordinator.paused()).to.equal(false);
  });

  describe("setVerifier", function () {
    it("plugs a verifier for a mode and serves requests through it", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      // Mode 3: a ZK request would go to its version's pinned verifier instead (see CoordinatorRequest).
      const v = await ethers.deployContract("AcceptAllVerifier", [3]);
      const addr = await v.getAddress();
      await expect(d.coordinator.connect(d.admin).setVerifier(3, addr))
        .to.emit(d.coordinator, "VerifierUpdated")
        .withArgs(3, addr);
      expect(await d.coordinator.verifierOf(3)).to.equal(addr);
      await d.registry.connect(d.modelOwner).setModes(d.modelId, 0b1010);
      const { request, requestId } = await openRequest(d, { mode: 3 });
      expect(request.mode).to.equal(3n);
      expect(await d.coordinator.pinnedVerifierOf(requestId)).to.equal(addr);
      await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, "0x"))
        .to.emit(d.coordinator, "InferenceFulfilled")
        .withArgs(requestId, d.operator.address, ethers.keccak256(OUTPUT), ethers.toBeHex(requestId, 32));
      expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(operatorShare(request));
    });

    it("removing a verifier disables the mode for new requests", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.admin).setVerifier(1, ZeroAddress))
        .to.emit(d.coordinator, "VerifierUpdated")
        .withArgs(1, ZeroAddress);
      await expect(
        d.coordinator.connect(d.requester).requestInference(requestParams({ modelId: d.modelId, input: INPUT_64 })),
      )
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorModeUnsupported")
        .withArgs(1);
    });

    it("CoordinatorModeUnsupported for mode 0, a mode above MODE_MAX and a verifier of another mode", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const v = await ethers.deployContract("AcceptAllVerifier", [3]);
      for (const mode of [0, 4, 255]) {
        await expect(d.coordinator.connect(d.admin).setVerifier(mode, await v.getAddress()))
          .to.be.revertedWithCustomError(d.coordinator, "CoordinatorModeUnsupported")
          .withArgs(mode);
      }
      await expect(d.coordinator.connect(d.admin).setVerifier(2, await d.tee.getAddress()))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorModeUnsupported")
        .withArgs(2);
      await expect(d.coordinator.connect(d.admin).setVerifier(2, await v.getAddress()))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorModeUnsupported")
        .withArgs(2);
    });
  });

  describe("setProtocolFee", function () {
    it("applies to new requests only", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const before = await openRequest(d);
      await expect(d.coordinator.connect(d.admin).setProtocolFee(2_000))
        .to.emit(d.coordinator, "ProtocolFeeUpdated")
        .withArgs(2_000n);
      expect((await d.coordinator.config()).protocolFeeBps).to.equal(2_000n);
      const after = await openRequest(d);
      expect(before.request.protocolFee).to.equal((PRICE * 500n) / 10_000n);
      expect(after.request.protocolFee).to.equal((PRICE * 2_000n) / 10_000n);
      await fulfilTee(d, before.request, OUTPUT);
      expect(await d.coordinator.protocolFeesAccrued()).to.equal((PRICE * 500n) / 10_000n);
    });

    it("rejects more than MAX_PROTOCOL_FEE_BPS", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.admin).setProtocolFee(2_001))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("protocolFeeBps", 2_001n, 0n, 2_000n);
      await expect(d.coordinator.connect(d.admin).setProtocolFee(0))
        .to.emit(d.coordinator, "ProtocolFeeUpdated")
        .withArgs(0n);
    });
  });

  describe("setTreasury", function () {
    it("sets and rejects zero", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.admin).setTreasury(d.other.address))
        .to.emit(d.coordinator, "TreasuryUpdated")
        .withArgs(d.other.address);
      expect((await d.coordinator.config()).treasury).to.equal(d.other.address);
      await expect(d.coordinator.connect(d.admin).setTreasury(ZeroAddress))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInvalidAddress")
        .withArgs("treasury");
    });
  });

  describe("setTimeouts", function () {
    it("keeps staking's unbonding period above maxTimeout + EVIDENCE_WINDOW, whichever side changes", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const unbonding = await d.staking.unbondingPeriod(); // 9 days
      expect(await d.coordinator.EVIDENCE_WINDOW()).to.equal(DAY);
      // The deployment pushed the floor: 7 days + 1 day.
      expect(await d.staking.unbondingFloor()).to.equal(8n * DAY);
      // A maxTimeout whose evidence window would outlive the unbonding period is refused by staking...
      await expect(d.coordinator.connect(d.admin).setTimeouts(60, 8n * DAY))
        .to.be.revertedWithCustomError(d.staking, "StakingUnbondingTooShort")
        .withArgs(unbonding, 9n * DAY);
      // ...and so is an unbonding period that would no longer cover the current maxTimeout + window.
      await expect(d.staking.connect(d.admin).setUnbondingPeriod(8n * DAY))
        .to.be.revertedWithCustomError(d.staking, "StakingUnbondingTooShort")
        .withArgs(8n * DAY, 8n * DAY);
      await d.staking.connect(d.admin).setUnbondingPeriod(8n * DAY + 1n);
      // Lowering maxTimeout lowers the floor, and then the unbonding period may follow.
      await expect(d.coordinator.connect(d.admin).setTimeouts(60, 2n * DAY))
        .to.emit(d.staking, "UnbondingFloorUpdated")
        .withArgs(await d.coordinator.getAddress(), 3n * DAY);
      await d.staking.connect(d.admin).setUnbondingPeriod(3n * DAY + 1n);
      // Only a locker sets the floor.
      await expect(d.staking.connect(d.other).setUnbondingFloor(0))
        .to.be.revertedWithCustomError(d.staking, "AccessControlUnauthorizedAccount")
        .withArgs(d.other.address, await d.staking.LOCKER_ROLE());
    });

    it("refuses at deployment a staking contract whose unbonding period is too short", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const staking = await ethers.deployContract("OperatorStaking", [
        await d.token.getAddress(),
        d.admin.address,
        d.treasury.address,
        E18,
        8n * DAY,
        5_000n,
      ]);
      const factory = await ethers.getContractFactory("InferenceCoordinator");
      await expect(
        factory.deploy(
          await d.token.getAddress(),
          await d.registry.getAddress(),
          await staking.getAddress(),
          d.admin.address,
          d.treasury.address,
          500n,
        ),
      )
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("maxTimeout", 7n * DAY, 60n, 7n * DAY - 1n);
    });

    it("sets the bounds requests are checked against", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await d.staking.connect(d.admin).setUnbondingPeriod(31n * DAY + 1n);
      await expect(d.coordinator.connect(d.admin).setTimeouts(120, 30n * DAY))
        .to.emit(d.coordinator, "LimitsUpdated")
        .withArgs(120n, 30n * DAY, 4096n, 4096n, 2_000_000n);
      await expect(
        d.coordinator
          .connect(d.requester)
          .requestInference(requestParams({ modelId: d.modelId, input: INPUT_64, timeout: 119 })),
      )
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInvalidTimeout")
        .withArgs(119n, 120n, 30n * DAY);
      const { request } = await openRequest(d, { timeout: 30n * DAY });
      expect(request.deadline).to.equal(BigInt(await networkHelpers.time.latest()) + 30n * DAY);
    });

    it("rejects a zero or inverted minimum and a maximum above 30 days", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.admin).setTimeouts(0, 3600))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("minTimeout", 0n, 1n, 3600n);
      await expect(d.coordinator.connect(d.admin).setTimeouts(3601, 3600))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("minTimeout", 3601n, 1n, 3600n);
      await expect(d.coordinator.connect(d.admin).setTimeouts(60, 30n * DAY + 1n))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("maxTimeout", 30n * DAY + 1n, 60n, 30n * DAY);
    });
  });

  describe("setLimits", function () {
    it("sets input, output and callback gas limits", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.admin).setLimits(64, 32, 0))
        .to.emit(d.coordinator, "LimitsUpdated")
        .withArgs(60n, 7n * DAY, 64n, 32n, 0n);
      expect(await d.coordinator.limits()).to.deep.equal([64n, 32n, 0n, 100n * E18]);
      const recorder = await ethers.deployContract("RecordingConsumer");
      await expect(
        recorder.request(
          await d.coordinator.getAddress(),
          requestParams({ modelId: d.modelId, input: INPUT_64 + "00" }),
        ),
      )
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInputTooLarge")
        .withArgs(65n, 64n);
      await expect(
        recorder.request(
          await d.coordinator.getAddress(),
          requestParams({ modelId: d.modelId, input: INPUT_64, callbackGasLimit: 1 }),
        ),
      )
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorCallbackGasTooHigh")
        .withArgs(1n, 0n);
      const { request } = await openRequest(d, { storeOutput: true });
      await expect(fulfilTee(d, request, "0x" + "00".repeat(33)))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorOutputTooLarge")
        .withArgs(33n, 32n);
    });

    it("rejects out-of-range limits", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const a = d.coordinator.connect(d.admin);
      await expect(a.setLimits(0, 1, 0))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("maxInputBytes", 0n, 1n, 65_536n);
      await expect(a.setLimits(65_537, 1, 0))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("maxInputBytes", 65_537n, 1n, 65_536n);
      await expect(a.setLimits(1, 0, 0))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("maxOutputBytes", 0n, 1n, 65_536n);
      await expect(a.setLimits(1, 65_537, 0))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("maxOutputBytes", 65_537n, 1n, 65_536n);
      await expect(a.setLimits(1, 1, 5_000_001))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("maxCallbackGas", 5_000_001n, 0n, 5_000_000n);
      await expect(a.setLimits(65_536, 65_536, 5_000_000)).to.emit(d.coordinator, "LimitsUpdated");
    });
  });

  describe("setMissedDeadlinePenalty", function () {
    it("sets and bounds the penalty", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const max96 = 2n ** 96n - 1n;
      await expect(d.coordinator.connect(d.admin).setMissedDeadlinePenalty(7n))
        .to.emit(d.coordinator, "MissedDeadlinePenaltyUpdated")
        .withArgs(7n);
      expect((await d.coordinator.limits())[3]).to.equal(7n);
      await expect(d.coordinator.connect(d.admin).setMissedDeadlinePenalty(max96 + 1n))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorParameterOutOfRange")
        .withArgs("missedDeadlinePenalty", max96 + 1n, 0n, max96);
      // The new penalty applies at refund time.
      const { request } = await openRequest(d, { timeout: 60, operator: d.operator.address });
      await d.coordinator.connect(d.operator).acceptRequest(request);
      await networkHelpers.time.increaseTo(request.deadline + 1n);
      await expect(d.coordinator.refund(request))
        .to.emit(d.staking, "Slashed")
        .withArgs(d.operator.address, 1, d.requester.address, 7n, 3n, 4n, false);
    });
  });
});
