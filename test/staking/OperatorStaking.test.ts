import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";

import { E18, MIN_STAKE, UNBONDING, deployVerity, openRequest } from "../helpers/fixture.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

const MAX_UINT96 = 2n ** 96n - 1n;
const HOUR = 3_600n;
const MAX_UNBONDING = 90n * 24n * HOUR;
const SHARE_BPS = 5_000n;
const REASON = 3; // SLASH_FRAUD
const DEFAULT_ADMIN_ROLE = ZeroHash;

async function verityFixture() {
  return deployVerity(conn);
}

/** A standalone staking contract with an EOA holding SLASHER_ROLE, to call `slash` directly. */
async function stakingFixture() {
  const [admin, treasury, slasher, operator, operator2, beneficiary, other] = await ethers.getSigners();
  const token = await ethers.deployContract("VerityTestToken", [admin.address, false]);
  const staking = await ethers.deployContract("OperatorStaking", [
    await token.getAddress(),
    admin.address,
    treasury.address,
    MIN_STAKE,
    UNBONDING,
    SHARE_BPS,
  ]);
  const SLASHER_ROLE = await staking.SLASHER_ROLE();
  await staking.grantRole(SLASHER_ROLE, slasher.address);
  for (const s of [operator, operator2]) {
    await token.mint(s.address, 10_000n * E18);
    await token.connect(s).approve(await staking.getAddress(), 2n ** 256n - 1n);
  }
  return { token, staking, admin, treasury, slasher, operator, operator2, beneficiary, other, SLASHER_ROLE };
}

describe("OperatorStaking", function () {
  describe("constructor", function () {
    it("stores the parameters and emits their events", async function () {
      const [admin, treasury] = await ethers.getSigners();
      const token = await ethers.deployContract("VerityTestToken", [admin.address, false]);
      const factory = await ethers.getContractFactory("OperatorStaking");
      const staking = await factory.deploy(
        await token.getAddress(),
        admin.address,
        treasury.address,
        5n,
        2n * HOUR,
        1_234n,
      );
      const tx = staking.deploymentTransaction()!;
      await expect(tx).to.emit(staking, "TreasuryUpdated").withArgs(treasury.address);
      await expect(tx).to.emit(staking, "MinStakeUpdated").withArgs(5n);
      await expect(tx)
        .to.emit(staking, "UnbondingPeriodUpdated")
        .withArgs(2n * HOUR);
      await expect(tx).to.emit(staking, "BeneficiaryShareUpdated").withArgs(1_234n);
      expect(await staking.token()).to.equal(await token.getAddress());
      expect(await staking.treasury()).to.equal(treasury.address);
      expect(await staking.minStake()).to.equal(5n);
      expect(await staking.unbondingPeriod()).to.equal(2n * HOUR);
      expect(await staking.beneficiaryShareBps()).to.equal(1_234n);
      expect(await staking.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(true);
      expect(await staking.defaultAdminDelay()).to.equal(86_400n);
    });

    it("rejects a zero token / treasury and out-of-range parameters", async function () {
      const [admin, treasury] = await ethers.getSigners();
      const token = await ethers.deployContract("VerityTestToken", [admin.address, false]);
      const t = await token.getAddress();
      const factory = await ethers.getContractFactory("OperatorStaking");
      await expect(factory.deploy(ZeroAddress, admin.address, treasury.address, 1n, HOUR, 0n))
        .to.be.revertedWithCustomError(factory, "StakingInvalidAddress")
        .withArgs("token");
      await expect(factory.deploy(t, admin.address, ZeroAddress, 1n, HOUR, 0n))
        .to.be.revertedWithCustomError(factory, "StakingInvalidAddress")
        .withArgs("treasury");
      await expect(factory.deploy(t, admin.address, treasury.address, 0n, HOUR, 0n))
        .to.be.revertedWithCustomError(factory, "StakingParameterOutOfRange")
        .withArgs("minStake", 0n, 1n, MAX_UINT96);
      await expect(factory.deploy(t, admin.address, treasury.address, 1n, HOUR - 1n, 0n))
        .to.be.revertedWithCustomError(factory, "StakingParameterOutOfRange")
        .withArgs("unbondingPeriod", HOUR - 1n, HOUR, MAX_UNBONDING);
      await expect(factory.deploy(t, admin.address, treasury.address, 1n, HOUR, 10_001n))
        .to.be.revertedWithCustomError(factory, "StakingParameterOutOfRange")
        .withArgs("beneficiaryShareBps", 10_001n, 0n, 10_000n);
    });
  });

  describe("stake", function () {
    it("moves the tokens in and adds to the active stake", async function () {
      const { token, staking, operator } = await networkHelpers.loadFixture(stakingFixture);
      await expect(staking.connect(operator).stake(600n * E18))
        .to.emit(staking, "Staked")
        .withArgs(operator.address, 600n * E18, 600n * E18);
      await expect(staking.connect(operator).stake(400n * E18)).to.changeTokenBalances(
        ethers,
        token,
        [operator, staking],
        [-400n * E18, 400n * E18],
      );
      const s = await staking.stakeOf(operator.address);
      expect([s.staked, s.unbonding, s.unbondingEnd, s.jailed]).to.deep.equal([MIN_STAKE, 0n, 0n, false]);
    });

    it("reverts StakingZeroAmount, StakingAmountTooLarge and StakingTransferShortfall", async function () {
      const { staking, operator } = await networkHelpers.loadFixture(stakingFixture);
      await expect(staking.connect(operator).stake(0n)).to.be.revertedWithCustomError(staking, "StakingZeroAmount");
      await expect(staking.connect(operator).stake(MAX_UINT96 + 1n))
        .to.be.revertedWithCustomError(staking, "StakingAmountTooLarge")
        .withArgs(MAX_UINT96 + 1n);
      await staking.connect(operator).stake(1n);
      await expect(staking.connect(operator).stake(MAX_UINT96))
        .to.be.revertedWithCustomError(staking, "StakingAmountTooLarge")
        .withArgs(MAX_UINT96);
      // Active plus unbonding stake is bounded too, so unbonding can never overflow.
      await staking.connect(operator).requestUnstake(1n);
      await expect(staking.connect(operator).stake(MAX_UINT96))
        .to.be.revertedWithCustomError(staking, "StakingAmountTooLarge")
        .withArgs(MAX_UINT96);

      const [admin, treasury] = await ethers.getSigners();
      const fot = await ethers.deployContract("FeeOnTransferToken");
      const fotStaking = await ethers.deployContract("OperatorStaking", [
        await fot.getAddress(),
        admin.address,
        treasury.address,
        1n,
        HOUR,
        0n,
      ]);
      await fot.mint(operator.address, 10_000n);
      await fot.connect(operator).approve(await fotStaking.getAddress(), 10_000n);
      await expect(fotStaking.connect(operator).stake(1_000n))
        .to.be.revertedWithCustomError(fotStaking, "StakingTransferShortfall")
        .withArgs(1_000n, 990n);
    });
  });

  describe("unbonding", function () {
    it("requestUnstake moves stake to unbonding and restarts the clock", async function () {
      const { staking, operator } = await networkHelpers.loadFixture(stakingFixture);
      await staking.connect(operator).stake(MIN_STAKE);
      expect(await staking.isEligible(operator.address)).to.equal(true);

      let t = BigInt(await networkHelpers.time.latest()) + 10n;
      await networkHelpers.time.setNextBlockTimestamp(t);
      await expect(staking.connect(operator).requestUnstake(100n * E18))
        .to.emit(staking, "UnstakeRequested")
        .withArgs(operator.address, 100n * E18, 100n * E18, t + UNBONDING);
      let s = await staking.stakeOf(operator.address);
      expect([s.staked, s.unbonding, s.unbondingEnd]).to.deep.equal([
        MIN_STAKE - 100n * E18,
        100n * E18,
        t + UNBONDING,
      ]);
      // Below the minimum: no longer eligible.
      expect(await staking.isEligible(operator.address)).to.equal(false);

      t += 1_000n;
      await networkHelpers.time.setNextBlockTimestamp(t);
      await expect(staking.connect(operator).requestUnstake(50n * E18))
        .to.emit(staking, "UnstakeRequested")
        .withArgs(operator.address, 50n * E18, 150n * E18, t + UNBONDING);
      s = await staking.stakeOf(operator.address);
      expect([s.staked, s.unbonding, s.unbondingEnd]).to.deep.equal([
        MIN_STAKE - 150n * E18,
        150n * E18,
        t + UNBONDING,
      ]);
    });

    it("reverts StakingZeroAmount and StakingInsufficientStake", async function () {
      const { staking, operator } = await networkHelpers.loadFixture(stakingFixture);
      await expect(staking.connect(operator).requestUnstake(0n)).to.be.revertedWithCustomError(
        staking,
        "StakingZeroAmount",
      );
      await expect(staking.connect(operator).requestUnstake(1n))
        .to.be.revertedWithCustomError(staking, "StakingInsufficientStake")
        .withArgs(operator.address, 0n, 1n);
      await staking.connect(operator).stake(10n);
      await expect(staking.connect(operator).requestUnstake(11n))
        .to.be.revertedWithCustomError(staking, "StakingInsufficientStake")
        .withArgs(operator.address, 10n, 11n);
    });

    it("withdrawUnstaked pays out exactly at the end of the period, not before", async function () {
      const { token, staking, operator } = await networkHelpers.loadFixture(stakingFixture);
      await expect(staking.connect(operator).withdrawUnstaked())
        .to.be.revertedWithCustomError(staking, "StakingNothingUnbonding")
        .withArgs(operator.address);
      await staking.connect(operator).stake(MIN_STAKE);
      await staking.connect(operator).requestUnstake(MIN_STAKE);
      const end = (await staking.stakeOf(operator.address)).unbondingEnd;

      await networkHelpers.time.setNextBlockTimestamp(end - 1n);
      await expect(staking.connect(operator).withdrawUnstaked())
        .to.be.revertedWithCustomError(staking, "StakingStillUnbonding")
        .withArgs(operator.address, end);

      await networkHelpers.time.setNextBlockTimestamp(end);
      const tx = staking.connect(operator).withdrawUnstaked();
      await expect(tx).to.emit(staking, "UnstakeWithdrawn").withArgs(operator.address, MIN_STAKE);
      await expect(tx).to.changeTokenBalances(ethers, token, [operator, staking], [MIN_STAKE, -MIN_STAKE]);
      const s = await staking.stakeOf(operator.address);
      expect([s.staked, s.unbonding, s.unbondingEnd]).to.deep.equal([0n, 0n, 0n]);
      await expect(staking.connect(operator).withdrawUnstaked())
        .to.be.revertedWithCustomError(staking, "StakingNothingUnbonding")
        .withArgs(operator.address);
    });
  });

  describe("slash", function () {
    it("requires SLASHER_ROLE", async function () {
      const { staking, operator, other, SLASHER_ROLE } = await networkHelpers.loadFixture(stakingFixture);
      await expect(staking.connect(other).slash(operator.address, 1n, REASON, other.address, false))
        .to.be.revertedWithCustomError(staking, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, SLASHER_ROLE);
    });

    it("takes active stake first, then unbonding, splits beneficiary/treasury exactly and pays claims", async function () {
      const { token, staking, slasher, treasury, operator, beneficiary } =
        await networkHelpers.loadFixture(stakingFixture);
      await staking.connect(operator).stake(MIN_STAKE);
      await staking.connect(operator).requestUnstake(400n * E18); // staked 600, unbonding 400

      // 333 from the active stake only.
      await expect(
        staking.connect(slasher).slash(operator.address, 333n * E18 + 1n, REASON, beneficiary.address, false),
      )
        .to.emit(staking, "Slashed")
        .withArgs(
          operator.address,
          REASON,
          beneficiary.address,
          333n * E18 + 1n,
          (333n * E18 + 1n) / 2n,
          333n * E18 + 1n - (333n * E18 + 1n) / 2n,
          false,
        );
      let s = await staking.stakeOf(operator.address);
      expect([s.staked, s.unbonding]).to.deep.equal([267n * E18 - 1n, 400n * E18]);

      // 300: the rest of the active stake, then 33 from unbonding.
      expect(
        await staking
          .connect(slasher)
          .slash.staticCall(operator.address, 300n * E18, REASON, beneficiary.address, false),
      ).to.equal(300n * E18);
      await staking.connect(slasher).slash(operator.address, 300n * E18, REASON, beneficiary.address, false);
      s = await staking.stakeOf(operator.address);
      expect([s.staked, s.unbonding]).to.deep.equal([0n, 367n * E18 - 1n]);

      // More than what is left: capped, everything to the treasury when there is no beneficiary.
      await expect(staking.connect(slasher).slash(operator.address, 10_000n * E18, REASON, ZeroAddress, true))
        .to.emit(staking, "Slashed")
        .withArgs(operator.address, REASON, ZeroAddress, 367n * E18 - 1n, 0n, 367n * E18 - 1n, true);
      s = await staking.stakeOf(operator.address);
      expect([s.staked, s.unbonding, s.jailed]).to.deep.equal([0n, 0n, true]);

      const toBeneficiary = (333n * E18 + 1n) / 2n + 150n * E18;
      const toTreasury = MIN_STAKE - toBeneficiary;
      expect(await staking.claimableOf(beneficiary.address)).to.equal(toBeneficiary);
      expect(await staking.claimableOf(treasury.address)).to.equal(toTreasury);
      expect(await token.balanceOf(await staking.getAddress())).to.equal(MIN_STAKE);

      await expect(staking.connect(beneficiary).claimSlashed(beneficiary.address))
        .to.emit(staking, "SlashedFundsClaimed")
        .withArgs(beneficiary.address, toBeneficiary);
      await expect(staking.connect(treasury).claimSlashed(treasury.address)).to.changeTokenBalances(
        ethers,
        token,
        [treasury, staking],
        [toTreasury, -toTreasury],
      );
      expect(await token.balanceOf(await staking.getAddress())).to.equal(0n);
      expect(await token.balanceOf(beneficiary.address)).to.equal(toBeneficiary);
      await expect(staking.connect(beneficiary).claimSlashed(beneficiary.address))
        .to.be.revertedWithCustomError(staking, "StakingNothingToClaim")
        .withArgs(beneficiary.address);
    });

    it("slashing an operator with nothing staked takes nothing", async function () {
      const { staking, slasher, operator, beneficiary, treasury } = await networkHelpers.loadFixture(stakingFixture);
      await expect(staking.connect(slasher).slash(operator.address, 5n, REASON, beneficiary.address, false))
        .to.emit(staking, "Slashed")
        .withArgs(operator.address, REASON, beneficiary.address, 0n, 0n, 0n, false);
      expect(await staking.claimableOf(treasury.address)).to.equal(0n);
      await expect(staking.connect(treasury).claimSlashed(treasury.address))
        .to.be.revertedWithCustomError(staking, "StakingNothingToClaim")
        .withArgs(treasury.address);
    });

    it("unstake-then-run: a slash during unbonding still takes it and withdraw gets only the rest", async function () {
      const { token, staking, slasher, operator, beneficiary, treasury } =
        await networkHelpers.loadFixture(stakingFixture);
      await staking.connect(operator).stake(MIN_STAKE);
      await staking.connect(operator).requestUnstake(MIN_STAKE);
      const end = (await staking.stakeOf(operator.address)).unbondingEnd;
      await networkHelpers.time.increaseTo(end - 10n);
      await staking.connect(slasher).slash(operator.address, 300n * E18, REASON, beneficiary.address, false);
      let s = await staking.stakeOf(operator.address);
      expect([s.staked, s.unbonding, s.unbondingEnd]).to.deep.equal([0n, 700n * E18, end]);

      await networkHelpers.time.increaseTo(end);
      const tx = staking.connect(operator).withdrawUnstaked();
      await expect(tx)
        .to.emit(staking, "UnstakeWithdrawn")
        .withArgs(operator.address, 700n * E18);
      await expect(tx).to.changeTokenBalances(ethers, token, [operator, staking], [700n * E18, -700n * E18]);
      s = await staking.stakeOf(operator.address);
      expect([s.staked, s.unbonding]).to.deep.equal([0n, 0n]);
      expect(await staking.claimableOf(beneficiary.address)).to.equal(150n * E18);
      expect(await staking.claimableOf(treasury.address)).to.equal(150n * E18);
      expect(await token.balanceOf(await staking.getAddress())).to.equal(300n * E18);
    });
  });

  describe("eligibility and jail", function () {
    it("tracks the minimum stake and the jail flag", async function () {
      const { staking, admin, operator } = await networkHelpers.loadFixture(stakingFixture);
      expect(await staking.isEligible(operator.address)).to.equal(false);
      await staking.connect(operator).stake(MIN_STAKE - 1n);
      expect(await staking.isEligible(operator.address)).to.equal(false);
      await staking.connect(operator).stake(1n);
      expect(await staking.isEligible(operator.address)).to.equal(true);

      await expect(staking.connect(admin).setJailed(operator.address, true))
        .to.emit(staking, "JailUpdated")
        .withArgs(operator.address, true);
      expect((await staking.stakeOf(operator.address)).jailed).to.equal(true);
      expect(await staking.isEligible(operator.address)).to.equal(false);
      await expect(staking.connect(admin).setJailed(operator.address, false))
        .to.emit(staking, "JailUpdated")
        .withArgs(operator.address, false);
      expect(await staking.isEligible(operator.address)).to.equal(true);

      // A higher minimum makes the same stake ineligible.
      await staking.connect(admin).setMinStake(MIN_STAKE + 1n);
      expect(await staking.isEligible(operator.address)).to.equal(false);
    });
  });

  describe("governance", function () {
    it("setters update the value and emit their events", async function () {
      const { staking, admin, other } = await networkHelpers.loadFixture(stakingFixture);
      await expect(staking.connect(admin).setMinStake(MAX_UINT96))
        .to.emit(staking, "MinStakeUpdated")
        .withArgs(MAX_UINT96);
      expect(await staking.minStake()).to.equal(MAX_UINT96);
      await expect(staking.connect(admin).setUnbondingPeriod(MAX_UNBONDING))
        .to.emit(staking, "UnbondingPeriodUpdated")
        .withArgs(MAX_UNBONDING);
      expect(await staking.unbondingPeriod()).to.equal(MAX_UNBONDING);
      await expect(staking.connect(admin).setUnbondingPeriod(HOUR))
        .to.emit(staking, "UnbondingPeriodUpdated")
        .withArgs(HOUR);
      await expect(staking.connect(admin).setBeneficiaryShare(10_000n))
        .to.emit(staking, "BeneficiaryShareUpdated")
        .withArgs(10_000n);
      expect(await staking.beneficiaryShareBps()).to.equal(10_000n);
      await expect(staking.connect(admin).setBeneficiaryShare(0n))
        .to.emit(staking, "BeneficiaryShareUpdated")
        .withArgs(0n);
      await expect(staking.connect(admin).setTreasury(other.address))
        .to.emit(staking, "TreasuryUpdated")
        .withArgs(other.address);
      expect(await staking.treasury()).to.equal(other.address);
    });

    it("reverts StakingParameterOutOfRange / StakingInvalidAddress with exact bounds", async function () {
      const { staking, admin } = await networkHelpers.loadFixture(stakingFixture);
      await expect(staking.connect(admin).setMinStake(0n))
        .to.be.revertedWithCustomError(staking, "StakingParameterOutOfRange")
        .withArgs("minStake", 0n, 1n, MAX_UINT96);
      await expect(staking.connect(admin).setMinStake(MAX_UINT96 + 1n))
        .to.be.revertedWithCustomError(staking, "StakingParameterOutOfRange")
        .withArgs("minStake", MAX_UINT96 + 1n, 1n, MAX_UINT96);
      await expect(staking.connect(admin).setUnbondingPeriod(HOUR - 1n))
        .to.be.revertedWithCustomError(staking, "StakingParameterOutOfRange")
        .withArgs("unbondingPeriod", HOUR - 1n, HOUR, MAX_UNBONDING);
      await expect(staking.connect(admin).setUnbondingPeriod(MAX_UNBONDING + 1n))
        .to.be.revertedWithCustomError(staking, "StakingParameterOutOfRange")
        .withArgs("unbondingPeriod", MAX_UNBONDING + 1n, HOUR, MAX_UNBONDING);
      await expect(staking.connect(admin).setBeneficiaryShare(10_001n))
        .to.be.revertedWithCustomError(staking, "StakingParameterOutOfRange")
        .withArgs("beneficiaryShareBps", 10_001n, 0n, 10_000n);
      await expect(staking.connect(admin).setTreasury(ZeroAddress))
        .to.be.revertedWithCustomError(staking, "StakingInvalidAddress")
        .withArgs("treasury");
    });

    it("every admin function reverts AccessControlUnauthorizedAccount for others", async function () {
      const { staking, operator, other, slasher } = await networkHelpers.loadFixture(stakingFixture);
      for (const who of [other, slasher, operator]) {
        const calls = [
          staking.connect(who).setJailed(operator.address, true),
          staking.connect(who).setMinStake(1n),
          staking.connect(who).setUnbondingPeriod(HOUR),
          staking.connect(who).setBeneficiaryShare(1n),
          staking.connect(who).setTreasury(other.address),
        ];
        for (const call of calls) {
          await expect(call)
            .to.be.revertedWithCustomError(staking, "AccessControlUnauthorizedAccount")
            .withArgs(who.address, DEFAULT_ADMIN_ROLE);
        }
      }
    });
  });

  describe("with the coordinator", function () {
    it("an operator that accepts a job cannot unstake the locked penalty, and is slashed when it misses the deadline", async function () {
      const d = await networkHelpers.loadFixture(verityFixture);
      const operator = await d.operator.getAddress();
      const requester = await d.requester.getAddress();
      const treasury = await d.treasury.getAddress();
      const { request, requestId } = await openRequest(d, { operator, timeout: 600 });
      const penalty = 100n * E18;
      await expect(d.coordinator.connect(d.operator).acceptRequest(request))
        .to.emit(d.staking, "StakeLocked")
        .withArgs(operator, await d.coordinator.getAddress(), penalty, penalty);
      expect(await d.staking.lockedOf(operator)).to.equal(penalty);

      // The reserve cannot leave: only the free part can be unstaked.
      await expect(d.staking.connect(d.operator).requestUnstake(MIN_STAKE))
        .to.be.revertedWithCustomError(d.staking, "StakingInsufficientStake")
        .withArgs(operator, MIN_STAKE - penalty, MIN_STAKE);
      await d.staking.connect(d.operator).requestUnstake(MIN_STAKE - penalty);
      expect(await d.staking.isEligible(operator)).to.equal(false);
      const end = (await d.staking.stakeOf(operator)).unbondingEnd;
      expect(end).to.be.greaterThan(request.deadline);

      await networkHelpers.time.increaseTo(request.deadline + 1n);
      await expect(d.coordinator.connect(d.other).refund(request))
        .to.emit(d.staking, "Slashed")
        .withArgs(operator, 1, requester, penalty, penalty / 2n, penalty / 2n, false);
      expect(await d.staking.lockedOf(operator)).to.equal(0n);
      expect((await d.staking.stakeOf(operator)).staked).to.equal(0n);
      await expect(d.coordinator.connect(d.other).refund(request))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorRequestNotOpen")
        .withArgs(requestId, 3);

      await networkHelpers.time.increaseTo(end);
      await expect(d.staking.connect(d.operator).withdrawUnstaked())
        .to.emit(d.staking, "UnstakeWithdrawn")
        .withArgs(operator, MIN_STAKE - penalty);
      await expect(d.staking.connect(d.requester).claimSlashed(requester)).to.changeTokenBalances(
        ethers,
        d.token,
        [d.requester],
        [penalty / 2n],
      );
      await expect(d.staking.connect(d.treasury).claimSlashed(treasury))
        .to.emit(d.staking, "SlashedFundsClaimed")
        .withArgs(treasury, penalty / 2n);
      expect(await d.token.balanceOf(await d.staking.getAddress())).to.equal(MIN_STAKE); // operator2's stake only
    });
  });
});
