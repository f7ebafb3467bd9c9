import { expect } from "chai";
import { MaxUint256, Signature, ZeroAddress } from "ethers";
import { network } from "hardhat";

import { E18, INPUT_64, OUTPUT, PRICE, PROTOCOL_FEE_BPS, ROYALTY_BPS, openRequest } from "../helpers/fixture.ts";
import type { Env } from "../helpers/coordinator.ts";
import { deployEnv, eventsOf, fulfilTee, registerModelAs } from "../helpers/coordinator.ts";
import { requestParams, splitFee } from "@verity-ai/sdk";

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
      const s = splitFee(PRICE, tip, ROYALTY_BPS, PROTOCOL_FEE_BPS);
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
      // What stays in the coordinator is exactly the operator's balance and the model's royalties.
      expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(0n);
      expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(s.royalty);
      expect(await d.token.balanceOf(await d.coordinator.getAddress())).to.equal(
        (await d.coordinator.balanceOf(d.operator.address)) + s.royalty,
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

describe("InferenceCoordinator: claimRoyalties", function () {
  /** Opens and fulfils a request for `modelId` with `tip`; returns its royalty. */
  async function paidCall(d: Env, modelId: string, tip = 0n) {
    const { request } = await openRequest(d, { modelId, tip });
    await fulfilTee(d, request, OUTPUT);
    return request.royalty;
  }

  it("moves one model's royalties into the owner's balance, which the owner withdraws", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const r1 = await paidCall(d, d.modelId);
    const r2 = await paidCall(d, d.modelId, 5n * E18);
    expect(r1).to.equal((PRICE * ROYALTY_BPS) / 10_000n);
    expect(r2).to.equal(r1); // the royalty is on the price, not the tip
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(r1 + r2);
    const tokens = await d.token.balanceOf(await d.coordinator.getAddress());

    expect(await d.coordinator.connect(d.modelOwner).claimRoyalties.staticCall([d.modelId])).to.equal(r1 + r2);
    const tx = d.coordinator.connect(d.modelOwner).claimRoyalties([d.modelId]);
    await expect(tx)
      .to.emit(d.coordinator, "RoyaltiesClaimed")
      .withArgs(d.modelId, d.modelOwner.address, r1 + r2);
    await expect(tx).to.changeTokenBalances(ethers, d.token, [d.coordinator, d.modelOwner], [0n, 0n]);
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(0n);
    expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(r1 + r2);
    expect(await d.token.balanceOf(await d.coordinator.getAddress())).to.equal(tokens);

    const w = d.coordinator.connect(d.modelOwner).withdraw(r1 + r2, d.modelOwner.address);
    await expect(w)
      .to.emit(d.coordinator, "Withdrawn")
      .withArgs(d.modelOwner.address, d.modelOwner.address, r1 + r2, 0n);
    await expect(w).to.changeTokenBalances(ethers, d.token, [d.coordinator, d.modelOwner], [-(r1 + r2), r1 + r2]);
    expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(0n);
    // Nothing left: a second claim reverts.
    await expect(d.coordinator.connect(d.modelOwner).claimRoyalties([d.modelId])).to.be.revertedWithCustomError(
      d.coordinator,
      "CoordinatorNothingToWithdraw",
    );
  });

  it("claims several models at once: one event per model, the total credited once", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const second = await registerModelAs(d, d.modelOwner, { name: "iris-2", price: 7n * E18, royaltyBps: 3_500n });
    const a = await paidCall(d, d.modelId);
    const b1 = await paidCall(d, second);
    const b2 = await paidCall(d, second, 1n);
    expect(b1).to.equal((7n * E18 * 3_500n) / 10_000n);
    expect(await d.coordinator.royaltiesOf(second)).to.equal(b1 + b2);
    // The claim adds to what the owner already holds.
    await d.token.connect(d.modelOwner).approve(await d.coordinator.getAddress(), 3n * E18);
    await d.coordinator.connect(d.modelOwner).deposit(3n * E18);

    expect(await d.coordinator.connect(d.modelOwner).claimRoyalties.staticCall([d.modelId, second])).to.equal(
      a + b1 + b2,
    );
    const tx = await d.coordinator.connect(d.modelOwner).claimRoyalties([second, d.modelId]);
    await expect(tx)
      .to.emit(d.coordinator, "RoyaltiesClaimed")
      .withArgs(second, d.modelOwner.address, b1 + b2);
    await expect(tx).to.emit(d.coordinator, "RoyaltiesClaimed").withArgs(d.modelId, d.modelOwner.address, a);
    const events = eventsOf(d.coordinator, (await tx.wait())!, "RoyaltiesClaimed");
    expect(events.map((e) => [e.args.modelId, e.args.amount])).to.deep.equal([
      [second, b1 + b2],
      [d.modelId, a],
    ]);
    expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(3n * E18 + a + b1 + b2);
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(0n);
    expect(await d.coordinator.royaltiesOf(second)).to.equal(0n);
    await expect(
      d.coordinator.connect(d.modelOwner).withdraw(3n * E18 + a + b1 + b2, d.other.address),
    ).to.changeTokenBalances(
      ethers,
      d.token,
      [d.coordinator, d.other],
      [-(3n * E18 + a + b1 + b2), 3n * E18 + a + b1 + b2],
    );
  });

  it("skips a model with nothing accrued (no event) and a repeated id", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const idle = await registerModelAs(d, d.modelOwner, { name: "idle" });
    const free = await registerModelAs(d, d.modelOwner, { name: "free", royaltyBps: 0n });
    const a = await paidCall(d, d.modelId);
    expect(await paidCall(d, free)).to.equal(0n); // a royalty-free call accrues nothing
    expect(await d.coordinator.royaltiesOf(free)).to.equal(0n);

    const tx = await d.coordinator.connect(d.modelOwner).claimRoyalties([idle, d.modelId, free, d.modelId]);
    await expect(tx).to.emit(d.coordinator, "RoyaltiesClaimed").withArgs(d.modelId, d.modelOwner.address, a);
    const events = eventsOf(d.coordinator, (await tx.wait())!, "RoyaltiesClaimed");
    expect(events).to.have.length(1);
    expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(a);
  });

  it("CoordinatorNothingToWithdraw for no models, or models with nothing accrued", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const idle = await registerModelAs(d, d.modelOwner, { name: "idle" });
    await expect(d.coordinator.connect(d.modelOwner).claimRoyalties([])).to.be.revertedWithCustomError(
      d.coordinator,
      "CoordinatorNothingToWithdraw",
    );
    await expect(d.coordinator.connect(d.modelOwner).claimRoyalties([d.modelId, idle])).to.be.revertedWithCustomError(
      d.coordinator,
      "CoordinatorNothingToWithdraw",
    );
    // An open request accrues nothing until it is fulfilled; a refunded one never does.
    const { request } = await openRequest(d, { timeout: 60 });
    await expect(d.coordinator.connect(d.modelOwner).claimRoyalties([d.modelId])).to.be.revertedWithCustomError(
      d.coordinator,
      "CoordinatorNothingToWithdraw",
    );
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    await d.coordinator.refund(request);
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(0n);
    await expect(d.coordinator.connect(d.modelOwner).claimRoyalties([d.modelId])).to.be.revertedWithCustomError(
      d.coordinator,
      "CoordinatorNothingToWithdraw",
    );
  });

  it("CoordinatorNotModelOwner for a model the caller does not own, even among its own; nothing moves", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const theirs = await registerModelAs(d, d.other, { name: "theirs" });
    const a = await paidCall(d, d.modelId);
    const b = await paidCall(d, theirs);
    await expect(d.coordinator.connect(d.other).claimRoyalties([d.modelId]))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotModelOwner")
      .withArgs(d.modelId, d.modelOwner.address, d.other.address);
    await expect(d.coordinator.connect(d.modelOwner).claimRoyalties([d.modelId, theirs]))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotModelOwner")
      .withArgs(theirs, d.other.address, d.modelOwner.address);
    // The operator that earned the fees cannot claim the royalty either.
    await expect(d.coordinator.connect(d.operator).claimRoyalties([d.modelId]))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotModelOwner")
      .withArgs(d.modelId, d.modelOwner.address, d.operator.address);
    const unknown = "0x" + "77".repeat(32);
    await expect(d.coordinator.connect(d.modelOwner).claimRoyalties([unknown]))
      .to.be.revertedWithCustomError(d.registry, "RegistryUnknownModel")
      .withArgs(unknown);
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(a);
    expect(await d.coordinator.royaltiesOf(theirs)).to.equal(b);
    expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(0n);
    expect(await d.coordinator.balanceOf(d.other.address)).to.equal(0n);
    await expect(d.coordinator.connect(d.other).claimRoyalties([theirs]))
      .to.emit(d.coordinator, "RoyaltiesClaimed")
      .withArgs(theirs, d.other.address, b);
  });

  it("after an ownership transfer the new owner claims everything accrued, before and after; the old owner nothing", async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const before = await paidCall(d, d.modelId);
    // A pending transfer changes nothing yet: the pending owner cannot claim.
    await d.registry.connect(d.modelOwner).transferModelOwnership(d.modelId, d.other.address);
    await expect(d.coordinator.connect(d.other).claimRoyalties([d.modelId]))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotModelOwner")
      .withArgs(d.modelId, d.modelOwner.address, d.other.address);
    await d.registry.connect(d.other).acceptModelOwnership(d.modelId);
    const after = await paidCall(d, d.modelId, 4n * E18);
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(before + after);

    await expect(d.coordinator.connect(d.modelOwner).claimRoyalties([d.modelId]))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotModelOwner")
      .withArgs(d.modelId, d.other.address, d.modelOwner.address);
    await expect(d.coordinator.connect(d.other).claimRoyalties([d.modelId]))
      .to.emit(d.coordinator, "RoyaltiesClaimed")
      .withArgs(d.modelId, d.other.address, before + after);
    expect(await d.coordinator.balanceOf(d.other.address)).to.equal(before + after);
    expect(await d.coordinator.balanceOf(d.modelOwner.address)).to.equal(0n);
    expect(await d.coordinator.royaltiesOf(d.modelId)).to.equal(0n);
    await expect(d.coordinator.connect(d.other).withdraw(before + after, d.other.address)).to.changeTokenBalances(
      ethers,
      d.token,
      [d.other, d.modelOwner],
      [before + after, 0n],
    );
  });
});
