import { expect } from "chai";
import { Wallet, ZeroAddress, ZeroHash, keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

const M1 = keccak256(toUtf8Bytes("measurement one"));
const M2 = keccak256(toUtf8Bytes("measurement two"));
const M3 = keccak256(toUtf8Bytes("measurement three"));
/** The development verifier's attestations never expire. */
const NEVER = 2n ** 64n - 1n;

async function fixture() {
  const [admin, manager, other] = await ethers.getSigners();
  const attestation = await ethers.deployContract("DevApprovedMeasurementAttestationVerifier", [
    admin.address,
    [M1, M2],
    false,
  ]);
  const MANAGER = await attestation.MEASUREMENT_MANAGER_ROLE();
  return { attestation, admin, manager, other, MANAGER };
}

describe("DevApprovedMeasurementAttestationVerifier", function () {
  it("approves the initial measurements and gives the admin both roles", async function () {
    const { attestation, admin, MANAGER } = await networkHelpers.loadFixture(fixture);
    const tx = attestation.deploymentTransaction()!;
    await expect(tx).to.emit(attestation, "MeasurementApprovalUpdated").withArgs(M1, true);
    await expect(tx).to.emit(attestation, "MeasurementApprovalUpdated").withArgs(M2, true);
    expect(MANAGER).to.equal(keccak256(toUtf8Bytes("MEASUREMENT_MANAGER_ROLE")));
    expect(await attestation.hasRole(MANAGER, admin.address)).to.equal(true);
    expect(await attestation.hasRole(ZeroHash, admin.address)).to.equal(true);
    expect(await attestation.isMeasurementApproved(M1)).to.equal(true);
    expect(await attestation.isMeasurementApproved(M2)).to.equal(true);
    expect(await attestation.isMeasurementApproved(M3)).to.equal(false);
  });

  it("rejects a zero measurement in the constructor", async function () {
    const [admin] = await ethers.getSigners();
    const factory = await ethers.getContractFactory("DevApprovedMeasurementAttestationVerifier");
    await expect(factory.deploy(admin.address, [M1, ZeroHash], false))
      .to.be.revertedWithCustomError(factory, "AttestationInvalidMeasurement")
      .withArgs(ZeroHash);
  });

  it("verifyAttestation accepts any non-zero key with an approved measurement, ignoring the report", async function () {
    const { attestation, other } = await networkHelpers.loadFixture(fixture);
    const key = Wallet.createRandom().address;
    expect(await attestation.verifyAttestation(other.address, key, M1, "0x")).to.deep.equal([true, NEVER]);
    expect(await attestation.verifyAttestation(ZeroAddress, key, M2, "0xdeadbeef")).to.deep.equal([true, NEVER]);
    expect(await attestation.verifyAttestation(other.address, key, M3, "0x")).to.deep.equal([false, NEVER]);
    expect(await attestation.verifyAttestation(other.address, ZeroAddress, M1, "0x")).to.deep.equal([false, NEVER]);
  });

  it("setMeasurementApproval approves and withdraws approval with MeasurementApprovalUpdated", async function () {
    const { attestation, admin } = await networkHelpers.loadFixture(fixture);
    const key = Wallet.createRandom().address;
    await expect(attestation.connect(admin).setMeasurementApproval(M3, true))
      .to.emit(attestation, "MeasurementApprovalUpdated")
      .withArgs(M3, true);
    expect(await attestation.isMeasurementApproved(M3)).to.equal(true);
    expect(await attestation.verifyAttestation(admin.address, key, M3, "0x")).to.deep.equal([true, NEVER]);
    await expect(attestation.connect(admin).setMeasurementApproval(M1, false))
      .to.emit(attestation, "MeasurementApprovalUpdated")
      .withArgs(M1, false);
    expect(await attestation.isMeasurementApproved(M1)).to.equal(false);
    expect(await attestation.verifyAttestation(admin.address, key, M1, "0x")).to.deep.equal([false, NEVER]);
    await expect(attestation.connect(admin).setMeasurementApproval(ZeroHash, true))
      .to.be.revertedWithCustomError(attestation, "AttestationInvalidMeasurement")
      .withArgs(ZeroHash);
  });

  it("setMeasurementApproval needs MEASUREMENT_MANAGER_ROLE, which the admin can grant", async function () {
    const { attestation, admin, manager, other, MANAGER } = await networkHelpers.loadFixture(fixture);
    for (const s of [manager, other]) {
      await expect(attestation.connect(s).setMeasurementApproval(M3, true))
        .to.be.revertedWithCustomError(attestation, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, MANAGER);
    }
    await attestation.connect(admin).grantRole(MANAGER, manager.address);
    await expect(attestation.connect(manager).setMeasurementApproval(M3, true))
      .to.emit(attestation, "MeasurementApprovalUpdated")
      .withArgs(M3, true);
    await expect(attestation.connect(other).grantRole(MANAGER, other.address))
      .to.be.revertedWithCustomError(attestation, "AccessControlUnauthorizedAccount")
      .withArgs(other.address, ZeroHash);
  });
});
