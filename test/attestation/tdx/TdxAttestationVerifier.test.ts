import { expect } from "chai";
import { AbiCoder, keccak256, sha256 } from "ethers";

import { ALL_BUT_REVOKED, at, chainAt, flip, hex, pushAll, vectorSet } from "./helpers.ts";

const JUNE = "2025-06-15T00:00:00Z";
const JULY = "2025-07-15T00:00:00Z";
const V5_MRTD = "0x157768a71a6a31f5561978c4cde665809d22976ef5dead2952839b7b3ea23b6c2931c9148fe1d117c99faefac18bb73b";
const V5_REPORT_DATA =
  "0x83ded8a0ee745596dbd961624da760cf1c8b0e48364959396c5c76ff96be4c1a9c24ba8b980f2173e883d5352a360546c1138ef75ce730c843a6c7da6413f400";
const V4_MRTD = "0x935be7742dd89c6a4df6dba8353d89041ae0f052beef993b1e7f4524d3bc57650df20e5582158352e1240b3f1fed55d8";
enum Status {
  UpToDate,
  SWHardeningNeeded,
  ConfigurationNeeded,
  ConfigurationAndSWHardeningNeeded,
  OutOfDate,
  OutOfDateConfigurationNeeded,
  Revoked,
}
enum Kind {
  Crl,
  TcbInfo,
  QeIdentity,
}

// Offsets in the v5 quote (48-byte header, 6-byte body descriptor, 648-byte TD 1.5 body).
const V5 = { body: 54, signed: 702, sig: 706, key: 770, qeReport: 840, qeSig: 1224, auth: 1290 };

/** Where the PEM certificates sit in a quote, as base64 text ranges. */
function pemRanges(quote: Uint8Array): { from: number; to: number }[] {
  const text = Buffer.from(quote).toString("latin1");
  const out: { from: number; to: number }[] = [];
  for (let i = text.indexOf("-----BEGIN CERTIFICATE-----\n"); i >= 0;) {
    const from = i + 28;
    const to = text.indexOf("-----END CERTIFICATE-----", from);
    out.push({ from, to });
    i = text.indexOf("-----BEGIN CERTIFICATE-----\n", to);
  }
  return out;
}

/** The quote with byte `derOffset` of certificate `index` flipped (re-encoded in place, same length). */
function tamperCert(quote: Uint8Array, index: number, derOffset: number): Uint8Array {
  const { from, to } = pemRanges(quote)[index];
  const text = Buffer.from(quote.subarray(from, to)).toString("latin1");
  const der = flip(new Uint8Array(Buffer.from(text.replace(/\n/g, ""), "base64")), derOffset);
  const b64 = Buffer.from(der).toString("base64");
  let k = 0;
  const rebuilt = [...text].map((c) => (c === "\n" ? c : b64[k++])).join("");
  const out = Uint8Array.from(quote);
  out.set(Buffer.from(rebuilt, "latin1"), from);
  return out;
}

function certDer(quote: Uint8Array, index: number): Uint8Array {
  const { from, to } = pemRanges(quote)[index];
  return new Uint8Array(
    Buffer.from(Buffer.from(quote.subarray(from, to)).toString("latin1").replace(/\n/g, ""), "base64"),
  );
}

async function juneVerifier(time = JUNE, mask = ALL_BUT_REVOKED) {
  const chain = await chainAt(time);
  const set = vectorSet("2025-06");
  const v = await chain.deploy(set.root, mask);
  await pushAll(v, set.collateral);
  return { ...chain, v, set, quote: set.quote };
}

describe("TdxAttestationVerifier: real Intel quotes", function () {
  it("verifies the v5 (TD 1.5) quote with June 2025 collateral and extracts its fields", async function () {
    const { v, quote } = await juneVerifier();
    const a = await v.verifyQuote(quote);
    expect(a.version).to.equal(5n);
    expect(a.bodyType).to.equal(3n);
    expect(a.mrTd).to.equal(V5_MRTD);
    expect(a.reportData).to.equal(V5_REPORT_DATA);
    expect(a.teeTcbSvn).to.equal("0x05010200000000000000000000000000");
    expect(a.fmspc).to.equal("0x90c06f000000");
    expect(a.measurement).to.equal(keccak256(quote.subarray(V5.body + 120, V5.body + 520)));
    expect(a.rtmrs).to.equal(hex(quote.subarray(V5.body + 328, V5.body + 520)));
    expect([a.tcbStatus, a.moduleTcbStatus, a.qeTcbStatus]).to.deep.equal([
      BigInt(Status.UpToDate),
      BigInt(Status.UpToDate),
      BigInt(Status.UpToDate),
    ]);
    // The earliest validity: the PCK Platform CA CRL's next update.
    expect(a.expiry).to.equal(BigInt(at("2025-07-04T09:19:31Z")));
    expect(a.pckSerialHash).to.equal(keccak256("0x008946184d0327e285d94e9d9f793d900324c1584e"));
  });

  it("verifies the v4 (TD 1.0) quote with July 2025 collateral and extracts its fields", async function () {
    const chain = await chainAt(JULY);
    const set = vectorSet("2025-07");
    const v = await chain.deploy(set.root);
    await pushAll(v, set.collateral);
    const a = await v.verifyQuote(set.quote);
    expect(a.version).to.equal(4n);
    expect(a.bodyType).to.equal(2n);
    expect(a.mrTd).to.equal(V4_MRTD);
    expect(a.reportData).to.equal("0x" + "00".repeat(64));
    expect(a.fmspc).to.equal("0x00806f050000");
    expect(a.expiry).to.equal(BigInt(at("2025-08-06T09:06:43Z")));
    // This platform's SGX TCB is below July 2025's up-to-date level: Intel says OutOfDate.
    expect([a.tcbStatus, a.moduleTcbStatus, a.qeTcbStatus]).to.deep.equal([
      BigInt(Status.OutOfDate),
      BigInt(Status.UpToDate),
      BigInt(Status.UpToDate),
    ]);
    await (await v.setAcceptedTcbStatuses(1 << Status.UpToDate)).wait();
    await expect(v.verifyQuote(set.quote))
      .to.be.revertedWithCustomError(v, "TdxTcbStatusNotAccepted")
      .withArgs(Status.OutOfDate);
  });
});

describe("TdxAttestationVerifier: tampering", function () {
  let ctx: Awaited<ReturnType<typeof juneVerifier>>;
  before(async function () {
    ctx = await juneVerifier();
  });

  for (const [what, offset] of [
    ["header", 30],
    ["body", V5.body + 140],
    ["quote signature", V5.sig + 5],
    ["attestation key", V5.key + 5],
  ] as const) {
    it(`rejects a flipped byte in the ${what} (TdxQuoteSignatureInvalid)`, async function () {
      await expect(ctx.v.verifyQuote(flip(ctx.quote, offset))).to.be.revertedWithCustomError(
        ctx.v,
        "TdxQuoteSignatureInvalid",
      );
    });
  }

  it("rejects a flipped byte in the QE report or its signature (TdxQeReportSignatureInvalid)", async function () {
    for (const offset of [V5.qeReport + 200, V5.qeSig + 7]) {
      await expect(ctx.v.verifyQuote(flip(ctx.quote, offset))).to.be.revertedWithCustomError(
        ctx.v,
        "TdxQeReportSignatureInvalid",
      );
    }
  });

  it("rejects a flipped byte in the QE auth data (TdxQeReportDataMismatch)", async function () {
    const q = flip(ctx.quote, V5.auth + 3);
    const expected = sha256(Buffer.concat([q.subarray(V5.key, V5.key + 64), q.subarray(V5.auth, V5.auth + 32)]));
    const actual = hex(ctx.quote.subarray(V5.qeReport + 320, V5.qeReport + 352));
    await expect(ctx.v.verifyQuote(q))
      .to.be.revertedWithCustomError(ctx.v, "TdxQeReportDataMismatch")
      .withArgs(expected, actual);
  });

  it("rejects a flipped byte in the PCK or the Platform CA certificate (TdxCertificateSignatureInvalid)", async function () {
    await expect(ctx.v.verifyQuote(tamperCert(ctx.quote, 0, 16)))
      .to.be.revertedWithCustomError(ctx.v, "TdxCertificateSignatureInvalid")
      .withArgs(0);
    await expect(ctx.v.verifyQuote(tamperCert(ctx.quote, 1, 16)))
      .to.be.revertedWithCustomError(ctx.v, "TdxCertificateSignatureInvalid")
      .withArgs(1);
  });

  it("rejects a flipped byte in the root certificate (TdxUntrustedRoot)", async function () {
    const q = tamperCert(ctx.quote, 2, 16);
    await expect(ctx.v.verifyQuote(q))
      .to.be.revertedWithCustomError(ctx.v, "TdxUntrustedRoot")
      .withArgs(keccak256(certDer(q, 2)));
  });

  it("rejects truncated and over-long quotes", async function () {
    const n = ctx.quote.length;
    await expect(ctx.v.verifyQuote(ctx.quote.subarray(0, n - 1)))
      .to.be.revertedWithCustomError(ctx.v, "TdxQuoteTooShort")
      .withArgs(n - 1, n);
    await expect(ctx.v.verifyQuote(ctx.quote.subarray(0, 40)))
      .to.be.revertedWithCustomError(ctx.v, "TdxQuoteTooShort")
      .withArgs(40, 48);
    await expect(ctx.v.verifyQuote(Buffer.concat([ctx.quote, Buffer.from([0])])))
      .to.be.revertedWithCustomError(ctx.v, "TdxQuoteTrailingBytes")
      .withArgs(n + 1, n);
  });

  it("rejects a signature-data length that disagrees with the certification data (TdxQuoteLengthMismatch)", async function () {
    // Declare one byte less of QE certification data than present.
    const q = Uint8Array.from(ctx.quote);
    const size = Buffer.from(q).readUInt32LE(V5.key + 64 + 2);
    Buffer.from(q.buffer).writeUInt32LE(size - 1, V5.key + 64 + 2);
    await expect(ctx.v.verifyQuote(q))
      .to.be.revertedWithCustomError(ctx.v, "TdxQuoteLengthMismatch")
      .withArgs(V5.key + 64 + 2, size - 1, size);
  });

  it("rejects an unsupported version, key type or TEE type", async function () {
    const q = Uint8Array.from(ctx.quote);
    q[0] = 3;
    await expect(ctx.v.verifyQuote(q)).to.be.revertedWithCustomError(ctx.v, "TdxUnsupportedQuoteVersion").withArgs(3);
    const k = flip(ctx.quote, 2);
    await expect(ctx.v.verifyQuote(k))
      .to.be.revertedWithCustomError(ctx.v, "TdxUnsupportedAttestationKeyType")
      .withArgs(3);
    const t = Uint8Array.from(ctx.quote);
    t[4] = 0;
    await expect(ctx.v.verifyQuote(t)).to.be.revertedWithCustomError(ctx.v, "TdxUnsupportedTeeType").withArgs(0);
  });

  it("rejects a measurement off the allowlist, then the binding, once approved", async function () {
    const [admin, operator] = [ctx.admin, ctx.operator];
    const a = await ctx.v.verifyQuote(ctx.quote);
    await expect(ctx.v.verifyEnclave(admin.address, operator.address, operator.address, ctx.quote))
      .to.be.revertedWithCustomError(ctx.v, "TdxMeasurementNotApproved")
      .withArgs(a.measurement);
    await expect(ctx.v.setMeasurementApproval(a.measurement, true))
      .to.emit(ctx.v, "TdxMeasurementApprovalUpdated")
      .withArgs(a.measurement, true);
    const expected = keccak256(
      AbiCoder.defaultAbiCoder().encode(
        ["bytes32", "uint256", "address", "address", "address", "address"],
        [
          await ctx.v.REPORT_DATA_TYPEHASH(),
          31337,
          await ctx.v.getAddress(),
          admin.address,
          operator.address,
          operator.address,
        ],
      ),
    );
    await expect(ctx.v.verifyEnclave(admin.address, operator.address, operator.address, ctx.quote))
      .to.be.revertedWithCustomError(ctx.v, "TdxReportDataMismatch")
      .withArgs(expected, V5_REPORT_DATA.slice(0, 66));
    expect(await ctx.v.reportDataFor(admin.address, operator.address, operator.address)).to.equal(
      expected + "00".repeat(32),
    );
  });

  it("rejects a TCB status outside governance's policy", async function () {
    await (await ctx.v.setAcceptedTcbStatuses(1 << Status.OutOfDate)).wait();
    await expect(ctx.v.verifyQuote(ctx.quote))
      .to.be.revertedWithCustomError(ctx.v, "TdxTcbStatusNotAccepted")
      .withArgs(Status.UpToDate);
    await (await ctx.v.setAcceptedTcbStatuses(ALL_BUT_REVOKED)).wait();
    await expect(ctx.v.setAcceptedTcbStatuses(1 << Status.Revoked))
      .to.be.revertedWithCustomError(ctx.v, "TdxInvalidTcbPolicy")
      .withArgs(1 << Status.Revoked);
  });
});

describe("TdxAttestationVerifier: validity in time", function () {
  it("rejects the PCK certificate before its not-before", async function () {
    const { v, quote } = await juneVerifier("2025-06-14T12:00:00Z");
    await expect(v.verifyQuote(quote))
      .to.be.revertedWithCustomError(v, "TdxCertificateNotYetValid")
      .withArgs(0, at("2025-06-14T16:04:26Z"));
  });

  it("rejects a quote once the PCK CRL is past its next update", async function () {
    const { v, quote, conn, set } = await juneVerifier();
    await conn.networkHelpers.time.increaseTo(at("2025-07-04T09:30:00Z"));
    const ca = await import("node:crypto").then((c) => new c.X509Certificate(set.collateral.pckCrlIssuer));
    const jwk = ca.publicKey.export({ format: "jwk" });
    const keyHash = keccak256(Buffer.concat([Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]));
    await expect(v.verifyQuote(quote))
      .to.be.revertedWithCustomError(v, "TdxCrlExpired")
      .withArgs(keyHash, at("2025-07-04T09:19:31Z"));
  });

  it("rejects a quote once the TCB info is past its next update, and refuses stale collateral", async function () {
    const chain = await chainAt(JULY);
    const set = vectorSet("2025-07");
    const v = await chain.deploy(set.root);
    await pushAll(v, set.collateral);
    await chain.conn.networkHelpers.time.increaseTo(at("2025-08-06T09:10:00Z"));
    await expect(v.verifyQuote(set.quote))
      .to.be.revertedWithCustomError(v, "TdxCollateralExpired")
      .withArgs(Kind.TcbInfo, at("2025-08-06T09:06:43Z"));
    const june = vectorSet("2025-06").collateral;
    await expect(v.pushTcbInfo(june.tcbInfo, june.tcbInfoSignature, june.signingCert))
      .to.be.revertedWithCustomError(v, "TdxCollateralOutsideValidity")
      .withArgs(Kind.TcbInfo, at("2025-06-05T03:43:45Z"), at("2025-07-05T03:43:45Z"));
  });
});

describe("TdxAttestationVerifier: collateral", function () {
  it("accepts Intel-signed collateral with events, and refuses tampered, replayed or mislabelled collateral", async function () {
    const chain = await chainAt(JUNE);
    const { collateral: c, root } = vectorSet("2025-06");
    const v = await chain.deploy(root);
    await expect(v.pushCrl(c.pckCrl, c.pckCrlIssuer)).to.be.revertedWithCustomError(v, "TdxCrlMissing");
    await expect(v.pushCrl(c.rootCrl, "0x")).to.emit(v, "TdxCrlAccepted");
    await expect(v.pushCrl(c.rootCrl, "0x")).to.be.revertedWithCustomError(v, "TdxCrlNotNewer");
    await expect(v.pushCrl(flip(c.pckCrl, c.pckCrl.length - 3), c.pckCrlIssuer)).to.be.revertedWithCustomError(
      v,
      "TdxCrlSignatureInvalid",
    );
    await expect(v.pushCrl(c.pckCrl, c.pckCrlIssuer))
      .to.emit(v, "TdxCrlAccepted")
      .withArgs(
        (h: string) => h.length === 66,
        at("2025-06-04T09:19:31Z"),
        at("2025-07-04T09:19:31Z"),
        (n: bigint) => n > 0n,
      );
    await expect(v.pushTcbInfo(flip(c.tcbInfo, 40), c.tcbInfoSignature, c.signingCert))
      .to.be.revertedWithCustomError(v, "TdxCollateralSignatureInvalid")
      .withArgs(Kind.TcbInfo);
    await expect(v.pushTcbInfo(c.qeIdentity, c.qeIdentitySignature, c.signingCert))
      .to.be.revertedWithCustomError(v, "TdxCollateralWrongId")
      .withArgs(Kind.TcbInfo);
    await expect(v.pushTcbInfo(c.tcbInfo, c.tcbInfoSignature, c.signingCert))
      .to.emit(v, "TdxTcbInfoAccepted")
      .withArgs("0x90c06f000000", at("2025-06-05T03:43:45Z"), at("2025-07-05T03:43:45Z"), 17);
    await expect(v.pushQeIdentity(c.qeIdentity, c.qeIdentitySignature, c.signingCert))
      .to.emit(v, "TdxQeIdentityAccepted")
      .withArgs(at("2025-06-04T09:40:18Z"), at("2025-07-04T09:40:18Z"), 17);
    await expect(v.pushQeIdentity(c.qeIdentity, c.qeIdentitySignature, c.signingCert))
      .to.be.revertedWithCustomError(v, "TdxCollateralNotNewer")
      .withArgs(Kind.QeIdentity, at("2025-06-04T09:40:18Z"), at("2025-06-04T09:40:18Z"));
    expect((await v.tcbInfoOf("0x90c06f000000")).levels).to.equal(2n);
  });
});
