import { expect } from "chai";
import { network } from "hardhat";

import VerityModule from "../../deploy/modules/Verity.ts";
import { explainRevert } from "@verity-ai/sdk";
import { testParameters } from "../helpers/fixture.ts";
import { rejection } from "./helpers.ts";

const SEPOLIA = 11155111n;

/** A fresh in-process chain that reports `chainId`, as a public chain would. */
const chainWithId = (chainId: bigint) => network.create({ override: { chainId: Number(chainId) } });

describe("development contracts are local-only", function () {
  it("VerityTestToken refuses a chain that is not local with VerityTestTokenNotForProduction(chainId)", async function () {
    const { ethers } = await chainWithId(SEPOLIA);
    const [owner] = await ethers.getSigners();
    expect((await ethers.provider.getNetwork()).chainId).to.equal(SEPOLIA);
    const factory = await ethers.getContractFactory("VerityTestToken");
    await expect(factory.deploy(owner.address, false))
      .to.be.revertedWithCustomError(factory, "VerityTestTokenNotForProduction")
      .withArgs(SEPOLIA);
  });

  it("DevApprovedMeasurementAttestationVerifier refuses a chain that is not local with DevAttestationVerifierNotForProduction(chainId)", async function () {
    const { ethers } = await chainWithId(SEPOLIA);
    const [admin] = await ethers.getSigners();
    const factory = await ethers.getContractFactory("DevApprovedMeasurementAttestationVerifier");
    await expect(factory.deploy(admin.address, [], false))
      .to.be.revertedWithCustomError(factory, "DevAttestationVerifierNotForProduction")
      .withArgs(SEPOLIA);
  });

  it("both deploy on a chain that is not local when iUnderstandThisIsNotForProduction is true", async function () {
    const { ethers } = await chainWithId(SEPOLIA);
    const [owner] = await ethers.getSigners();
    const token = await ethers.deployContract("VerityTestToken", [owner.address, true]);
    expect(await token.owner()).to.equal(owner.address);
    const attestation = await ethers.deployContract("DevApprovedMeasurementAttestationVerifier", [
      owner.address,
      [],
      true,
    ]);
    expect(await attestation.defaultAdmin()).to.equal(owner.address);
  });

  for (const local of [31337n, 1337n]) {
    it(`both deploy without the flag on local chain ${local}`, async function () {
      const { ethers } = await chainWithId(local);
      const [owner] = await ethers.getSigners();
      const token = await ethers.deployContract("VerityTestToken", [owner.address, false]);
      expect(await token.owner()).to.equal(owner.address);
      const attestation = await ethers.deployContract("DevApprovedMeasurementAttestationVerifier", [
        owner.address,
        [],
        false,
      ]);
      expect(await attestation.defaultAdmin()).to.equal(owner.address);
    });
  }

  it("the Verity Ignition module cannot put them on a chain that is not local without the parameter", async function () {
    const { ethers, ignition } = await chainWithId(SEPOLIA);
    const [, treasury] = await ethers.getSigners();
    expect(await rejection(ignition.deploy(VerityModule, { parameters: testParameters(treasury.address) }))).to.match(
      /VerityTestTokenNotForProduction\(11155111\)[\s\S]*DevAttestationVerifierNotForProduction\(11155111\)/,
    );
  });

  it("the Verity Ignition module deploys on a chain that is not local with iUnderstandThisIsNotForProduction", async function () {
    const { ethers, ignition } = await chainWithId(SEPOLIA);
    const [admin, treasury] = await ethers.getSigners();
    const base = testParameters(treasury.address);
    const parameters = {
      ...base,
      PaymentToken: { iUnderstandThisIsNotForProduction: true },
      TeeVerifier: { ...base.TeeVerifier, iUnderstandThisIsNotForProduction: true },
    };
    const { token, attestation } = await ignition.deploy(VerityModule, { parameters });
    expect(await token.owner()).to.equal(admin.address);
    expect(await attestation.defaultAdmin()).to.equal(admin.address);
  });

  it("each refusal reads as a sentence naming the chain and the flag", async function () {
    const { ethers } = await chainWithId(SEPOLIA);
    for (const [contract, error] of [
      ["VerityTestToken", "VerityTestTokenNotForProduction"],
      ["DevApprovedMeasurementAttestationVerifier", "DevAttestationVerifierNotForProduction"],
    ] as const) {
      const data = (await ethers.getContractFactory(contract)).interface.encodeErrorResult(error, [SEPOLIA]);
      const sentence = explainRevert(data);
      expect(sentence).to.match(/^chain 11155111 is not a local chain/);
      expect(sentence).to.contain("--allow-dev-contracts-on-public-chain");
    }
  });
});
