import { expect } from "chai";
import { AbiCoder } from "ethers";
import { network } from "hardhat";

import { RequestStatus, toRequest, splitFee } from "@verity-ai/sdk";
import { E18, INPUT_64, PRICE, PROTOCOL_FEE_BPS, ROYALTY_BPS } from "../helpers/fixture.ts";
import { deployEnv, eventsOf, fulfilTee } from "../helpers/coordinator.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

const Decision = { None: 0n, Pending: 1n, Approved: 2n, Denied: 3n, Expired: 4n } as const;
/** The lender pins version 1 and a fee cap of twice the price. */
const FEE_CAP = 2n * PRICE;
const classOutput = (c: bigint) => AbiCoder.defaultAbiCoder().encode(["uint256"], [c]);

async function deployUnfunded() {
  const d = await deployEnv(conn);
  // The lender's owner is `other`; the risk model is the fixture's model. Classes 0..1 are approved.
  const lender = await ethers.deployContract("CreditLineLender", [
    await d.coordinator.getAddress(),
    d.modelId,
    1n,
    FEE_CAP,
    1n,
    d.other.address,
  ]);
  return { d, lender };
}

async function deploy() {
  const { d, lender } = await deployUnfunded();
  await d.token.connect(d.other).approve(await lender.getAddress(), 100n * E18);
  await lender.connect(d.other).fundCoordinator(100n * E18);
  return { d, lender };
}

async function apply(
  d: Awaited<ReturnType<typeof deployEnv>>,
  lender: Awaited<ReturnType<typeof deploy>>["lender"],
  amount: bigint,
) {
  const receipt = (await (await lender.connect(d.requester).applyForCredit(amount, INPUT_64)).wait())!;
  const [ev] = eventsOf(d.coordinator, receipt, "InferenceRequested");
  return { request: toRequest(ev.args.request.toObject()), requestId: ev.args.requestId as bigint, receipt };
}

describe("CreditLineLender", function () {
  it("cannot pay for an application without a coordinator balance", async function () {
    const { d, lender } = await networkHelpers.loadFixture(deployUnfunded);
    await expect(lender.connect(d.requester).applyForCredit(1_000n, INPUT_64))
      .to.be.revertedWithCustomError(d.token, "ERC20InsufficientAllowance")
      .withArgs(await d.coordinator.getAddress(), 0n, PRICE);
  });

  it("fundCoordinator deposits the owner's tokens into the lender's coordinator balance (owner only)", async function () {
    const { d, lender } = await networkHelpers.loadFixture(deployUnfunded);
    const addr = await lender.getAddress();
    await d.token.connect(d.other).approve(addr, 30n * E18);
    const tx = lender.connect(d.other).fundCoordinator(30n * E18);
    await expect(tx)
      .to.emit(d.coordinator, "Deposited")
      .withArgs(addr, 30n * E18, 30n * E18);
    await expect(tx).to.changeTokenBalances(
      ethers,
      d.token,
      [d.other, lender, d.coordinator],
      [-30n * E18, 0n, 30n * E18],
    );
    expect(await d.coordinator.balanceOf(addr)).to.equal(30n * E18);
    expect(await d.token.allowance(addr, await d.coordinator.getAddress())).to.equal(0n);
    await expect(lender.connect(d.requester).fundCoordinator(1n))
      .to.be.revertedWithCustomError(lender, "OwnableUnauthorizedAccount")
      .withArgs(d.requester.address);
  });

  it("approves a low-risk application from a TEE-verified result", async function () {
    const { d, lender } = await networkHelpers.loadFixture(deploy);
    const addr = await lender.getAddress();
    const amount = 5_000n * E18;
    const { request, requestId, receipt } = await apply(d, lender, amount);
    const [submitted] = eventsOf(lender, receipt, "ApplicationSubmitted");
    expect(submitted.args.toArray()).to.deep.equal([requestId, d.requester.address, amount]);
    expect(request.requester).to.equal(addr);
    expect(request.callback).to.equal(addr);
    expect(request.callbackGasLimit).to.equal(100_000n);
    expect(request.mode).to.equal(1n);
    expect(request.deadline - BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp)).to.equal(3600n);
    expect(await d.coordinator.balanceOf(addr)).to.equal(100n * E18 - PRICE);
    let app = await lender.getApplication(requestId);
    expect([app.applicant, app.amount, app.decision, app.riskClass]).to.deep.equal([
      d.requester.address,
      amount,
      Decision.Pending,
      0n,
    ]);

    const tx = fulfilTee(d, request, classOutput(1n));
    await expect(tx).to.emit(lender, "CreditLineApproved").withArgs(requestId, d.requester.address, amount, 1n);
    await expect(tx).to.emit(d.coordinator, "CallbackDelivered").withArgs(requestId, addr, true);
    app = await lender.getApplication(requestId);
    expect(app.decision).to.equal(Decision.Approved);
    expect(app.riskClass).to.equal(1n);
    const s = splitFee(PRICE, 0n, ROYALTY_BPS, PROTOCOL_FEE_BPS);
    expect(await d.coordinator.balanceOf(d.operator.address)).to.equal(s.operatorShare);
  });

  it("denies a high-risk application", async function () {
    const { d, lender } = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await apply(d, lender, 10n);
    await expect(fulfilTee(d, request, classOutput(3n)))
      .to.emit(lender, "CreditLineDenied")
      .withArgs(requestId, d.requester.address, 3n);
    const app = await lender.getApplication(requestId);
    expect(app.decision).to.equal(Decision.Denied);
    expect(app.riskClass).to.equal(3n);
  });

  it("clamps a huge class to 255 and denies; a malformed output leaves the application pending", async function () {
    const { d, lender } = await networkHelpers.loadFixture(deploy);
    const a = await apply(d, lender, 10n);
    await expect(fulfilTee(d, a.request, classOutput(2n ** 200n)))
      .to.emit(lender, "CreditLineDenied")
      .withArgs(a.requestId, d.requester.address, 2n ** 200n);
    expect((await lender.getApplication(a.requestId)).riskClass).to.equal(255n);

    const b = await apply(d, lender, 10n);
    await expect(fulfilTee(d, b.request, "0x01"))
      .to.emit(d.coordinator, "CallbackDelivered")
      .withArgs(b.requestId, await lender.getAddress(), false);
    expect((await lender.getApplication(b.requestId)).decision).to.equal(Decision.Pending);
    expect(await d.coordinator.requestStatus(b.requestId)).to.equal(RequestStatus.Fulfilled);
  });

  it("setMaxApprovedClass moves the threshold (owner only)", async function () {
    const { d, lender } = await networkHelpers.loadFixture(deploy);
    await expect(lender.connect(d.other).setMaxApprovedClass(3n))
      .to.emit(lender, "MaxApprovedClassUpdated")
      .withArgs(3n);
    await expect(lender.connect(d.requester).setMaxApprovedClass(9n))
      .to.be.revertedWithCustomError(lender, "OwnableUnauthorizedAccount")
      .withArgs(d.requester.address);
    const { request, requestId } = await apply(d, lender, 10n);
    await expect(fulfilTee(d, request, classOutput(3n)))
      .to.emit(lender, "CreditLineApproved")
      .withArgs(requestId, d.requester.address, 10n, 3n);
  });

  it("rejects a zero amount and results from anyone but the coordinator", async function () {
    const { d, lender } = await networkHelpers.loadFixture(deploy);
    await expect(lender.connect(d.requester).applyForCredit(0, INPUT_64)).to.be.revertedWithCustomError(
      lender,
      "LenderZeroAmount",
    );
    const { requestId } = await apply(d, lender, 10n);
    await expect(lender.connect(d.requester).onInferenceResult(requestId, classOutput(0n)))
      .to.be.revertedWithCustomError(lender, "ConsumerOnlyCoordinator")
      .withArgs(d.requester.address);
    await expect(lender.connect(d.operator).onInferenceResult(requestId, classOutput(0n)))
      .to.be.revertedWithCustomError(lender, "ConsumerOnlyCoordinator")
      .withArgs(d.operator.address);
    expect((await lender.getApplication(requestId)).decision).to.equal(Decision.Pending);
  });

  it("a refunded application's escrow returns to the lender and the owner can withdraw it", async function () {
    const { d, lender } = await networkHelpers.loadFixture(deploy);
    const addr = await lender.getAddress();
    const { request } = await apply(d, lender, 10n);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    await expect(d.coordinator.refund(request)).to.emit(lender, "ApplicationExpired");
    expect(await d.coordinator.balanceOf(addr)).to.equal(100n * E18);
    await expect(lender.connect(d.requester).withdrawFromCoordinator(1n, d.requester.address))
      .to.be.revertedWithCustomError(lender, "OwnableUnauthorizedAccount")
      .withArgs(d.requester.address);
    await expect(lender.connect(d.other).withdrawFromCoordinator(100n * E18, d.other.address))
      .to.emit(d.coordinator, "Withdrawn")
      .withArgs(addr, d.other.address, 100n * E18, 0n);
    expect(await d.coordinator.balanceOf(addr)).to.equal(0n);
  });

  it("pins the reviewed model version and a fee cap: a new version or a price rise cannot slip in", async function () {
    const { d, lender } = await networkHelpers.loadFixture(deploy);
    expect([await lender.modelVersion(), await lender.maxFee()]).to.deep.equal([1n, FEE_CAP]);
    // The model owner publishes version 2: applications still run version 1.
    await d.registry.connect(d.modelOwner).publishVersion(d.modelId, {
      weightsHash: ethers.keccak256("0x02"),
      zkVerifier: ethers.ZeroAddress,
      uri: "verity://models/iris/2",
      runtime: "onnx",
      encoding: "int32be-milli-x4/uint256-argmax",
    });
    const { request } = await apply(d, lender, 10n);
    expect(request.version).to.equal(1n);
    // A price rise above the cap makes applications revert instead of paying it.
    await d.registry.connect(d.modelOwner).setPricing(d.modelId, 100n * PRICE, 9_500);
    await expect(lender.connect(d.requester).applyForCredit(10n, INPUT_64))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorFeeAboveMax")
      .withArgs(100n * PRICE, FEE_CAP);
    // Only the owner re-pins, and never to "latest" (0) or "no cap" (0).
    await expect(lender.connect(d.requester).setModelTerms(2, FEE_CAP))
      .to.be.revertedWithCustomError(lender, "OwnableUnauthorizedAccount")
      .withArgs(d.requester.address);
    await expect(lender.connect(d.other).setModelTerms(0, FEE_CAP)).to.be.revertedWithCustomError(
      lender,
      "LenderVersionRequired",
    );
    await expect(lender.connect(d.other).setModelTerms(2, 0)).to.be.revertedWithCustomError(
      lender,
      "LenderFeeCapRequired",
    );
    await expect(lender.connect(d.other).setModelTerms(2, 200n * PRICE))
      .to.emit(lender, "ModelTermsUpdated")
      .withArgs(2n, 200n * PRICE);
  });

  it("a refund marks the application Expired through the consumer's refund hook", async function () {
    const { d, lender } = await networkHelpers.loadFixture(deploy);
    const { request, requestId } = await apply(d, lender, 10n);
    await networkHelpers.time.increaseTo(request.deadline + 1n);
    await expect(d.coordinator.refund(request))
      .to.emit(d.coordinator, "RefundCallbackDelivered")
      .withArgs(requestId, await lender.getAddress(), true);
    const app = await lender.getApplication(requestId);
    expect(app.decision).to.equal(Decision.Expired);
  });
});
