import { rejects } from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { Wallet, keccak256 } from "ethers";

import { TdxVerificationError, tdxReportData, verifyTdxQuote } from "@verity-ai/sdk/tdx";
import { TdxConfigfsQuoteProvider } from "../../../worker/attestation/tdx-configfs.ts";
import { OUTPUT, deployVerity, openRequest, teeProof } from "../../helpers/fixture.ts";

import { ALL_BUT_REVOKED, at, chainAt, vectorSet } from "./helpers.ts";
import { CA_USAGE, SIGNER_USAGE, crl, qeIdentity, quote, tcbInfo, testPki } from "./pki.ts";
import { fakeTsm } from "./tsm.ts";
import type { TestPki } from "./pki.ts";
import { registrationDomain, signEnclaveRegistration } from "@verity-ai/sdk";

const START = "2025-09-01T00:00:00Z";

/** A verifier pinned to a fresh test root, with the test PKI's collateral pushed. */
async function testVerifier(iso = START, opts: Parameters<typeof testPki>[1] = {}) {
  const chain = await chainAt(iso);
  const pki = testPki(at(iso), opts);
  const v = await chain.deploy(pki.root.cert);
  await (await v.pushCrl(crl(pki.root, pki.now - 60, pki.now + 86_400 * 30), "0x")).wait();
  await (await v.pushCrl(crl(pki.ca, pki.now - 60, pki.now + 86_400 * 30), pki.ca.cert)).wait();
  const t = tcbInfo(pki);
  await (await v.pushTcbInfo(t.body, t.signature, pki.signer.cert)).wait();
  const q = qeIdentity(pki);
  await (await v.pushQeIdentity(q.body, q.signature, pki.signer.cert)).wait();
  return { ...chain, v, pki };
}

const sdkCollateral = (pki: TestPki, pckCrl = crl(pki.ca, pki.now - 60, pki.now + 86_400 * 30)) => ({
  rootCrl: crl(pki.root, pki.now - 60, pki.now + 86_400 * 30),
  pckCrl,
  tcbInfo: tcbInfo(pki),
  qeIdentity: qeIdentity(pki),
  tcbSigningCert: pki.signer.cert,
});

const reportData = (tag: string) =>
  Buffer.concat([Buffer.from(keccak256(Buffer.from(tag)).slice(2), "hex"), Buffer.alloc(32)]);

describe("TDX: synthetic quotes through a test PKI", function () {
  it("verifies v5 and v4 quotes signed through the test PKI, on-chain and in the SDK", async function () {
    const { v, pki, ethers } = await testVerifier();
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    for (const version of [5, 4] as const) {
      const rd = reportData(`v${version}`);
      const q = quote(pki, { reportData: rd, version });
      const a = await v.verifyQuote(q);
      expect(a.version).to.equal(BigInt(version));
      expect(a.reportData).to.equal("0x" + rd.toString("hex"));
      expect(a.fmspc).to.equal("0x00a06f000000");
      expect(a.pceSvn).to.equal(13n);
      expect(a.tcbStatus).to.equal(0n);
      expect(a.pckSerialHash).to.equal(keccak256(pki.pck.serial));
      const s = verifyTdxQuote(q, sdkCollateral(pki), {
        rootCert: pki.root.cert,
        acceptedTcbStatuses: ALL_BUT_REVOKED,
        now,
      });
      expect(s.measurement).to.equal(a.measurement);
      expect(s.expiry).to.equal(Number(a.expiry));
      expect(s.chain.map((c) => c.subject)).to.deep.equal([
        "CN=Test SGX PCK Certificate",
        "CN=Test SGX PCK Platform CA",
        "CN=Test SGX Root CA",
      ]);
    }
  });

  it("rejects Intel's real quote on a verifier pinned to another root (TdxUntrustedRoot)", async function () {
    const { v } = await testVerifier("2025-06-15T00:00:00Z");
    const real = vectorSet("2025-06").quote;
    const text = Buffer.from(real).toString("latin1");
    const last = text.lastIndexOf("-----BEGIN CERTIFICATE-----\n") + 28;
    const root = Buffer.from(text.slice(last, text.indexOf("-----END", last)).replace(/\n/g, ""), "base64");
    await expect(v.verifyQuote(real)).to.be.revertedWithCustomError(v, "TdxUntrustedRoot").withArgs(keccak256(root));
  });

  it("rejects a PCK certificate revoked by a newer CRL of its CA, on-chain and in the SDK", async function () {
    const { v, pki, ethers } = await testVerifier();
    const q = quote(pki, { reportData: reportData("revoked") });
    await v.verifyQuote(q); // accepted before the revocation
    const revoking = crl(pki.ca, pki.now - 30, pki.now + 86_400 * 30, [pki.pck.serial]);
    await expect(v.pushCrl(revoking, pki.ca.cert)).to.emit(v, "TdxCrlAccepted");
    await expect(v.verifyQuote(q))
      .to.be.revertedWithCustomError(v, "TdxCertificateRevoked")
      .withArgs(0, keccak256(pki.pck.serial));
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    expect(() =>
      verifyTdxQuote(q, sdkCollateral(pki, revoking), {
        rootCert: pki.root.cert,
        acceptedTcbStatuses: ALL_BUT_REVOKED,
        now,
      }),
    ).to.throw("revoked");
  });

  it("rejects TCB info for another PCE than the PCK certificate's (TdxPceIdMismatch), on-chain and in the SDK", async function () {
    const { v, pki, ethers } = await testVerifier();
    const q = quote(pki, { reportData: reportData("pce") });
    await v.verifyQuote(q); // the PKI's own TCB info (pceId 0000) matches the PCK's PCE ID
    const other = tcbInfo(pki, { pceId: "0001", issue: pki.now - 1800 });
    await (await v.pushTcbInfo(other.body, other.signature, pki.signer.cert)).wait();
    await expect(v.verifyQuote(q)).to.be.revertedWithCustomError(v, "TdxPceIdMismatch").withArgs("0x0001", "0x0000");
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    expect(() =>
      verifyTdxQuote(
        q,
        { ...sdkCollateral(pki), tcbInfo: other },
        { rootCert: pki.root.cert, acceptedTcbStatuses: ALL_BUT_REVOKED, now },
      ),
    )
      .to.throw(TdxVerificationError, "another PCE")
      .with.property("check", "TdxPceIdMismatch");
  });

  it("refuses certificates whose basic constraints or key usage forbid their use (TdxCertificateUsageInvalid)", async function () {
    const policy = (pki: TestPki, now: number) => ({
      rootCert: pki.root.cert,
      acceptedTcbStatuses: ALL_BUT_REVOKED,
      now,
    });
    // A PCK certificate that is a CA: refused on-chain and in the SDK.
    {
      const { v, pki, ethers } = await testVerifier(START, { usage: { pck: CA_USAGE } });
      const q = quote(pki, { reportData: reportData("pck-ca") });
      await expect(v.verifyQuote(q)).to.be.revertedWithCustomError(v, "TdxCertificateUsageInvalid").withArgs(0);
      const now = (await ethers.provider.getBlock("latest"))!.timestamp;
      expect(() => verifyTdxQuote(q, sdkCollateral(pki), policy(pki, now)))
        .to.throw(TdxVerificationError)
        .with.property("check", "TdxCertificateUsageInvalid");
    }
    // An intermediate "CA" without cA / keyCertSign: its CRL is refused, and the SDK refuses the chain.
    {
      const chain = await chainAt(START);
      const pki = testPki(at(START), { usage: { ca: SIGNER_USAGE } });
      const v = await chain.deploy(pki.root.cert);
      await (await v.pushCrl(crl(pki.root, pki.now - 60, pki.now + 86_400), "0x")).wait();
      await expect(v.pushCrl(crl(pki.ca, pki.now - 60, pki.now + 86_400), pki.ca.cert))
        .to.be.revertedWithCustomError(v, "TdxCertificateUsageInvalid")
        .withArgs(1);
      const q = quote(pki, { reportData: reportData("ca-not-ca") });
      expect(() => verifyTdxQuote(q, sdkCollateral(pki), policy(pki, pki.now)))
        .to.throw(TdxVerificationError)
        .with.property("args")
        .that.deep.equals([1]);
      // Nor may the TCB signing certificate issue CRLs.
      await expect(v.pushCrl(crl(pki.signer, pki.now - 60, pki.now + 86_400), pki.signer.cert))
        .to.be.revertedWithCustomError(v, "TdxCertificateUsageInvalid")
        .withArgs(1);
    }
    // A TCB signing certificate that is a CA may not sign collateral.
    {
      const chain = await chainAt(START);
      const pki = testPki(at(START), { usage: { signer: CA_USAGE } });
      const v = await chain.deploy(pki.root.cert);
      await (await v.pushCrl(crl(pki.root, pki.now - 60, pki.now + 86_400), "0x")).wait();
      const t = tcbInfo(pki);
      await expect(v.pushTcbInfo(t.body, t.signature, pki.signer.cert))
        .to.be.revertedWithCustomError(v, "TdxCertificateUsageInvalid")
        .withArgs(1);
    }
  });

  it("rejects a debug TD (TdxDebugTd) and a module below every module identity level", async function () {
    const { v, pki } = await testVerifier();
    const debug = quote(pki, { reportData: reportData("debug"), tdAttributes: Buffer.from("0100001000000000", "hex") });
    await expect(v.verifyQuote(debug)).to.be.revertedWithCustomError(v, "TdxDebugTd").withArgs("0x0100001000000000");
    const old = quote(pki, { reportData: reportData("old"), teeTcbSvn: [3, 1, 2] });
    await expect(v.verifyQuote(old)).to.be.revertedWithCustomError(v, "TdxModuleTcbNotFound").withArgs(1, 3);
  });
});

describe("TDX: register → serve → verify through configfs-tsm", function () {
  it("registers an enclave key with a quote from the configfs provider, then pays for its signed result", async function () {
    const { conn, v, pki, ethers } = await testVerifier();
    const d = await deployVerity(conn);
    const tee = d.tee;
    await (await tee.connect(d.admin).setAttestationVerifier(await v.getAddress())).wait();
    const operator = await d.operator.getAddress();
    const enclave = Wallet.createRandom();
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const tsm = await fakeTsm(pki);
    try {
      const provider = new TdxConfigfsQuoteProvider({ baseDir: tsm.base, entryName: "verity" });
      const served = tsm.serveOnce();
      const q = await provider.getBindingQuote({
        chainId,
        verifier: await v.getAddress(),
        consumer: await tee.getAddress(),
        operator,
        enclaveKey: enclave.address,
      });
      await served;
      expect(Buffer.from(q.subarray(54 + 520, 54 + 584))).to.deep.equal(
        Buffer.from(tdxReportData(chainId, await v.getAddress(), await tee.getAddress(), operator, enclave.address)),
      );
      const measurement = (await v.verifyQuote(q)).measurement;
      // The enclave key's proof of possession, for an operator on this TeeVerifier.
      const domain = registrationDomain(chainId, await tee.getAddress());
      const possession = (who: string) => signEnclaveRegistration(enclave, domain, who);

      // Not approved yet: the TDX verifier's reason surfaces through TeeVerifier.
      await expect(tee.connect(d.operator).registerEnclave(enclave.address, measurement, q, await possession(operator)))
        .to.be.revertedWithCustomError(v, "TdxMeasurementNotApproved")
        .withArgs(measurement);
      await (await v.setMeasurementApproval(measurement, true)).wait();
      // Another operator cannot use this quote, even holding the key: the report data binds the operator.
      const operator2 = await d.operator2.getAddress();
      await expect(
        tee.connect(d.operator2).registerEnclave(enclave.address, measurement, q, await possession(operator2)),
      ).to.be.revertedWithCustomError(v, "TdxReportDataMismatch");
      const expiry = (await v.verifyQuote(q)).expiry;
      await expect(tee.connect(d.operator).registerEnclave(enclave.address, measurement, q, await possession(operator)))
        .to.emit(tee, "EnclaveRegistered")
        .withArgs(operator, enclave.address, measurement, expiry);
      expect((await tee.getEnclave(enclave.address)).validUntil).to.equal(expiry);

      const { request } = await openRequest(d);
      const proof = await teeProof(d, request, OUTPUT, enclave, operator);
      await expect(d.coordinator.connect(d.operator).fulfill(request, OUTPUT, proof)).to.emit(
        d.coordinator,
        "InferenceFulfilled",
      );

      // The collateral's next update passes: the registration's attestation expires with it.
      await conn.networkHelpers.time.increaseTo(expiry);
      const late = await openRequest(d);
      const lateProof = await teeProof(d, late.request, OUTPUT, enclave, operator);
      const before = await d.coordinator.balanceOf(operator);
      await expect(d.coordinator.connect(d.operator).fulfill(late.request, OUTPUT, lateProof))
        .to.be.revertedWithCustomError(tee, "TeeAttestationExpired")
        .withArgs(enclave.address, expiry);
      // The stale quote cannot renew it: its collateral is no longer current.
      await expect(tee.connect(d.operator).registerEnclave(enclave.address, measurement, q, await possession(operator)))
        .to.be.revertedWithCustomError(v, "TdxCrlExpired")
        .withArgs(anyValue, expiry);

      // Fresh collateral, then a fresh quote from configfs: the same key is registered again and paid.
      const now = Number(expiry) + 60;
      await conn.networkHelpers.time.increaseTo(now);
      const fresh = { ...pki, now };
      await (await v.pushCrl(crl(pki.root, now - 60, now + 86_400 * 30), "0x")).wait();
      await (await v.pushCrl(crl(pki.ca, now - 60, now + 86_400 * 30), pki.ca.cert)).wait();
      const t = tcbInfo(fresh);
      await (await v.pushTcbInfo(t.body, t.signature, pki.signer.cert)).wait();
      const qe = qeIdentity(fresh);
      await (await v.pushQeIdentity(qe.body, qe.signature, pki.signer.cert)).wait();
      const servedAgain = tsm.serveOnce();
      const q2 = await provider.getBindingQuote({
        chainId,
        verifier: await v.getAddress(),
        consumer: await tee.getAddress(),
        operator,
        enclaveKey: enclave.address,
      });
      await servedAgain;
      const expiry2 = (await v.verifyQuote(q2)).expiry;
      expect(expiry2).to.be.greaterThan(expiry);
      await expect(
        tee.connect(d.operator).registerEnclave(enclave.address, measurement, q2, await possession(operator)),
      )
        .to.emit(tee, "EnclaveRegistered")
        .withArgs(operator, enclave.address, measurement, expiry2);
      // The refused result was not lost: the same request, still open, is paid now.
      await expect(d.coordinator.connect(d.operator).fulfill(late.request, OUTPUT, lateProof))
        .to.emit(d.coordinator, "InferenceFulfilled")
        .withArgs(late.requestId, operator, keccak256(OUTPUT), anyValue);
      expect((await d.coordinator.balanceOf(operator)) - before).to.equal(
        late.request.fee - late.request.royalty - late.request.protocolFee,
      );
    } finally {
      await tsm.cleanup();
    }
  });

  it("refuses report data that is not 64 bytes, and a TSM that is not TDX", async function () {
    const tsm = await fakeTsm(testPki(at(START)));
    try {
      const provider = new TdxConfigfsQuoteProvider({ baseDir: tsm.base, entryName: "verity" });
      await rejects(provider.getQuote(new Uint8Array(32)), {
        name: "TdxQuoteProviderError",
        message: /must be 64 bytes/,
      });
      await writeFile(join(tsm.base, "verity", "provider"), "sev_guest\n");
      await rejects(provider.getQuote(new Uint8Array(64)), { message: /"sev_guest", not "tdx_guest"/ });
      const missing = new TdxConfigfsQuoteProvider({ baseDir: join(tsm.base, "absent") });
      await rejects(missing.getQuote(new Uint8Array(64)), { message: /No configfs-tsm report directory/ });
    } finally {
      await tsm.cleanup();
    }
  });
});
