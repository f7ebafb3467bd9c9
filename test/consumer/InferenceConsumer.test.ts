import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";

import { requestParams, toRequest } from "@verity-ai/sdk";
import { E18, INPUT_64, OUTPUT, PRICE } from "../helpers/fixture.ts";
import { deployEnv, eventsOf, fulfilTee } from "../helpers/coordinator.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

async function deploy() {
  const d = await deployEnv(conn);
  const consumer = await ethers.deployContract("TestInferenceConsumer", [await d.coordinator.getAddress()]);
  // Funded from its own tokens (the consumer passes itself as `from`).
  await d.token.connect(d.requester).transfer(await consumer.getAddress(), 100n * E18);
  await consumer.fund(await consumer.getAddress(), 100n * E18);
  return { d, consumer };
}

async function request(
  d: Awaited<ReturnType<typeof deploy>>["d"],
  consumer: Awaited<ReturnType<typeof deploy>>["consumer"],
  extra: Record<string, unknown> = {},
) {
  const receipt = (await (
    await consumer.request(
      requestParams({
        modelId: d.modelId,
        input: INPUT_64,
        callback: ZeroAddress,
        callbackGasLimit: 200_000,
        ...extra,
      }),
    )
  ).wait())!;
  const [ev] = eventsOf(d.coordinator, receipt, "InferenceRequested");
  return { request: toRequest(ev.args.request.toObject()), requestId: ev.args.requestId as bigint };
}

describe("InferenceConsumer", function () {
  it("requests from its own coordinator balance with itself as callback, and receives the result", async function () {
    const { d, consumer } = await networkHelpers.loadFixture(deploy);
    const addr = await consumer.getAddress();
    expect(await consumer.coordinator()).to.equal(await d.coordinator.getAddress());
    expect(await d.coordinator.balanceOf(addr)).to.equal(100n * E18);

    // The callback in the params is overridden with the consumer itself.
    const { request: req, requestId } = await request(d, consumer);
    expect(req.requester).to.equal(addr);
    expect(req.callback).to.equal(addr);
    expect(req.callbackGasLimit).to.equal(200_000n);
    expect(await d.coordinator.balanceOf(addr)).to.equal(100n * E18 - PRICE);

    await expect(fulfilTee(d, req, OUTPUT))
      .to.emit(d.coordinator, "CallbackDelivered")
      .withArgs(requestId, addr, true);
    expect(await consumer.calls()).to.equal(1n);
    expect(await consumer.lastRequestId()).to.equal(requestId);
    expect(await consumer.lastOutput()).to.equal(OUTPUT);
  });

  it("only the coordinator can call the hooks: ConsumerOnlyCoordinator", async function () {
    const { d, consumer } = await networkHelpers.loadFixture(deploy);
    await expect(consumer.connect(d.other).onInferenceResult(1n, OUTPUT))
      .to.be.revertedWithCustomError(consumer, "ConsumerOnlyCoordinator")
      .withArgs(d.other.address);
    await expect(consumer.connect(d.operator).onInferenceRefunded(1n, PRICE))
      .to.be.revertedWithCustomError(consumer, "ConsumerOnlyCoordinator")
      .withArgs(d.operator.address);
    expect(await consumer.calls()).to.equal(0n);
    expect(await consumer.refunds()).to.equal(0n);
  });

  it("hears about a refund through its hook, the escrow back in its balance", async function () {
    const { d, consumer } = await networkHelpers.loadFixture(deploy);
    const addr = await consumer.getAddress();
    const { request: req, requestId } = await request(d, consumer, { timeout: 60 });
    await networkHelpers.time.increaseTo(req.deadline + 1n);
    const tx = d.coordinator.connect(d.other).refund(req);
    await expect(tx).to.emit(d.coordinator, "RefundCallbackDelivered").withArgs(requestId, addr, true);
    await expect(tx).to.emit(d.coordinator, "RequestRefunded").withArgs(requestId, addr, PRICE, 0n);
    expect(await consumer.refunds()).to.equal(1n);
    expect(await consumer.lastRefundedId()).to.equal(requestId);
    expect(await d.coordinator.balanceOf(addr)).to.equal(100n * E18);
  });

  it("funds itself from an approving account and withdraws refunds and earnings to any address", async function () {
    const { d, consumer } = await networkHelpers.loadFixture(deploy);
    const addr = await consumer.getAddress();
    await d.token.connect(d.other).approve(addr, 30n * E18);
    await expect(consumer.fund(d.other.address, 30n * E18))
      .to.emit(d.coordinator, "Deposited")
      .withArgs(addr, 30n * E18, 130n * E18);
    await expect(consumer.withdrawTo(130n * E18, d.other.address)).to.changeTokenBalances(
      ethers,
      d.token,
      [d.other, d.coordinator],
      [130n * E18, -130n * E18],
    );
    // The coordinator refuses to send tokens to itself (they would be credited to nobody).
    await expect(consumer.withdrawTo(1n, await d.coordinator.getAddress()))
      .to.be.revertedWithCustomError(d.coordinator, "CoordinatorInvalidAddress")
      .withArgs("to");
  });

  it("receives its share of a slashed operator's penalty and sends it where it chooses", async function () {
    const { d, consumer } = await networkHelpers.loadFixture(deploy);
    const addr = await consumer.getAddress();
    const { request: req } = await request(d, consumer, { operator: d.operator.address, timeout: 60 });
    await d.coordinator.connect(d.operator).acceptRequest(req);
    await networkHelpers.time.increaseTo(req.deadline + 1n);
    await d.coordinator.connect(d.other).refund(req);
    const share = (100n * E18) / 2n; // half of the 100-token penalty
    expect(await d.staking.claimableOf(addr)).to.equal(share);
    await expect(consumer.claimSlashedShare(d.other.address)).to.changeTokenBalances(
      ethers,
      d.token,
      [d.other, d.staking],
      [share, -share],
    );
    expect(await d.staking.claimableOf(addr)).to.equal(0n);
  });
});

describe("TestInferenceCoordinator (for dApps' unit tests)", function () {
  async function deployTest() {
    const [deployer, other] = await ethers.getSigners();
    const token = await ethers.deployContract("VerityTestToken", [deployer.address, false]);
    const coordinator = await ethers.deployContract("TestInferenceCoordinator", [await token.getAddress()]);
    const consumer = await ethers.deployContract("TestInferenceConsumer", [await coordinator.getAddress()]);
    return { deployer, other, token, coordinator, consumer };
  }

  it("records the consumer's request and delivers a result through the same callback path", async function () {
    const { coordinator, consumer } = await networkHelpers.loadFixture(deployTest);
    const addr = await consumer.getAddress();
    const modelId = ethers.keccak256("0x01");
    await expect(consumer.request(requestParams({ modelId, input: INPUT_64, callbackGasLimit: 100_000 }))).to.emit(
      coordinator,
      "InferenceRequested",
    );
    const requestId = await coordinator.lastRequestId();
    const pinned = await coordinator.requestOf(requestId);
    expect([pinned.requester, pinned.callback, pinned.callbackGasLimit, pinned.modelId]).to.deep.equal([
      addr,
      addr,
      100_000n,
      modelId,
    ]);
    expect(await coordinator.requestStatus(requestId)).to.equal(1n);
    await expect(coordinator.deliverResult(requestId, OUTPUT))
      .to.emit(coordinator, "CallbackDelivered")
      .withArgs(requestId, addr, true);
    expect(await consumer.lastRequestId()).to.equal(requestId);
    expect(await consumer.lastOutput()).to.equal(OUTPUT);
    expect(await coordinator.requestStatus(requestId)).to.equal(2n);
    await expect(coordinator.deliverResult(requestId, OUTPUT))
      .to.be.revertedWithCustomError(coordinator, "TestCoordinatorRequestNotOpen")
      .withArgs(requestId, 2n);
  });

  it("triggers the refund hook, and applies the network's rules: callback = requester, the gas rule", async function () {
    const { other, coordinator, consumer } = await networkHelpers.loadFixture(deployTest);
    const addr = await consumer.getAddress();
    const modelId = ethers.keccak256("0x01");
    await consumer.request(requestParams({ modelId, input: INPUT_64, callbackGasLimit: 1_000_000 }));
    const requestId = await coordinator.lastRequestId();
    // Too little gas for the callback's limit: the same revert as on the network.
    const needed = 1_000_000n + 1_000_000n / 63n + 15_000n;
    await expect(coordinator.refundRequest(requestId, { gasLimit: 500_000n }))
      .to.be.revertedWithCustomError(coordinator, "TestCoordinatorInsufficientCallbackGas")
      .withArgs(requestId, (v: bigint) => v < needed, needed);
    await expect(coordinator.refundRequest(requestId))
      .to.emit(coordinator, "RefundCallbackDelivered")
      .withArgs(requestId, addr, true);
    expect(await consumer.lastRefundedId()).to.equal(requestId);
    // Nobody can name someone else's consumer as callback, here either.
    await expect(
      coordinator.connect(other).requestInference(requestParams({ modelId, input: INPUT_64, callback: addr })),
    )
      .to.be.revertedWithCustomError(coordinator, "TestCoordinatorCallbackNotRequester")
      .withArgs(addr, other.address);
  });

  it("keeps deposits and withdrawals for the consumer's funding code", async function () {
    const { deployer, token, coordinator, consumer } = await networkHelpers.loadFixture(deployTest);
    const addr = await consumer.getAddress();
    await token.mint(deployer.address, 10n * E18);
    await token.approve(addr, 10n * E18);
    await consumer.fund(deployer.address, 10n * E18);
    expect(await coordinator.balanceOf(addr)).to.equal(10n * E18);
    await expect(consumer.withdrawTo(4n * E18, deployer.address)).to.changeTokenBalances(
      ethers,
      token,
      [deployer, coordinator],
      [4n * E18, -4n * E18],
    );
    expect(await coordinator.balanceOf(addr)).to.equal(6n * E18);
  });
});
