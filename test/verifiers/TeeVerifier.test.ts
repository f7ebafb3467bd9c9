import { expect } from "chai";
import {
  Signature,
  TypedDataEncoder,
  Wallet,
  ZeroAddress,
  ZeroHash,
  keccak256,
  toUtf8Bytes,
  zeroPadValue,
} from "ethers";
import { network } from "hardhat";

import {
  claimFor,
  recoverResultSigner,
  registrationDigest,
  registrationDomain,
  resultDigest,
  resultDomain,
  signEnclaveRegistration,
  signResult,
  type Request,
  type ResultClaim,
} from "@verity-ai/sdk";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";

import { fulfilTee } from "../helpers/coordinator.ts";
import {
  E18,
  MEASUREMENT,
  MIN_STAKE,
  OUTPUT,
  deployVerity,
  openRequest,
  registerEnclaveFor,
  teeProof,
} from "../helpers/fixture.ts";
import type { Deployment } from "../helpers/fixture.ts";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

const OUTPUT_B = "0x" + "00".repeat(31) + "02";
const PENALTY = 1_000n * E18;
const MAX_UINT96 = 2n ** 96n - 1n;
const SLASH_EQUIVOCATION = 2;
const DEFAULT_ADMIN_ROLE = ZeroHash;
const OTHER_MEASUREMENT = keccak256(toUtf8Bytes("unapproved enclave build"));

async function fixture(): Promise<Deployment> {
  return deployVerity(conn);
}

/** An open request with claims for two different outputs, both signed by the operator's enclave. */
async function equivocation(d: Deployment) {
  const { request, requestId } = await openRequest(d);
  const operator = await d.operator.getAddress();
  const domain = resultDomain(d.chainId, await d.coordinator.getAddress());
  const a = claimFor(requestId, request, OUTPUT, operator);
  const b = claimFor(requestId, request, OUTPUT_B, operator);
  return {
    request,
    requestId,
    operator,
    domain,
    a,
    b,
    sigA: await signResult(d.enclave, domain, a),
    sigB: await signResult(d.enclave, domain, b),
  };
}

async function claimOf(d: Deployment, request: Request, requestId: bigint, output = OUTPUT): Promise<ResultClaim> {
  return claimFor(requestId, request, output, await d.operator.getAddress());
}

describe("TeeVerifier", function () {
  describe("deployment", function () {
    it("serves MODE_TEE under the coordinator's EIP-712 domain", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      expect(await d.tee.mode()).to.equal(1n);
      expect(await d.tee.coordinator()).to.equal(await d.coordinator.getAddress());
      expect(await d.tee.staking()).to.equal(await d.staking.getAddress());
      expect(await d.tee.attestationVerifier()).to.equal(await d.attestation.getAddress());
      expect(await d.tee.equivocationPenalty()).to.equal(PENALTY);
      expect(await d.tee.domainSeparator()).to.equal(
        TypedDataEncoder.hashDomain(resultDomain(d.chainId, await d.coordinator.getAddress())),
      );
      expect(await d.coordinator.verifierOf(1)).to.equal(await d.tee.getAddress());
    });
  });

  describe("registerEnclave", function () {
    it("registers a key for the caller with EnclaveRegistered", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const key = Wallet.createRandom();
      const operator = await d.other.getAddress();
      await expect(registerEnclaveFor(d.tee, d.other, key, MEASUREMENT, "0xabcd"))
        .to.emit(d.tee, "EnclaveRegistered")
        .withArgs(operator, key.address, MEASUREMENT, 2n ** 64n - 1n);
      const e = await d.tee.getEnclave(key.address);
      // The development verifier's attestations never expire: stored as the uint40 maximum.
      expect([e.operator, e.validUntil, e.active, e.attestationEpoch, e.measurement]).to.deep.equal([
        operator,
        2n ** 40n - 1n,
        true,
        0n,
        MEASUREMENT,
      ]);
      const unknown = await d.tee.getEnclave(Wallet.createRandom().address);
      expect([unknown.operator, unknown.validUntil, unknown.active, unknown.measurement]).to.deep.equal([
        ZeroAddress,
        0n,
        false,
        ZeroHash,
      ]);
    });

    it("reverts TeeInvalidEnclaveKey, TeeEnclaveAlreadyRegistered and TeeAttestationRejected", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      await expect(d.tee.connect(d.other).registerEnclave(ZeroAddress, MEASUREMENT, "0x", "0x"))
        .to.be.revertedWithCustomError(d.tee, "TeeInvalidEnclaveKey")
        .withArgs(ZeroAddress);
      for (const s of [d.operator2, d.other]) {
        await expect(registerEnclaveFor(d.tee, s, d.enclave, MEASUREMENT))
          .to.be.revertedWithCustomError(d.tee, "TeeEnclaveAlreadyRegistered")
          .withArgs(d.enclave.address, await d.operator.getAddress());
      }
      const key = Wallet.createRandom();
      await expect(registerEnclaveFor(d.tee, d.other, key, OTHER_MEASUREMENT))
        .to.be.revertedWithCustomError(d.tee, "TeeAttestationRejected")
        .withArgs(key.address, OTHER_MEASUREMENT);
      // A revoked key stays revoked: even its own operator cannot register it again.
      await d.tee.connect(d.operator).revokeEnclave(d.enclave.address);
      await expect(registerEnclaveFor(d.tee, d.operator, d.enclave, MEASUREMENT))
        .to.be.revertedWithCustomError(d.tee, "TeeEnclaveNotActive")
        .withArgs(d.enclave.address);
    });

    it("TeeKeyPossessionNotProven: nobody can squat a key they do not hold", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const victimKey = Wallet.createRandom();
      const victim = await d.operator2.getAddress();
      const squatter = await d.other.getAddress();
      // The squatter has seen the key's address (and even its signature for the real operator)...
      const domain = registrationDomain(d.chainId, await d.tee.getAddress());
      const forVictim = await signEnclaveRegistration(victimKey, domain, victim);
      await expect(d.tee.connect(d.other).registerEnclave(victimKey.address, MEASUREMENT, "0x", forVictim))
        .to.be.revertedWithCustomError(d.tee, "TeeKeyPossessionNotProven")
        .withArgs(victimKey.address, anyValue);
      // ...or signs with its own key: neither proves possession of the victim's key.
      const own = await signEnclaveRegistration(Wallet.createRandom(), domain, squatter);
      await expect(d.tee.connect(d.other).registerEnclave(victimKey.address, MEASUREMENT, "0x", own))
        .to.be.revertedWithCustomError(d.tee, "TeeKeyPossessionNotProven")
        .withArgs(victimKey.address, anyValue);
      // A signature for another verifier or chain does not count either.
      for (const other of [
        registrationDomain(d.chainId, await d.coordinator.getAddress()),
        registrationDomain(d.chainId + 1n, await d.tee.getAddress()),
      ]) {
        const sig = await signEnclaveRegistration(victimKey, other, victim);
        await expect(d.tee.connect(d.operator2).registerEnclave(victimKey.address, MEASUREMENT, "0x", sig))
          .to.be.revertedWithCustomError(d.tee, "TeeKeyPossessionNotProven")
          .withArgs(victimKey.address, anyValue);
      }
      await expect(d.tee.connect(d.other).registerEnclave(victimKey.address, MEASUREMENT, "0x", "0x"))
        .to.be.revertedWithCustomError(d.tee, "TeeKeyPossessionNotProven")
        .withArgs(victimKey.address, ZeroAddress);
      // The holder registers for the real operator; the digest matches sdk/tee.ts.
      expect(await d.tee.registrationDigest(victim, victimKey.address)).to.equal(
        registrationDigest(domain, victim, victimKey.address),
      );
      await expect(d.tee.connect(d.operator2).registerEnclave(victimKey.address, MEASUREMENT, "0x", forVictim))
        .to.emit(d.tee, "EnclaveRegistered")
        .withArgs(victim, victimKey.address, MEASUREMENT, 2n ** 64n - 1n);
    });

    it("follows the attestation verifier's measurement approvals", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const key = Wallet.createRandom();
      await d.attestation.setMeasurementApproval(MEASUREMENT, false);
      await expect(registerEnclaveFor(d.tee, d.other, key, MEASUREMENT))
        .to.be.revertedWithCustomError(d.tee, "TeeAttestationRejected")
        .withArgs(key.address, MEASUREMENT);
      await d.attestation.setMeasurementApproval(OTHER_MEASUREMENT, true);
      await expect(registerEnclaveFor(d.tee, d.other, key, OTHER_MEASUREMENT))
        .to.emit(d.tee, "EnclaveRegistered")
        .withArgs(await d.other.getAddress(), key.address, OTHER_MEASUREMENT, 2n ** 64n - 1n);
    });
  });

  describe("trust withdrawn by governance stops payment at once", function () {
    it("TeeMeasurementRevoked: revoking a measurement stops every enclave registered under it", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const a = await openRequest(d);
      const b = await openRequest(d, { operator: await d.operator2.getAddress() });
      await d.attestation.setMeasurementApproval(MEASUREMENT, false);
      // Both operators' enclaves were registered under MEASUREMENT; neither was revoked one by one.
      expect((await d.tee.getEnclave(d.enclave.address)).active).to.equal(true);
      await expect(fulfilTee(d, a.request, OUTPUT))
        .to.be.revertedWithCustomError(d.tee, "TeeMeasurementRevoked")
        .withArgs(d.enclave.address, MEASUREMENT);
      await expect(fulfilTee(d, b.request, OUTPUT, d.operator2, d.enclave2))
        .to.be.revertedWithCustomError(d.tee, "TeeMeasurementRevoked")
        .withArgs(d.enclave2.address, MEASUREMENT);
      expect(await d.coordinator.balanceOf(await d.operator.getAddress())).to.equal(0n);
      // Approved again: payable again.
      await d.attestation.setMeasurementApproval(MEASUREMENT, true);
      await expect(fulfilTee(d, a.request, OUTPUT)).to.emit(d.coordinator, "InferenceFulfilled");
    });

    it("TeeAttestationVerifierReplaced: keys registered under a replaced attestation verifier stop being paid", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const a = await openRequest(d);
      // The new verifier approves the same measurement: only re-registration under it restores payment.
      const next = await ethers.deployContract("DevApprovedMeasurementAttestationVerifier", [
        await d.admin.getAddress(),
        [MEASUREMENT],
        false,
      ]);
      await expect(d.tee.connect(d.admin).setAttestationVerifier(await next.getAddress()))
        .to.emit(d.tee, "AttestationVerifierUpdated")
        .withArgs(await next.getAddress(), 1n);
      await expect(fulfilTee(d, a.request, OUTPUT))
        .to.be.revertedWithCustomError(d.tee, "TeeAttestationVerifierReplaced")
        .withArgs(d.enclave.address);
      const fresh = Wallet.createRandom();
      await registerEnclaveFor(d.tee, d.operator, fresh, MEASUREMENT);
      expect((await d.tee.getEnclave(fresh.address)).attestationEpoch).to.equal(1n);
      await expect(fulfilTee(d, a.request, OUTPUT, d.operator, fresh)).to.emit(d.coordinator, "InferenceFulfilled");
      // Its operator may also re-attest the old key under the new verifier: the same key pays again.
      const b = await openRequest(d);
      await expect(registerEnclaveFor(d.tee, d.operator, d.enclave, MEASUREMENT))
        .to.emit(d.tee, "EnclaveRegistered")
        .withArgs(await d.operator.getAddress(), d.enclave.address, MEASUREMENT, 2n ** 64n - 1n);
      expect((await d.tee.getEnclave(d.enclave.address)).attestationEpoch).to.equal(1n);
      await expect(fulfilTee(d, b.request, OUTPUT)).to.emit(d.coordinator, "InferenceFulfilled");
    });
  });

  describe("verify", function () {
    it("returns the enclave key as bytes32 and the coordinator records it", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const { request, requestId } = await openRequest(d);
      const operator = await d.operator.getAddress();
      const claim = await claimOf(d, request, requestId);
      const proof = await teeProof(d, request, OUTPUT, d.enclave, operator);
      const record = zeroPadValue(d.enclave.address, 32).toLowerCase();
      expect(await d.tee.verify(claim, proof)).to.equal(record);
      expect(await d.tee.recoverSigner(claim, proof)).to.equal(d.enclave.address);
      await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof))
        .to.emit(d.coordinator, "InferenceFulfilled")
        .withArgs(requestId, operator, keccak256(OUTPUT), record);
    });

    it("computes the same digest as sdk/tee.ts resultDigest", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const { request, requestId } = await openRequest(d);
      const claim = await claimOf(d, request, requestId);
      const domain = resultDomain(d.chainId, await d.coordinator.getAddress());
      expect(await d.tee.resultDigest(claim)).to.equal(resultDigest(domain, claim));
      const other = { ...claim, requestId: claim.requestId + 1n };
      expect(await d.tee.resultDigest(other)).to.equal(resultDigest(domain, other));
      expect(await d.tee.resultDigest(other)).to.not.equal(resultDigest(domain, claim));
    });

    it("reverts TeeInvalidSignature for a malformed signature", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const { request, requestId } = await openRequest(d);
      const claim = await claimOf(d, request, requestId);
      const good = await teeProof(d, request, OUTPUT, d.enclave, claim.operator);
      const sig = Signature.from(good);
      const badV = sig.r + sig.s.slice(2) + "1f"; // v = 31
      const highS = sig.r + (2n ** 256n - 1n).toString(16) + "1b";
      for (const proof of ["0x", "0x1234", good.slice(0, 130), badV, "0x" + "00".repeat(65), highS]) {
        expect(await d.tee.recoverSigner(claim, proof)).to.equal(ZeroAddress);
        await expect(d.tee.verify(claim, proof))
          .to.be.revertedWithCustomError(d.tee, "TeeInvalidSignature")
          .withArgs(requestId);
      }
      await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, "0x1234"))
        .to.be.revertedWithCustomError(d.tee, "TeeInvalidSignature")
        .withArgs(requestId);
    });

    it("a signature over another chain id, coordinator or request id does not verify as the operator", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const { request, requestId } = await openRequest(d);
      const operator = await d.operator.getAddress();
      const claim = await claimOf(d, request, requestId);
      const domain = resultDomain(d.chainId, await d.coordinator.getAddress());
      const overrides = [
        { chainId: d.chainId + 1n },
        { coordinator: await d.tee.getAddress() },
        { requestId: requestId + 1n },
      ];
      for (const o of overrides) {
        const proof = await teeProof(d, request, OUTPUT, d.enclave, operator, o);
        const recovered = recoverResultSigner(domain, claim, proof);
        expect(recovered).to.not.equal(d.enclave.address);
        expect(await d.tee.recoverSigner(claim, proof)).to.equal(recovered);
        await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof))
          .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
          .withArgs(recovered);
      }
      // A signature over another output does not verify either.
      const wrongOutput = await teeProof(d, request, OUTPUT_B, d.enclave, operator);
      await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, wrongOutput))
        .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
        .withArgs(recoverResultSigner(domain, claim, wrongOutput));
    });

    it("reverts TeeUnknownEnclave, TeeEnclaveNotActive and TeeEnclaveOperatorMismatch", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const { request, requestId } = await openRequest(d);
      const operator = await d.operator.getAddress();
      const operator2 = await d.operator2.getAddress();
      const claim = await claimOf(d, request, requestId);

      const stranger = Wallet.createRandom();
      await expect(d.tee.verify(claim, await teeProof(d, request, OUTPUT, stranger, operator)))
        .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
        .withArgs(stranger.address);

      // operator2's enclave signing a result submitted by operator.
      const proof2 = await teeProof(d, request, OUTPUT, d.enclave2, operator);
      await expect(d.tee.verify(claim, proof2))
        .to.be.revertedWithCustomError(d.tee, "TeeEnclaveOperatorMismatch")
        .withArgs(d.enclave2.address, operator, operator2);
      await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof2))
        .to.be.revertedWithCustomError(d.tee, "TeeEnclaveOperatorMismatch")
        .withArgs(d.enclave2.address, operator, operator2);

      await d.tee.connect(d.operator).revokeEnclave(d.enclave.address);
      const proof = await teeProof(d, request, OUTPUT, d.enclave, operator);
      await expect(d.tee.verify(claim, proof))
        .to.be.revertedWithCustomError(d.tee, "TeeEnclaveNotActive")
        .withArgs(d.enclave.address);
      await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof))
        .to.be.revertedWithCustomError(d.tee, "TeeEnclaveNotActive")
        .withArgs(d.enclave.address);
    });
  });

  describe("revokeEnclave", function () {
    it("by the operator", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const operator = await d.operator.getAddress();
      await expect(d.tee.connect(d.operator).revokeEnclave(d.enclave.address))
        .to.emit(d.tee, "EnclaveRevoked")
        .withArgs(operator, d.enclave.address, operator);
      const e = await d.tee.getEnclave(d.enclave.address);
      expect([e.operator, e.active]).to.deep.equal([operator, false]);
      await expect(d.tee.connect(d.operator).revokeEnclave(d.enclave.address))
        .to.be.revertedWithCustomError(d.tee, "TeeEnclaveNotActive")
        .withArgs(d.enclave.address);
    });

    it("by the admin", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      await expect(d.tee.connect(d.admin).revokeEnclave(d.enclave2.address))
        .to.emit(d.tee, "EnclaveRevoked")
        .withArgs(await d.operator2.getAddress(), d.enclave2.address, await d.admin.getAddress());
      expect((await d.tee.getEnclave(d.enclave2.address)).active).to.equal(false);
    });

    it("reverts TeeNotRevoker for anyone else and TeeUnknownEnclave for an unknown key", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      for (const s of [d.other, d.operator2, d.requester]) {
        await expect(d.tee.connect(s).revokeEnclave(d.enclave.address))
          .to.be.revertedWithCustomError(d.tee, "TeeNotRevoker")
          .withArgs(await s.getAddress(), d.enclave.address);
      }
      const key = Wallet.createRandom().address;
      await expect(d.tee.connect(d.admin).revokeEnclave(key))
        .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
        .withArgs(key);
      expect((await d.tee.getEnclave(d.enclave.address)).active).to.equal(true);
    });
  });

  describe("reportEquivocation", function () {
    it("slashes, jails and revokes for two outputs signed for one request; the penalty goes to the treasury", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const { requestId, operator, a, b, sigA, sigB } = await equivocation(d);
      const reporter = await d.other.getAddress();
      const treasury = await d.treasury.getAddress();
      expect(await d.tee.connect(d.other).reportEquivocation.staticCall(a, sigA, b, sigB)).to.equal(MIN_STAKE);

      const tx = d.tee.connect(d.other).reportEquivocation(a, sigA, b, sigB);
      await expect(tx)
        .to.emit(d.staking, "Slashed")
        .withArgs(operator, SLASH_EQUIVOCATION, ZeroAddress, MIN_STAKE, 0n, MIN_STAKE, true);
      await expect(tx)
        .to.emit(d.tee, "EquivocationReported")
        .withArgs(requestId, d.enclave.address, operator, reporter, keccak256(OUTPUT), keccak256(OUTPUT_B), MIN_STAKE);
      await expect(tx).to.emit(d.tee, "EnclaveRevoked").withArgs(operator, d.enclave.address, reporter);

      const s = await d.staking.stakeOf(operator);
      expect([s.staked, s.unbonding, s.jailed]).to.deep.equal([0n, 0n, true]);
      expect(await d.staking.isEligible(operator)).to.equal(false);
      expect((await d.tee.getEnclave(d.enclave.address)).active).to.equal(false);
      expect(await d.staking.claimableOf(reporter)).to.equal(0n);
      expect(await d.staking.claimableOf(treasury)).to.equal(MIN_STAKE);
      await expect(d.staking.connect(d.treasury).claimSlashed(treasury)).to.changeTokenBalances(
        ethers,
        d.token,
        [d.treasury],
        [MIN_STAKE],
      );

      // The same pair again: the enclave was already punished.
      await expect(d.tee.connect(d.requester).reportEquivocation(a, sigA, b, sigB))
        .to.be.revertedWithCustomError(d.tee, "TeeEnclaveAlreadyPunished")
        .withArgs(d.enclave.address);
      expect((await d.tee.getEnclave(d.enclave.address)).equivocated).to.equal(true);
    });

    it("still slashes when the operator revoked its enclave before the report", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const { operator, a, b, sigA, sigB } = await equivocation(d);
      await d.tee.connect(d.operator).revokeEnclave(d.enclave.address);
      const tx = d.tee.connect(d.other).reportEquivocation(a, sigA, b, sigB);
      await expect(tx)
        .to.emit(d.staking, "Slashed")
        .withArgs(operator, SLASH_EQUIVOCATION, ZeroAddress, MIN_STAKE, 0n, MIN_STAKE, true);
      await expect(tx).to.not.emit(d.tee, "EnclaveRevoked");
    });

    it("self-reporting is unprofitable: an offender front-running from a second address recovers nothing", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const { operator, a, b, sigA, sigB } = await equivocation(d);
      // The offender's second address (d.other) reports first.
      const second = await d.other.getAddress();
      const before = (await d.token.balanceOf(second)) + (await d.token.balanceOf(operator));
      await expect(d.tee.connect(d.other).reportEquivocation(a, sigA, b, sigB))
        .to.emit(d.staking, "Slashed")
        .withArgs(operator, SLASH_EQUIVOCATION, ZeroAddress, MIN_STAKE, 0n, MIN_STAKE, true);
      expect(await d.staking.claimableOf(second)).to.equal(0n);
      expect(await d.staking.claimableOf(operator)).to.equal(0n);
      await expect(d.staking.connect(d.other).claimSlashed(second))
        .to.be.revertedWithCustomError(d.staking, "StakingNothingToClaim")
        .withArgs(second);
      expect((await d.token.balanceOf(second)) + (await d.token.balanceOf(operator))).to.equal(before);
      expect(await d.staking.claimableOf(await d.treasury.getAddress())).to.equal(MIN_STAKE);
    });

    it("takes at most the penalty when the operator staked more", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      await d.token.connect(d.operator).approve(await d.staking.getAddress(), 500n * E18);
      await d.staking.connect(d.operator).stake(500n * E18);
      const { operator, a, b, sigA, sigB } = await equivocation(d);
      await expect(d.tee.connect(d.other).reportEquivocation(a, sigA, b, sigB))
        .to.emit(d.staking, "Slashed")
        .withArgs(operator, SLASH_EQUIVOCATION, ZeroAddress, PENALTY, 0n, PENALTY, true);
      expect((await d.staking.stakeOf(operator)).staked).to.equal(MIN_STAKE + 500n * E18 - PENALTY);
    });

    it("reverts TeeNotEquivocation for the same output or different requests", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const { requestId, a, b, sigA, domain } = await equivocation(d);
      await expect(d.tee.reportEquivocation(a, sigA, a, sigA))
        .to.be.revertedWithCustomError(d.tee, "TeeNotEquivocation")
        .withArgs(requestId, requestId);
      const c = { ...b, requestId: requestId + 1n };
      const sigC = await signResult(d.enclave, domain, c);
      await expect(d.tee.reportEquivocation(a, sigA, c, sigC))
        .to.be.revertedWithCustomError(d.tee, "TeeNotEquivocation")
        .withArgs(requestId, requestId + 1n);
    });

    it("reverts TeeDifferentSigners, TeeInvalidSignature and TeeUnknownEnclave", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const { a, b, sigA, domain } = await equivocation(d);
      const sigB2 = await signResult(d.enclave2, domain, b);
      await expect(d.tee.reportEquivocation(a, sigA, b, sigB2))
        .to.be.revertedWithCustomError(d.tee, "TeeDifferentSigners")
        .withArgs(d.enclave.address, d.enclave2.address);
      await expect(d.tee.reportEquivocation(a, "0x1234", b, sigB2))
        .to.be.revertedWithCustomError(d.tee, "TeeInvalidSignature")
        .withArgs(a.requestId);
      await expect(d.tee.reportEquivocation(a, sigA, b, "0x"))
        .to.be.revertedWithCustomError(d.tee, "TeeInvalidSignature")
        .withArgs(b.requestId);
      const stranger = Wallet.createRandom();
      await expect(
        d.tee.reportEquivocation(a, await signResult(stranger, domain, a), b, await signResult(stranger, domain, b)),
      )
        .to.be.revertedWithCustomError(d.tee, "TeeUnknownEnclave")
        .withArgs(stranger.address);
    });
  });

  describe("governance", function () {
    it("setAttestationVerifier updates with AttestationVerifierUpdated and rejects zero", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const next = await ethers.deployContract("DevApprovedMeasurementAttestationVerifier", [
        await d.admin.getAddress(),
        [OTHER_MEASUREMENT],
        false,
      ]);
      await expect(d.tee.connect(d.admin).setAttestationVerifier(await next.getAddress()))
        .to.emit(d.tee, "AttestationVerifierUpdated")
        .withArgs(await next.getAddress(), 1n);
      expect(await d.tee.attestationVerifier()).to.equal(await next.getAddress());
      expect(await d.tee.attestationEpoch()).to.equal(1n);
      const key = Wallet.createRandom();
      await expect(registerEnclaveFor(d.tee, d.other, key, MEASUREMENT))
        .to.be.revertedWithCustomError(d.tee, "TeeAttestationRejected")
        .withArgs(key.address, MEASUREMENT);
      await expect(d.tee.connect(d.admin).setAttestationVerifier(ZeroAddress))
        .to.be.revertedWithCustomError(d.tee, "TeeInvalidAttestationVerifier")
        .withArgs(ZeroAddress);
    });

    it("setEquivocationPenalty updates with EquivocationPenaltyUpdated and rejects 0 and > uint96", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      await expect(d.tee.connect(d.admin).setEquivocationPenalty(MAX_UINT96))
        .to.emit(d.tee, "EquivocationPenaltyUpdated")
        .withArgs(MAX_UINT96);
      expect(await d.tee.equivocationPenalty()).to.equal(MAX_UINT96);
      for (const p of [0n, MAX_UINT96 + 1n]) {
        await expect(d.tee.connect(d.admin).setEquivocationPenalty(p))
          .to.be.revertedWithCustomError(d.tee, "TeePenaltyOutOfRange")
          .withArgs(p, MAX_UINT96);
      }
    });

    it("admin functions revert AccessControlUnauthorizedAccount for others", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      for (const s of [d.other, d.operator]) {
        const who = await s.getAddress();
        await expect(d.tee.connect(s).setAttestationVerifier(who))
          .to.be.revertedWithCustomError(d.tee, "AccessControlUnauthorizedAccount")
          .withArgs(who, DEFAULT_ADMIN_ROLE);
        await expect(d.tee.connect(s).setEquivocationPenalty(1n))
          .to.be.revertedWithCustomError(d.tee, "AccessControlUnauthorizedAccount")
          .withArgs(who, DEFAULT_ADMIN_ROLE);
      }
    });

    it("cannot slash without SLASHER_ROLE on the staking contract", async function () {
      const d = await networkHelpers.loadFixture(fixture);
      const role = await d.staking.SLASHER_ROLE();
      await d.staking.connect(d.admin).revokeRole(role, await d.tee.getAddress());
      const { a, b, sigA, sigB } = await equivocation(d);
      await expect(d.tee.connect(d.other).reportEquivocation(a, sigA, b, sigB))
        .to.be.revertedWithCustomError(d.staking, "AccessControlUnauthorizedAccount")
        .withArgs(await d.tee.getAddress(), role);
    });
  });
});
