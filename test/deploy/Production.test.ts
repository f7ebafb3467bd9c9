import { readFileSync } from "node:fs";

import { expect } from "chai";
import { ZeroAddress, getAddress, keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";

import ProductionModule from "../../deploy/modules/Production.ts";
import { Mode, splitFee } from "@verity-ai/sdk";
import { testPki } from "../attestation/tdx/pki.ts";
import { ALL_BUT_REVOKED, hex, vector } from "../attestation/tdx/helpers.ts";
import { openRequest } from "../helpers/fixture.ts";
import type { Deployment } from "../helpers/fixture.ts";
import type { InferenceCoordinator, ModelRegistry, OperatorStaking } from "../../typechain-types/index.ts";
import { rejection } from "./helpers.ts";

const USD = 10n ** 6n;

/** Every parameter of the production module, in 6-decimal units (the template's shape). */
function productionParameters(paymentToken: string, treasury: string, root: Uint8Array, governance = treasury) {
  return {
    paymentToken,
    treasury,
    governance,
    protocolFeeBps: 300n,
    minStake: 500n * USD,
    unbondingPeriod: 9n * 24n * 3_600n,
    beneficiaryShareBps: 5_000n,
    missedDeadlinePenalty: 25n * USD,
    equivocationPenalty: 250n * USD,
    minTimeout: 120n,
    maxTimeout: 7n * 24n * 3_600n,
    intelRootCertificate: hex(root),
    acceptedTcbStatuses: BigInt(ALL_BUT_REVOKED),
  };
}

describe("deploy/modules/Production.ts: against an existing 6-decimal ERC-20 with the TDX verifier", function () {
  async function deployProduction() {
    const conn = await network.create();
    const { ethers, ignition } = conn;
    const [deployer, treasury, modelOwner, operator, requester, governance] = await ethers.getSigners();
    const usd = await ethers.deployContract("SixDecimalTestToken");
    const block = await ethers.provider.getBlock("latest");
    const pki = testPki(block!.timestamp);
    const parameters = productionParameters(
      await usd.getAddress(),
      treasury.address,
      pki.root.cert,
      governance.address,
    );
    const deployed = await ignition.deploy(ProductionModule, { parameters: { Production: parameters } });
    return {
      conn,
      ethers,
      ignition,
      usd,
      pki,
      parameters,
      deployed,
      deployer,
      treasury,
      governance,
      modelOwner,
      operator,
      requester,
    };
  }

  it("wires the existing token, the parameters and the TDX verifier pinned to the given root", async function () {
    const { usd, pki, deployed, deployer, treasury, governance, ethers } = await deployProduction();
    const { token, registry, staking, coordinator, attestation, tee } = deployed;
    const usdAddress = await usd.getAddress();
    expect(await token.getAddress()).to.equal(usdAddress);
    expect(await token.decimals()).to.equal(6n);
    expect(await coordinator.token()).to.equal(usdAddress);
    expect(await staking.token()).to.equal(usdAddress);
    expect(await coordinator.registry()).to.equal(await registry.getAddress());
    expect(await coordinator.staking()).to.equal(await staking.getAddress());
    const config = await coordinator.config();
    expect(config.treasury).to.equal(treasury.address);
    expect(config.protocolFeeBps).to.equal(300n);
    expect(config.minTimeout).to.equal(120n);
    expect(config.maxTimeout).to.equal(7n * 24n * 3_600n);
    expect(await staking.minStake()).to.equal(500n * USD);
    expect(await staking.unbondingPeriod()).to.equal(9n * 24n * 3_600n);
    expect(await staking.treasury()).to.equal(treasury.address);
    expect(await staking.beneficiaryShareBps()).to.equal(5_000n);
    expect(await tee.equivocationPenalty()).to.equal(250n * USD);
    expect(await tee.attestationVerifier()).to.equal(await attestation.getAddress());
    expect(await coordinator.verifierOf(Mode.TEE)).to.equal(await tee.getAddress());
    const [certificateHash] = await attestation.pinnedRoot();
    expect(certificateHash).to.equal(keccak256(pki.root.cert));
    expect(await attestation.acceptedTcbStatuses()).to.equal(BigInt(ALL_BUT_REVOKED));
    // Staking lets the coordinator lock and slash, and the TEE verifier slash.
    expect(await staking.hasRole(await staking.SLASHER_ROLE(), await coordinator.getAddress())).to.equal(true);
    expect(await staking.hasRole(await staking.LOCKER_ROLE(), await coordinator.getAddress())).to.equal(true);
    expect(await staking.hasRole(await staking.SLASHER_ROLE(), await tee.getAddress())).to.equal(true);
    // Operational roles went straight to governance; the deployer kept none of them.
    const pauser = await coordinator.PAUSER_ROLE();
    const measurements = await attestation.MEASUREMENT_MANAGER_ROLE();
    expect(await coordinator.hasRole(pauser, governance.address)).to.equal(true);
    expect(await coordinator.hasRole(pauser, deployer.address)).to.equal(false);
    expect(await attestation.hasRole(measurements, governance.address)).to.equal(true);
    expect(await attestation.hasRole(measurements, deployer.address)).to.equal(false);
    // The deploying account is the first admin of every contract, and has begun handing each to governance,
    // which accepts after the 1-day delay (and not before).
    const contracts = [registry, staking, coordinator, tee, attestation];
    for (const c of contracts) {
      expect(await c.defaultAdmin()).to.equal(deployer.address);
      const [pending, schedule] = await c.pendingDefaultAdmin();
      expect(pending).to.equal(governance.address);
      await expect((c.connect(governance) as typeof c).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(c, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
    }
    const [, schedule] = await registry.pendingDefaultAdmin();
    await ethers.provider.send("evm_setNextBlockTimestamp", [Number(schedule) + 1]);
    for (const c of contracts) {
      await (await (c.connect(governance) as typeof c).acceptDefaultAdminTransfer()).wait();
      expect(await c.defaultAdmin()).to.equal(governance.address);
      expect(await c.hasRole(await c.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(false);
    }
  });

  it("works in 6-decimal units: a model registered, an operator staked, a request paid and escrowed", async function () {
    const { usd, deployed, modelOwner, operator, requester } = await deployProduction();
    const registry = deployed.registry as unknown as ModelRegistry;
    const staking = deployed.staking as unknown as OperatorStaking;
    const coordinator = deployed.coordinator as unknown as InferenceCoordinator;
    const price = 2n * USD + 500_000n; // 2.50
    const tip = 100_000n; // 0.10
    await registry.connect(modelOwner).registerModel("iris", price, 1_000n, 0b10, {
      weightsHash: keccak256(toUtf8Bytes("iris model bytes")),
      zkVerifier: ZeroAddress,
      uri: "https://models.example/iris.onnx",
      runtime: "onnx",
      encoding: "int32be-milli-x4/uint256-argmax",
    });
    const modelId = await registry.modelIdOf(modelOwner.address, "iris");

    await usd.mint(operator.address, 500n * USD);
    await usd.connect(operator).approve(await staking.getAddress(), 500n * USD);
    await expect(staking.connect(operator).stake(500n * USD))
      .to.emit(staking, "Staked")
      .withArgs(operator.address, 500n * USD, 500n * USD);
    expect(await usd.balanceOf(operator.address)).to.equal(0n);
    expect(await usd.balanceOf(await staking.getAddress())).to.equal(500n * USD);

    await usd.mint(requester.address, 10n * USD);
    await usd.connect(requester).approve(await coordinator.getAddress(), 10n * USD);
    const d = { coordinator, modelId, requester } as unknown as Deployment;
    const { request } = await openRequest(d, { tip, mode: Mode.TEE, input: "0x" + "ab".repeat(16) });
    const split = splitFee(price, tip, 1_000n, 300n);
    expect(split.fee).to.equal(2_600_000n);
    expect(request.fee).to.equal(split.fee);
    expect(request.protocolFee).to.equal(split.protocolFee);
    expect(request.royalty).to.equal(split.royalty);
    expect(getAddress(request.requester)).to.equal(requester.address);
    expect(await usd.balanceOf(requester.address)).to.equal(10n * USD - 2_600_000n);
    expect(await usd.balanceOf(await coordinator.getAddress())).to.equal(2_600_000n);
  });

  it("refuses to deploy without the payment token (no parameter that decides money has a default)", async function () {
    const conn = await network.create();
    const [, treasury] = await conn.ethers.getSigners();
    const pki = testPki((await conn.ethers.provider.getBlock("latest"))!.timestamp);
    const { paymentToken: _omitted, ...rest } = productionParameters(ZeroAddress, treasury.address, pki.root.cert);
    void _omitted;
    expect(await rejection(conn.ignition.deploy(ProductionModule, { parameters: { Production: rest } }))).to.contain(
      "Production#PaymentToken: HHE10725: Module parameter 'paymentToken' requires a value but was given none",
    );
  });

  it("the parameters template names every parameter, pins Intel's real root and deploys once its addresses are filled", async function () {
    const file = new URL("../../deploy/parameters/production.template.json", import.meta.url);
    // Ignition's own reading of "<digits>n" strings as bigints.
    const template = JSON.parse(readFileSync(file, "utf8"), (_k, v) =>
      typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
    ).Production as Record<string, unknown>;
    expect(Object.keys(template).sort()).to.deep.equal(
      Object.keys(productionParameters(ZeroAddress, ZeroAddress, new Uint8Array())).sort(),
    );
    expect(template.intelRootCertificate).to.equal(hex(vector("intel/intel-sgx-root-ca.der")));
    const conn = await network.create();
    const [, treasury, governance] = await conn.ethers.getSigners();
    const usd = await conn.ethers.deployContract("SixDecimalTestToken");
    const parameters = {
      ...template,
      paymentToken: await usd.getAddress(),
      treasury: treasury.address,
      governance: governance.address,
    };
    const { coordinator, attestation } = await conn.ignition.deploy(ProductionModule, {
      parameters: { Production: parameters },
    });
    expect(await coordinator.token()).to.equal(await usd.getAddress());
    const [certificateHash] = await attestation.pinnedRoot();
    expect(certificateHash).to.equal(keccak256(vector("intel/intel-sgx-root-ca.der")));
  });
});
