import { expect } from "chai";
import { MaxUint256, Signature, ZeroAddress } from "ethers";
import { network } from "hardhat";

import { E18, INPUT_64, OUTPUT, PRICE, PROTOCOL_FEE_BPS, ROYALTY_BPS, openRequest } from "../helpers/fixture.ts";
import { deployEnv, fulfilTee, split } from "../helpers/coordinator.ts";
import { requestParams } from "../../sdk/request.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

async function deploy() {
  return deployEnv(conn);
}

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

describe("InferenceCoordinator: balances", function () {
  describe("deposit", function () {
    it("credits the caller and pulls the tokens", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const c = await d.coordinator.getAddress();
      await expect(d.coordinator.connect(d.requester).deposit(25n * E18))
        .to.emit(d.coordinator, "Deposited")
        .withArgs(d.requester.address, 25n * E18, 25n * E18);
      await expect(d.coordinator.connect(d.requester).deposit(5n * E18))
        .to.emit(d.coordinator, "Deposited")
        .withArgs(d.requester.address, 5n * E18, 30n * E18);
      expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(30n * E18);
      expect(await d.token.balanceOf(c)).to.equal(30n * E18);
      expect(await d.token.balanceOf(d.requester.address)).to.equal(1_000_000n * E18 - 30n * E18);
    });

    it("rejects a zero amount", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.requester).deposit(0)).to.be.revertedWithCustomError(
        d.coordinator,
        "CoordinatorZeroAmount",
      );
    });

    it("rejects a balance above uint128", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const amount = 2n ** 128n;
      await expect(d.coordinator.connect(d.requester).deposit(amount))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorAmountTooLarge")
        .withArgs(amount);
    });

    it("fails without allowance (ERC20InsufficientAllowance)", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await expect(d.coordinator.connect(d.other).deposit(E18))
        .to.be.revertedWithCustomError(d.token, "ERC20InsufficientAllowance")
        .withArgs(await d.coordinator.getAddress(), 0n, E18);
    });
  });

  describe("depositWithPermit", function () {
    async function permit(d: Awaited<ReturnType<typeof deploy>>, value: bigint, deadline: bigint) {
      const owner = d.other;
      const domain = {
        name: await d.token.name(),
        version: "1",
        chainId: d.chainId,
        verifyingContract: await d.token.getAddress(),
      };
      const message = {
        owner: owner.address,
        spender: await d.coordinator.getAddress(),
        value,
        nonce: await d.token.nonces(owner.address),
        deadline,
      };
      return Signature.from(await owner.signTypedData(domain, PERMIT_TYPES, message));
    }

    it("deposits with a signed EIP-2612 permit and no prior allowance", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const c = await d.coordinator.getAddress();
      const amount = 40n * E18;
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const sig = await permit(d, amount, deadline);
      expect(await d.token.allowance(d.other.address, c)).to.equal(0n);
      const tx = d.coordinator.connect(d.other).depositWithPermit(amount, deadline, sig.v, sig.r, sig.s);
      await expect(tx).to.emit(d.coordinator, "Deposited").withArgs(d.other.address, amount, amount);
      await expect(tx).to.changeTokenBalances(ethers, d.token, [d.other, d.coordinator], [-amount, amount]);
      expect(await d.coordinator.balanceOf(d.other.address)).to.equal(amount);
      expect(await d.token.allowance(d.other.address, c)).to.equal(0n);
      expect(await d.token.nonces(d.other.address)).to.equal(1n);
    });

    it("still deposits when the permit was front-run", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const c = await d.coordinator.getAddress();
      const amount = 7n * E18;
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const sig = await permit(d, amount, deadline);
      // An observer submits the permit first: the allowance is set, the signature's nonce is used.
      await d.token.connect(d.requester).permit(d.other.address, c, amount, deadline, sig.v, sig.r, sig.s);
      expect(await d.token.allowance(d.other.address, c)).to.equal(amount);
      await expect(d.coordinator.connect(d.other).depositWithPermit(amount, deadline, sig.v, sig.r, sig.s))
        .to.emit(d.coordinator, "Deposited")
        .withArgs(d.other.address, amount, amount);
      expect(await d.coordinator.balanceOf(d.other.address)).to.equal(amount);
      expect(await d.token.balanceOf(c)).to.equal(amount);
    });

    it("fails with a bad permit and no allowance", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const amount = 7n * E18;
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const sig = await permit(d, amount - 1n, deadline); // signed for another value
      await expect(d.coordinator.connect(d.other).depositWithPermit(amount, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(d.token, "ERC20InsufficientAllowance")
        .withArgs(await d.coordinator.getAddress(), 0n, amount);
    });

    it("rejects zero and pause", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const sig = await permit(d, 0n, deadline);
      await expect(
        d.coordinator.connect(d.other).depositWithPermit(0, deadline, sig.v, sig.r, sig.s),
      ).to.be.revertedWithCustomError(d.coordinator, "CoordinatorZeroAmount");
      await d.coordinator.connect(d.admin).setPaused(true);
      await expect(
        d.coordinator.connect(d.other).depositWithPermit(1, deadline, sig.v, sig.r, sig.s),
      ).to.be.revertedWithCustomError(d.coordinator, "CoordinatorPaused");
    });
  });

  describe("withdraw", function () {
    it("moves internal balance to any address", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await d.coordinator.connect(d.requester).deposit(10n * E18);
      const tx = d.coordinator.connect(d.requester).withdraw(4n * E18, d.other.address);
      await expect(tx)
        .to.emit(d.coordinator, "Withdrawn")
        .withArgs(d.requester.address, d.other.address, 4n * E18, 6n * E18);
      await expect(tx).to.changeTokenBalances(
        ethers,
        d.token,
        [d.coordinator, d.other, d.requester],
        [-4n * E18, 4n * E18, 0n],
      );
      expect(await d.coordinator.balanceOf(d.requester.address)).to.equal(6n * E18);
    });

    it("reverts on zero, zero address and more than the balance", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      await d.coordinator.connect(d.requester).deposit(10n * E18);
      await expect(d.coordinator.connect(d.requester).withdraw(0, d.requester.address)).to.be.revertedWithCustomError(
        d.coordinator,
        "CoordinatorZeroAmount",
      );
      await expect(d.coordinator.connect(d.requester).withdraw(1, ZeroAddress))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInvalidAddress")
        .withArgs("to");
      await expect(d.coordinator.connect(d.requester).withdraw(10n * E18 + 1n, d.requester.address))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInsufficientBalance")
        .withArgs(d.requester.address, 10n * E18, 10n * E18 + 1n);
      await expect(d.coordinator.connect(d.other).withdraw(1, d.other.address))
        .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInsufficientBalance")
        .withArgs(d.other.address, 0n, 1n);
    });
  });

  describe("withdrawProtocolFees", function () {
    it("pays the accrued fees to the treasury and resets them", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const tip = 3n * E18;
      const { request } = await openRequest(d, { tip });
      const s = split(PRICE, tip, ROYALTY_BPS, PROTOCOL_FEE_BPS);
      await fulfilTee(d, request, OUTPUT);
      expect(await d.coordinator.protocolFeesAccrued()).to.equal(s.protocolFee);
      const tx = d.coordinator.connect(d.other).withdrawProtocolFees();
      await expect(tx).to.emit(d.coordinator, "ProtocolFeesWithdrawn").withArgs(d.treasury.address, s.protocolFee);
      await expect(tx).to.changeTokenBalances(
        ethers,
        d.token,
        [d.coordinator, d.treasury],
        [-s.protocolFee, s.protocolFee],
      );
      expect(await d.coordinator.protocolFeesAccrued()).to.equal(0n);
      // What stays in the coordinator is exactly the internal balances of operator and model owner.
      expect(await d.token.balanceOf(await d.coordinator.getAddress())).to.equal(
        (await d.coordinator.balanceOf(d.operator.address)) + (await d.coordinator.balanceOf(d.modelOwner.address)),
      );
      await expect(d.coordinator.withdrawProtocolFees()).to.be.revertedWithCustomError(
        d.coordinator,
        "CoordinatorNothingToWithdraw",
      );
    });

    it("follows a treasury change", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const { request } = await openRequest(d);
      await fulfilTee(d, request, OUTPUT);
      await d.coordinator.connect(d.admin).setTreasury(d.other.address);
      const pf = request.protocolFee;
      await expect(d.coordinator.withdrawProtocolFees()).to.changeTokenBalances(
        ethers,
        d.token,
        [d.other, d.treasury],
        [pf, 0n],
      );
    });
  });

  describe("fee-on-transfer token", function () {
    async function fotStack() {
      const d = await networkHelpers.loadFixture(deploy);
      const fot = await ethers.deployContract("FeeOnTransferToken");
      const coordinator = await ethers.deployContract("InferenceCoordinator", [
        await fot.getAddress(),
        await d.registry.getAddress(),
        await d.staking.getAddress(),
        d.admin.address,
        d.treasury.address,
        PROTOCOL_FEE_BPS,
      ]);
      const verifier = await ethers.deployContract("AcceptAllVerifier", [1]);
      await coordinator.connect(d.admin).setVerifier(1, await verifier.getAddress());
      await fot.mint(d.requester.address, 1_000n * E18);
      await fot.connect(d.requester).approve(await coordinator.getAddress(), MaxUint256);
      return { d, fot, coordinator };
    }

    it("rejects a deposit that delivers less than the amount", async function () {
      const { d, fot, coordinator } = await fotStack();
      await expect(coordinator.connect(d.requester).deposit(100n * E18))
        .to.be.revertedWithCustomError(coordinator, "CoordinatorTransferShortfall")
        .withArgs(100n * E18, 99n * E18);
      expect(await fot.balanceOf(await coordinator.getAddress())).to.equal(0n);
      expect(await coordinator.balanceOf(d.requester.address)).to.equal(0n);
    });

    it("rejects a request whose shortfall pull delivers less", async function () {
      const { d, coordinator } = await fotStack();
      await expect(
        coordinator.connect(d.requester).requestInference(requestParams({ modelId: d.modelId, input: INPUT_64 })),
      )
        .to.be.revertedWithCustomError(coordinator, "CoordinatorTransferShortfall")
        .withArgs(PRICE, (PRICE * 99n) / 100n);
      expect(await coordinator.nonceOf(d.requester.address)).to.equal(0n);
    });
  });

  describe("constructor", function () {
    it("rejects zero addresses", async function () {
      const d = await networkHelpers.loadFixture(deploy);
      const factory = await ethers.getContractFactory("InferenceCoordinator");
      const t = await d.token.getAddress();
      const r = await d.registry.getAddress();
      const s = await d.staking.getAddress();
      await expect(factory.deploy(ZeroAddress, r, s, d.admin.address, d.treasury.address, 0))
        .to.be.revertedWithCustomError(factory, "CoordinatorInvalidAddress")
        .withArgs("token");
      await expect(factory.deploy(t, ZeroAddress, s, d.admin.address, d.treasury.address, 0))
        .to.be.revertedWithCustomError(factory, "CoordinatorInvalidAddress")
        .withArgs("registry");
      await expect(factory.deploy(t, r, ZeroAddress, d.admin.address, d.treasury.address, 0))
        .to.be.revertedWithCustomError(factory, "CoordinatorInvalidAddress")
        .withArgs("staking");
      await expect(factory.deploy(t, r, s, d.admin.address, ZeroAddress, 0))
        .to.be.revertedWithCustomError(factory, "CoordinatorInvalidAddress")
        .withArgs("treasury");
      await expect(factory.deploy(t, r, s, d.admin.address, d.treasury.address, 2_001))
        .to.be.revertedWithCustomError(factory, "CoordinatorParameterOutOfRange")
        .withArgs("protocolFeeBps", 2_001n, 0n, 2_000n);
    });
  });
});
