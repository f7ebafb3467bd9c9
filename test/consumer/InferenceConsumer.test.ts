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
  await d.token.connect(d.requester).transfer(await consumer.getAddress(), 100n * E18);
  await consumer.fund(await d.token.getAddress(), 100n * E18);
  return { d, consumer };
}

describe("InferenceConsumer", function () {
  it("requests from its own coordinator balance with itself as callback, and receives the result", async function () {
    const { d, consumer } = await networkHelpers.loadFixture(deploy);
    const addr = await consumer.getAddress();
    expect(await consumer.coordinator()).to.equal(await d.coordinator.getAddress());
    expect(await d.coordinator.balanceOf(addr)).to.equal(100n * E18);

    // The callback in the params is overridden with the consumer itself.
    const tx = await consumer.request(
      requestParams({ modelId: d.modelId, input: INPUT_64, callback: ZeroAddress, callbackGasLimit: 200_000 }),
    );
    const receipt = (await tx.wait())!;
    const [ev] = eventsOf(d.coordinator, receipt, "InferenceRequested");
    const request = toRequest(ev.args.request.toObject());
    expect(request.requester).to.equal(addr);
    expect(request.callback).to.equal(addr);
    expect(request.callbackGasLimit).to.equal(200_000n);
    expect(await d.coordinator.balanceOf(addr)).to.equal(100n * E18 - PRICE);

    await expect(fulfilTee(d, request, OUTPUT))
      .to.emit(d.coordinator, "CallbackDelivered")
      .withArgs(ev.args.requestId, addr, true);
    expect(await consumer.calls()).to.equal(1n);
    expect(await consumer.lastRequestId()).to.equal(ev.args.requestId);
    expect(await consumer.lastOutput()).to.equal(OUTPUT);
  });

  it("only the coordinator can deliver: ConsumerOnlyCoordinator", async function () {
    const { d, consumer } = await networkHelpers.loadFixture(deploy);
    await expect(consumer.connect(d.other).onInferenceResult(1n, OUTPUT))
      .to.be.revertedWithCustomError(consumer, "ConsumerOnlyCoordinator")
      .withArgs(d.other.address);
    await expect(consumer.connect(d.operator).onInferenceResult(1n, OUTPUT))
      .to.be.revertedWithCustomError(consumer, "ConsumerOnlyCoordinator")
      .withArgs(d.operator.address);
    expect(await consumer.calls()).to.equal(0n);
  });
});
