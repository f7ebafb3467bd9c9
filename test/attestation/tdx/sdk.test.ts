import { X509Certificate, verify } from "node:crypto";

import { expect } from "chai";

import { TdxVerificationError, parseTdxQuote, signedCollateral, verifyTdxQuote } from "@verity-ai/sdk/tdx";

import { ALL_BUT_REVOKED, at, vector, vectorSet } from "./helpers.ts";

describe("SDK tdx: collateral and quote helpers", function () {
  it("cuts out exactly the bytes Intel signed from a PCS document", function () {
    const doc = vector("2025-07/tcb-info-00806f050000.json");
    const { body, signature } = signedCollateral(doc, "tcbInfo");
    const signer = new X509Certificate(vector("intel/intel-sgx-tcb-signing.der"));
    expect(verify("sha256", body, { key: signer.publicKey, dsaEncoding: "ieee-p1363" }, signature)).to.equal(true);
    expect(Buffer.from(body).toString().startsWith('{"id":"TDX"')).to.equal(true);
  });

  it("names the problem and the fix for a document that is not signed collateral", function () {
    expect(() => signedCollateral('{"tcbInfo":{}}', "tcbInfo")).to.throw(
      /pass the document exactly as the PCS served it/,
    );
    expect(() => signedCollateral('{"tcbInfo":{},"signature":"abcd"}', "tcbInfo")).to.throw(/not 64 bytes of hex/);
    expect(() => signedCollateral(vector("2025-06/qe-identity-td.json"), "tcbInfo")).to.throw(
      /not Intel tcbInfo collateral/,
    );
  });

  it("parses both quote layouts", function () {
    const v5 = parseTdxQuote(vector("2025-06/quote-v5-tdx15.bin"));
    expect([v5.version, v5.bodyType, v5.body.length, v5.qeAuthData.length]).to.deep.equal([5, 3, 648, 32]);
    const v4 = parseTdxQuote(vector("2025-07/quote-v4-tdx.bin"));
    expect([v4.version, v4.bodyType, v4.body.length]).to.deep.equal([4, 2, 584]);
    expect(v4.pem.startsWith("-----BEGIN CERTIFICATE-----\n")).to.equal(true);
  });

  it("throws a TdxVerificationError naming the chain's check, with the evidence chain on success", function () {
    const set = vectorSet("2025-06");
    const collateral = {
      rootCrl: set.collateral.rootCrl,
      pckCrl: set.collateral.pckCrl,
      tcbInfo: { body: set.collateral.tcbInfo, signature: set.collateral.tcbInfoSignature },
      qeIdentity: { body: set.collateral.qeIdentity, signature: set.collateral.qeIdentitySignature },
      tcbSigningCert: set.collateral.signingCert,
    };
    const ok = verifyTdxQuote(set.quote, collateral, {
      rootCert: set.root,
      acceptedTcbStatuses: ALL_BUT_REVOKED,
      now: at("2025-06-15T00:00:00Z"),
    });
    expect(ok.chain.map((c) => c.subject.split("\n")[0])).to.deep.equal([
      "CN=Intel SGX PCK Certificate",
      "CN=Intel SGX PCK Platform CA",
      "CN=Intel SGX Root CA",
    ]);
    try {
      verifyTdxQuote(set.quote, collateral, {
        rootCert: set.root,
        acceptedTcbStatuses: ALL_BUT_REVOKED,
        now: at("2025-07-10T00:00:00Z"),
      });
      expect.fail("a quote judged after its collateral expired must be refused");
    } catch (e) {
      expect(e).to.be.instanceOf(TdxVerificationError);
      expect((e as TdxVerificationError).check).to.equal("TdxCrlExpired");
      expect((e as TdxVerificationError).message).to.match(/fetch a current one/);
    }
  });
});
