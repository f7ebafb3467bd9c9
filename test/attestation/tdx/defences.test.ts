import { expect } from "chai";
import { keccak256 } from "ethers";

import { tdxReportData } from "@verity-ai/sdk/tdx";

import { ALL_BUT_REVOKED, at, chainAt } from "./helpers.ts";
import { crl, qeIdentity, quote, tcbInfo, testPki } from "./pki.ts";
import type { TestPki } from "./pki.ts";

const START = "2025-09-01T00:00:00Z";
const rd = (tag: string) => Buffer.concat([Buffer.from(keccak256(Buffer.from(tag)).slice(2), "hex"), Buffer.alloc(32)]);

/** A verifier pinned to `pki`'s root with the chosen collateral pushed. */
async function verifierFor(pki: TestPki, opts: { tcb?: ReturnType<typeof tcbInfo> | null; qe?: boolean } = {}) {
  const chain = await chainAt(new Date(pki.now * 1000).toISOString());
  const v = await chain.deploy(pki.root.cert);
  await (await v.pushCrl(crl(pki.root, pki.now - 60, pki.now + 86_400 * 30), "0x")).wait();
  await (await v.pushCrl(crl(pki.ca, pki.now - 60, pki.now + 86_400 * 30), pki.ca.cert)).wait();
  const t = opts.tcb === undefined ? tcbInfo(pki) : opts.tcb;
  if (t) await (await v.pushTcbInfo(t.body, t.signature, pki.signer.cert)).wait();
  if (opts.qe !== false) {
    const q = qeIdentity(pki);
    await (await v.pushQeIdentity(q.body, q.signature, pki.signer.cert)).wait();
  }
  return { ...chain, v };
}

describe("TdxAttestationVerifier: every check, through the test PKI", function () {
  const pki = testPki(at(START));

  it("refuses a root that is not self-signed at deployment", async function () {
    const chain = await chainAt(START);
    const factory = await chain.ethers.getContractFactory("TdxAttestationVerifier", { libraries: chain.libraries });
    await expect(factory.deploy(chain.admin.address, pki.ca.cert, ALL_BUT_REVOKED))
      .to.be.revertedWithCustomError(factory, "TdxCertificateSignatureInvalid")
      .withArgs(2);
  });

  it("rejects unsupported body and certification data types", async function () {
    const { v } = await verifierFor(pki);
    await expect(v.verifyQuote(quote(pki, { reportData: rd("b"), bodyType: 4 })))
      .to.be.revertedWithCustomError(v, "TdxUnsupportedBodyType")
      .withArgs(4, 648);
    const q = quote(pki, { reportData: rd("c") });
    q[54 + 648 + 4 + 128] = 7; // certification data type 6 → 7
    await expect(v.verifyQuote(q))
      .to.be.revertedWithCustomError(v, "TdxUnsupportedCertificationDataType")
      .withArgs(7, 6);
  });

  it("requires the collateral a quote needs: QE identity, then TCB info for its FMSPC", async function () {
    const noQe = await verifierFor(pki, { qe: false });
    await expect(noQe.v.verifyQuote(quote(pki, { reportData: rd("q") })))
      .to.be.revertedWithCustomError(noQe.v, "TdxCollateralMissing")
      .withArgs(2);
    const otherFmspc = await verifierFor(pki, { tcb: tcbInfo(pki, { fmspc: "00A06F000001" }) });
    await expect(otherFmspc.v.verifyQuote(quote(pki, { reportData: rd("t") })))
      .to.be.revertedWithCustomError(otherFmspc.v, "TdxTcbInfoMissing")
      .withArgs("0x00a06f000000");
  });

  it("rejects a QE that is not the identity's, or below its levels", async function () {
    const { v } = await verifierFor(pki);
    await expect(v.verifyQuote(quote(pki, { reportData: rd("p"), qeProdId: 1 }))).to.be.revertedWithCustomError(
      v,
      "TdxQeIdentityMismatch",
    );
    await expect(v.verifyQuote(quote(pki, { reportData: rd("s"), qeIsvSvn: 5 })))
      .to.be.revertedWithCustomError(v, "TdxQeTcbNotFound")
      .withArgs(5);
  });

  it("rejects a TDX module signed by another signer, and a platform below every TCB level", async function () {
    const { v } = await verifierFor(pki, {
      tcb: tcbInfo(pki, { tdxSvn: [5, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], withOutOfDateLevel: false }),
    });
    await expect(v.verifyQuote(quote(pki, { reportData: rd("m"), mrSignerSeam: Buffer.alloc(48, 1) })))
      .to.be.revertedWithCustomError(v, "TdxModuleMismatch")
      .withArgs(1);
    // TEE TCB SVN component 2 is 2; the only level needs 3.
    await expect(v.verifyQuote(quote(pki, { reportData: rd("l") })))
      .to.be.revertedWithCustomError(v, "TdxTcbLevelNotFound")
      .withArgs("0x00a06f000000");
  });

  it("judges module version 0 by tdxModule, and refuses a platform whose SGX TCB level Intel revoked", async function () {
    const { v } = await verifierFor(pki);
    await expect(
      v.verifyQuote(quote(pki, { reportData: rd("m0"), teeTcbSvn: [5, 0, 2], mrSignerSeam: Buffer.alloc(48, 1) })),
    )
      .to.be.revertedWithCustomError(v, "TdxModuleMismatch")
      .withArgs(0);
    // The first level the PCK's SGX TCB meets is Revoked (its TDX requirement is out of reach):
    // the OutOfDate level below must not rescue it.
    const revoked = await verifierFor(pki, {
      tcb: tcbInfo(pki, { tdxSvn: [5, 1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], firstStatus: "Revoked" }),
    });
    await expect(revoked.v.verifyQuote(quote(pki, { reportData: rd("r") })))
      .to.be.revertedWithCustomError(revoked.v, "TdxTcbStatusNotAccepted")
      .withArgs(6);
  });

  it("rejects a PCK certificate without the SGX extension, and one past its not-after", async function () {
    const bare = testPki(at(START), { pckWithoutSgxExtension: true });
    const a = await verifierFor(bare);
    await expect(a.v.verifyQuote(quote(bare, { reportData: rd("x") }))).to.be.revertedWithCustomError(
      a.v,
      "TdxMissingSgxExtension",
    );
    const short = testPki(at(START), { pckValidity: { from: at(START) - 60, to: at(START) + 600 } });
    const b = await verifierFor(short);
    const q = quote(short, { reportData: rd("e") });
    await b.v.verifyQuote(q);
    await b.conn.networkHelpers.time.increaseTo(at(START) + 601);
    await expect(b.v.verifyQuote(q))
      .to.be.revertedWithCustomError(b.v, "TdxCertificateExpired")
      .withArgs(0, at(START) + 600);
  });

  it("refuses CRLs and collateral that are stale, malformed or not JSON", async function () {
    const { v } = await verifierFor(pki);
    await expect(v.pushCrl(crl(pki.ca, pki.now - 7200, pki.now - 3600), pki.ca.cert))
      .to.be.revertedWithCustomError(v, "TdxCrlOutsideValidity")
      .withArgs(pki.now - 7200, pki.now - 3600);
    await expect(v.pushCrl("0x0102", "0x")).to.be.revertedWithCustomError(v, "TdxMalformedDer").withArgs(0);
    const { createSign } = await import("node:crypto");
    const body = Buffer.from('{"id":"TDX","version":3');
    const signature = createSign("sha256").update(body).sign({ key: pki.signer.key, dsaEncoding: "ieee-p1363" });
    await expect(v.pushTcbInfo(body, signature, pki.signer.cert))
      .to.be.revertedWithCustomError(v, "TdxCollateralMalformed")
      .withArgs(1, body.length);
    // A CA certificate that the root did not sign cannot vouch for a CRL.
    const stranger = testPki(at(START));
    await expect(v.pushCrl(crl(stranger.ca, pki.now - 30, pki.now + 3600), stranger.ca.cert))
      .to.be.revertedWithCustomError(v, "TdxCertificateSignatureInvalid")
      .withArgs(1);
  });

  it("verifyAttestation binds the caller as consumer and the claimed measurement", async function () {
    const { v, operator, other } = await verifierFor(pki);
    const chainId = 31337n;
    const key = other.address;
    const q = quote(pki, {
      reportData: tdxReportData(chainId, await v.getAddress(), other.address, operator.address, key),
    });
    const measurement = (await v.verifyQuote(q)).measurement;
    await (await v.setMeasurementApproval(measurement, true)).wait();
    // Accepted, valid until the quote's expiry (what TeeVerifier stores with the enclave).
    const expiry = (await v.verifyQuote(q)).expiry;
    expect(await v.connect(other).verifyAttestation(operator.address, key, measurement, q)).to.deep.equal([
      true,
      expiry,
    ]);
    const wrong = keccak256("0x01");
    await expect(v.connect(other).verifyAttestation(operator.address, key, wrong, q))
      .to.be.revertedWithCustomError(v, "TdxMeasurementMismatch")
      .withArgs(wrong, measurement);
    // The same quote presented by another consumer does not bind.
    await expect(
      v.connect(operator).verifyAttestation(operator.address, key, measurement, q),
    ).to.be.revertedWithCustomError(v, "TdxReportDataMismatch");
    expect(await v.isMeasurementApproved(measurement)).to.equal(true);
  });

  it("keeps governance to its roles and refuses the zero measurement", async function () {
    const { v, other } = await verifierFor(pki);
    const role = await v.MEASUREMENT_MANAGER_ROLE();
    await expect(v.connect(other).setMeasurementApproval(keccak256("0x02"), true))
      .to.be.revertedWithCustomError(v, "AccessControlUnauthorizedAccount")
      .withArgs(other.address, role);
    await expect(v.connect(other).setAcceptedTcbStatuses(1))
      .to.be.revertedWithCustomError(v, "AccessControlUnauthorizedAccount")
      .withArgs(other.address, "0x" + "00".repeat(32));
    await expect(v.setMeasurementApproval("0x" + "00".repeat(32), true))
      .to.be.revertedWithCustomError(v, "TdxInvalidMeasurement")
      .withArgs("0x" + "00".repeat(32));
    await expect(v.setAcceptedTcbStatuses(1)).to.emit(v, "TdxAcceptedTcbStatusesUpdated").withArgs(1);
    expect(await v.acceptedTcbStatuses()).to.equal(1n);
  });
});
