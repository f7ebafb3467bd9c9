import { X509Certificate, createPublicKey, verify as cryptoVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";

import { AbiCoder, keccak256, sha256 } from "ethers";

import type { SignedCollateral } from "./collateral.ts";
import { children, expectTag, read, timeOf, uintOf } from "./der.ts";
import { TdxVerificationError, parseTdxQuote } from "./quote.ts";

import { COLLATERAL_KINDS, TCB_STATUSES, type TcbStatus } from "./enums.ts";

export { COLLATERAL_KINDS, TCB_STATUSES, type TcbStatus };

/** Everything a quote is judged against, as Intel's PCS serves it. */
export interface TdxCollateral {
  /** The Intel SGX Root CA's CRL (DER). */
  rootCrl: Uint8Array;
  /** The CRL of the PCK certificate's issuer, the PCK Platform or Processor CA (DER). */
  pckCrl: Uint8Array;
  tcbInfo: SignedCollateral;
  qeIdentity: SignedCollateral;
  /** Intel's TCB signing certificate (DER), which signs TCB info and QE identity. */
  tcbSigningCert: Uint8Array;
}

export interface TdxPolicy {
  /** The pinned root certificate (DER): Intel SGX Root CA in production. */
  rootCert: Uint8Array;
  /** Bit i accepts `TCB_STATUSES[i]`; Revoked is never accepted. */
  acceptedTcbStatuses: number;
  /** The time to judge validity at, in Unix seconds (the chain uses the block's timestamp). */
  now: number;
}

/** The same fields the on-chain `verifyQuote` returns (hex strings are 0x-prefixed, lower case). */
export interface TdxAttestation {
  version: number;
  bodyType: number;
  teeTcbSvn: string;
  tdAttributes: string;
  mrTd: string;
  rtmrs: string;
  reportData: string;
  measurement: string;
  fmspc: string;
  cpuSvn: string;
  pceSvn: number;
  tcbStatus: TcbStatus;
  moduleTcbStatus: TcbStatus;
  qeTcbStatus: TcbStatus;
  pckSerialHash: string;
  expiry: number;
  /** Subjects and validity of the PCK chain, leaf first: evidence to show a user. */
  chain: { subject: string; notBefore: number; notAfter: number }[];
}

const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");
const fail = (check: string, args: (bigint | number | string)[], message: string): never => {
  throw new TdxVerificationError(check, args, message);
};

/** The domain tag of the report data binding (the contract's `REPORT_DATA_TYPEHASH`). */
export const REPORT_DATA_TYPEHASH = keccak256(
  Buffer.from(
    "VerityTdxEnclave(uint256 chainId,address verifier,address consumer,address operator,address enclaveKey)",
  ),
);

/**
 * The 64 bytes of report data a TD puts in its quote to register `enclaveKey` for `operator` with
 * `consumer` (the TeeVerifier) through `verifier` on chain `chainId`: the binding hash, then 32 zero bytes.
 */
export function tdxReportData(
  chainId: bigint | number,
  verifier: string,
  consumer: string,
  operator: string,
  enclaveKey: string,
): Uint8Array {
  const h = keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "uint256", "address", "address", "address", "address"],
      [REPORT_DATA_TYPEHASH, chainId, verifier, consumer, operator, enclaveKey],
    ),
  );
  const out = new Uint8Array(64);
  out.set(Buffer.from(h.slice(2), "hex"));
  return out;
}

interface Cert {
  der: Uint8Array;
  x509: X509Certificate;
  key: KeyObject;
  keyHash: string;
  serialHash: string;
  notBefore: number;
  notAfter: number;
  extensions?: { content: number; end: number };
  /** Basic constraints say cA = TRUE. */
  isCa: boolean;
  /** The first byte of key usage (0x80 digitalSignature, 0x04 keyCertSign, 0x02 cRLSign); 0 when absent. */
  keyUsage: number;
}

/** Basic constraints (2.5.29.19) and key usage (2.5.29.15), read as the chain reads them. */
function usageOf(der: Uint8Array, ext: { content: number; end: number } | undefined) {
  let isCa = false;
  let keyUsage = 0;
  if (!ext) return { isCa, keyUsage };
  const list = expectTag(der, ext.content, ext.end, 0x30);
  for (const e of children(der, list)) {
    const [o, ...rest] = children(der, e);
    if (o.end - o.content !== 3 || der[o.content] !== 0x55 || der[o.content + 1] !== 0x1d) continue;
    const value = rest[rest.length - 1];
    if (value.tag !== 0x04) fail("TdxMalformedDer", [value.start], "A certificate extension is malformed.");
    const arc = der[o.content + 2];
    if (arc === 0x13) {
      const bc = expectTag(der, value.content, value.end, 0x30);
      if (bc.end > bc.content) {
        const flag = read(der, bc.content, bc.end);
        isCa = flag.tag === 0x01 && flag.end - flag.content === 1 && der[flag.content] !== 0;
      }
    } else if (arc === 0x0f) {
      const bits = expectTag(der, value.content, value.end, 0x03);
      if (bits.end - bits.content >= 2) keyUsage = der[bits.content + 1];
    }
  }
  return { isCa, keyUsage };
}

/** A CA (intermediate 1, root 2) needs cA, keyCertSign and cRLSign; a signer (PCK 0, TCB signing 1) is no CA and has digitalSignature. */
function checkUsage(c: Cert, index: number, ca: boolean): void {
  const needed = ca ? 0x06 : 0x80;
  if (c.isCa !== ca || (c.keyUsage & needed) !== needed)
    fail(
      "TdxCertificateUsageInvalid",
      [index],
      `Certificate ${index} may not ${ca ? "issue certificates and CRLs" : "sign quotes or collateral"}: its basic constraints or key usage forbid it.`,
    );
}

function parseCert(der: Uint8Array): Cert {
  const cert = expectTag(der, 0, der.length, 0x30);
  const tbs = expectTag(der, cert.content, cert.end, 0x30);
  let n = read(der, tbs.content, tbs.end);
  if (n.tag === 0xa0) n = read(der, n.end, tbs.end);
  const serialHash = keccak256(der.subarray(n.content, n.end));
  n = expectTag(der, n.end, tbs.end, 0x30); // algorithm
  n = expectTag(der, n.end, tbs.end, 0x30); // issuer
  const validity = expectTag(der, n.end, tbs.end, 0x30);
  const [nb, na] = children(der, validity);
  n = expectTag(der, validity.end, tbs.end, 0x30); // subject
  const spki = expectTag(der, n.end, tbs.end, 0x30);
  const bits = children(der, spki)[1];
  const point = der.subarray(bits.content + 2, bits.end);
  let extensions: Cert["extensions"];
  if (spki.end < tbs.end) {
    const e = read(der, spki.end, tbs.end);
    if (e.tag === 0xa3) extensions = { content: e.content, end: e.end };
  }
  const x509 = new X509Certificate(der);
  return {
    ...usageOf(der, extensions),
    der,
    x509,
    key: x509.publicKey,
    keyHash: keccak256(point),
    serialHash,
    notBefore: timeOf(der, nb),
    notAfter: timeOf(der, na),
    extensions,
  };
}

interface Crl {
  thisUpdate: number;
  nextUpdate: number;
  revoked: Set<string>;
  tbs: Uint8Array;
  signature: Uint8Array;
}

function parseCrl(der: Uint8Array): Crl {
  const crl = expectTag(der, 0, der.length, 0x30);
  const tbs = expectTag(der, crl.content, crl.end, 0x30);
  const parts = children(der, tbs);
  let i = parts[0].tag === 0x02 ? 1 : 0;
  i += 2; // algorithm, issuer
  const thisUpdate = timeOf(der, parts[i++]);
  const nextUpdate = timeOf(der, parts[i++]);
  const revoked = new Set<string>();
  if (i < parts.length && parts[i].tag === 0x30) {
    for (const entry of children(der, parts[i])) {
      const serial = children(der, entry)[0];
      revoked.add(keccak256(der.subarray(serial.content, serial.end)));
    }
  }
  const sig = read(der, read(der, tbs.end, crl.end).end, crl.end);
  return {
    thisUpdate,
    nextUpdate,
    revoked,
    tbs: der.subarray(tbs.start, tbs.end),
    signature: der.subarray(sig.content + 1, sig.end),
  };
}

/** Verifies a CRL by `issuer` and requires it current; returns it. Mirrors `pushCrl` + the registration check. */
function currentCrl(der: Uint8Array, issuer: Cert, now: number): Crl {
  const crl = parseCrl(der);
  if (!cryptoVerify("sha256", crl.tbs, issuer.key, crl.signature)) {
    fail(
      "TdxCrlSignatureInvalid",
      [issuer.keyHash],
      "The CRL is not signed by its issuer: fetch it again from Intel's PCS.",
    );
  }
  if (crl.thisUpdate > now)
    fail("TdxCrlOutsideValidity", [crl.thisUpdate, crl.nextUpdate], "The CRL is not yet valid: check the clock.");
  if (now >= crl.nextUpdate) {
    fail(
      "TdxCrlExpired",
      [issuer.keyHash, crl.nextUpdate],
      "The CRL is past its next update: fetch a current one from Intel's PCS.",
    );
  }
  return crl;
}

function checkValidity(index: number, notBefore: number, notAfter: number, now: number) {
  if (now < notBefore)
    fail("TdxCertificateNotYetValid", [index, notBefore], `Certificate ${index} is not valid yet: check the clock.`);
  if (now > notAfter)
    fail(
      "TdxCertificateExpired",
      [index, notAfter],
      `Certificate ${index} has expired: the platform must be re-provisioned.`,
    );
}

function rootSigned(der: Uint8Array, index: number, root: Cert, rootCrl: Crl, now: number, ca: boolean): Cert {
  const c = parseCert(der);
  checkUsage(c, index, ca);
  if (!c.x509.verify(root.key))
    fail("TdxCertificateSignatureInvalid", [index], `Certificate ${index} is not signed by the pinned root.`);
  checkValidity(2, root.notBefore, root.notAfter, now);
  checkValidity(index, c.notBefore, c.notAfter, now);
  if (rootCrl.revoked.has(c.serialHash))
    fail("TdxCertificateRevoked", [index, c.serialHash], `Certificate ${index} is revoked by Intel.`);
  return c;
}

/** Splits the quote's PEM chain exactly as the chain does: three certificates, then only newlines or NULs. */
function pemChain(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  for (let i = 0; i < 3; i++) {
    if (!pem.startsWith("-----BEGIN CERTIFICATE-----\n", p))
      fail("TdxMalformedPemChain", [p], "The quote's PCK chain is not PEM.");
    p += 28;
    const end = pem.indexOf("-", p);
    const body = end < 0 ? pem.slice(p) : pem.slice(p, end);
    const bad = body.search(/[^A-Za-z0-9+/=\n]/);
    if (bad >= 0) fail("TdxMalformedPemChain", [p + bad], "The quote's PCK chain has a character that is not base64.");
    p += body.length;
    if (!pem.startsWith("-----END CERTIFICATE-----", p))
      fail("TdxMalformedPemChain", [p], "The quote's PCK chain is not PEM.");
    p += 25;
    if (pem[p] === "\n") p++;
    out.push(new Uint8Array(Buffer.from(body.replace(/\n/g, ""), "base64")));
  }
  for (; p < pem.length; p++) {
    if (pem[p] !== "\n" && pem[p] !== "\0")
      fail("TdxMalformedPemChain", [p], "The quote's PCK chain has bytes after its third certificate.");
  }
  return out;
}

/** FMSPC, SGX TCB components and PCE SVN from the PCK certificate's SGX extension. */
function sgxExtension(c: Cert): { fmspc: Uint8Array; cpuSvn: Uint8Array; pceSvn: number; pceId: Uint8Array } {
  const missing = () =>
    fail("TdxMissingSgxExtension", [], "The PCK certificate has no SGX extension: it is not an Intel PCK certificate.");
  if (!c.extensions) return missing();
  const d = c.der;
  const list = expectTag(d, c.extensions.content, c.extensions.end, 0x30);
  for (const ext of children(d, list)) {
    const [oid, ...rest] = children(d, ext);
    if (Buffer.from(d.subarray(oid.content, oid.end)).toString("hex") !== "2a864886f84d010d01") continue;
    const value = rest[rest.length - 1];
    const seq = expectTag(d, value.content, value.end, 0x30);
    let fmspc: Uint8Array | undefined;
    let pceId: Uint8Array | undefined;
    const cpuSvn = new Uint8Array(16);
    let pceSvn = -1;
    let seen = 0;
    for (const item of children(d, seq)) {
      const [io, iv] = children(d, item);
      if (io.end - io.content !== 10) continue;
      const arc = d[io.end - 1];
      if (arc === 4) fmspc = d.subarray(iv.content, iv.end);
      if (arc === 3) pceId = d.subarray(iv.content, iv.end);
      if (arc === 2) {
        for (const comp of children(d, iv)) {
          const [co, cv] = children(d, comp);
          const k = d[co.end - 1];
          if (co.end - co.content !== 11 || k === 0 || k > 17) continue;
          const v = Number(uintOf(d, cv));
          if (k === 17) pceSvn = v;
          else cpuSvn[k - 1] = v;
          seen |= 1 << k;
        }
      }
    }
    if (!fmspc || fmspc.length !== 6 || !pceId || pceId.length !== 2 || seen !== 0x3fffe) return missing();
    return { fmspc, cpuSvn, pceSvn, pceId };
  }
  return missing();
}

/** Verifies a collateral document's signature by the TCB signing certificate and returns its JSON. */
function signedJson(kind: 1 | 2, doc: SignedCollateral, signer: Cert) {
  const key = signer.key;
  if (
    doc.signature.length !== 64 ||
    !cryptoVerify("sha256", doc.body, { key, dsaEncoding: "ieee-p1363" }, doc.signature)
  ) {
    fail(
      "TdxCollateralSignatureInvalid",
      [kind],
      `The ${COLLATERAL_KINDS[kind]} is not signed by Intel's TCB signing key: fetch it again.`,
    );
  }
  return JSON.parse(Buffer.from(doc.body).toString("utf8"));
}

/** ECDSA-P256 over sha256 with a raw x ‖ y key and r ‖ s signature; false for a key off the curve. */
function p256Verify(data: Uint8Array, xy: Uint8Array, signature: Uint8Array): boolean {
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: {
        kty: "EC",
        crv: "P-256",
        x: Buffer.from(xy.subarray(0, 32)).toString("base64url"),
        y: Buffer.from(xy.subarray(32, 64)).toString("base64url"),
      },
      format: "jwk",
    });
  } catch {
    return false; // not a point on P-256: no signature can verify, as on-chain
  }
  return cryptoVerify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, signature);
}

const dateOf = (s: string) => Date.parse(s) / 1000;
const statusOf = (s: string): number => {
  const i = TCB_STATUSES.indexOf(s as TcbStatus);
  if (i < 0) throw new Error(`Unknown TCB status "${s}" in Intel collateral: update the SDK.`);
  return i;
};
const hexBytes = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

/**
 * Verifies a TDX quote against the pinned root and Intel's collateral at `policy.now`, with the same
 * checks, in the same order, as the on-chain `TdxAttestationVerifier.verifyQuote`; throws a
 * `TdxVerificationError` whose `check` is the name of the custom error the chain would revert with.
 */
export function verifyTdxQuote(quote: Uint8Array, collateral: TdxCollateral, policy: TdxPolicy): TdxAttestation {
  const now = policy.now;
  const accepted = (s: number): TcbStatus => {
    if ((policy.acceptedTcbStatuses & (1 << s)) === 0) {
      fail(
        "TdxTcbStatusNotAccepted",
        [s],
        `TCB status ${TCB_STATUSES[s]} is outside the accepted policy: the platform needs an update.`,
      );
    }
    return TCB_STATUSES[s];
  };
  const l = parseTdxQuote(quote);
  if (!p256Verify(l.signed, l.attestationKey, l.signature)) {
    fail("TdxQuoteSignatureInvalid", [], "The quote's signature does not verify: the quote was altered.");
  }
  // Chain: PCK → intermediate CA → pinned root.
  const ders = pemChain(l.pem);
  const rootHash = keccak256(ders[2]);
  if (rootHash !== keccak256(policy.rootCert))
    fail("TdxUntrustedRoot", [rootHash], "The quote's root certificate is not the pinned Intel root.");
  const root = parseCert(policy.rootCert);
  checkUsage(root, 2, true);
  const rootCrl = currentCrl(collateral.rootCrl, root, now);
  const ca = rootSigned(ders[1], 1, root, rootCrl, now, true);
  const pck = parseCert(ders[0]);
  checkUsage(pck, 0, false);
  if (!pck.x509.verify(ca.key))
    fail("TdxCertificateSignatureInvalid", [0], "The PCK certificate is not signed by its CA.");
  checkValidity(0, pck.notBefore, pck.notAfter, now);
  const pckCrl = currentCrl(collateral.pckCrl, ca, now);
  if (pckCrl.revoked.has(pck.serialHash))
    fail("TdxCertificateRevoked", [0, pck.serialHash], "The PCK certificate is revoked by Intel.");
  let expiry = Math.min(root.notAfter, ca.notAfter, pck.notAfter, pckCrl.nextUpdate, rootCrl.nextUpdate);

  // QE report, its binding of the attestation key, and the QE identity.
  if (!cryptoVerify("sha256", l.qeReport, { key: pck.key, dsaEncoding: "ieee-p1363" }, l.qeSignature)) {
    fail("TdxQeReportSignatureInvalid", [], "The QE report is not signed by the PCK key: the quote was altered.");
  }
  const expected = sha256(Buffer.concat([l.attestationKey, l.qeAuthData]));
  const actual = hex(l.qeReport.subarray(320, 352));
  if (actual !== expected || l.qeReport.subarray(352, 384).some((b) => b !== 0)) {
    fail(
      "TdxQeReportDataMismatch",
      [expected, actual],
      "The QE report does not bind the attestation key: the quote was altered.",
    );
  }
  const signer = rootSigned(collateral.tcbSigningCert, 1, root, rootCrl, now, false);
  const qe = signedJson(2, collateral.qeIdentity, signer);
  if (qe.id !== "TD_QE" || qe.version !== 2)
    fail("TdxCollateralWrongId", [2], "The QE identity is not the TD_QE identity version 2.");
  const qeUntil = Math.min(dateOf(qe.nextUpdate), signer.notAfter);
  if (dateOf(qe.issueDate) > now)
    fail(
      "TdxCollateralOutsideValidity",
      [2, dateOf(qe.issueDate), dateOf(qe.nextUpdate)],
      "The QE identity is not yet valid.",
    );
  if (now >= qeUntil)
    fail("TdxCollateralExpired", [2, qeUntil], "The QE identity is past its next update: fetch a current one.");
  const rv = new DataView(l.qeReport.buffer, l.qeReport.byteOffset, 384);
  const and = (a: Uint8Array, m: Uint8Array) => a.map((b, i) => b & m[i]);
  if (
    (rv.getUint32(16, true) & parseInt(qe.miscselectMask, 16)) >>> 0 !== parseInt(qe.miscselect, 16) ||
    hex(and(l.qeReport.subarray(48, 64), hexBytes(qe.attributesMask))) !== "0x" + qe.attributes.toLowerCase() ||
    hex(l.qeReport.subarray(128, 160)) !== "0x" + qe.mrsigner.toLowerCase() ||
    rv.getUint16(256, true) !== qe.isvprodid
  ) {
    fail("TdxQeIdentityMismatch", [], "The quoting enclave is not Intel's TD QE.");
  }
  const isvSvn = rv.getUint16(258, true);
  const qeLevel = (qe.tcbLevels as { tcb: { isvsvn: number }; tcbStatus: string }[]).find(
    (x) => isvSvn >= x.tcb.isvsvn,
  );
  if (!qeLevel) fail("TdxQeTcbNotFound", [isvSvn], "No QE identity level matches the QE's SVN.");
  const qeTcbStatus = accepted(statusOf(qeLevel!.tcbStatus));
  expiry = Math.min(expiry, qeUntil);

  // The TD.
  const body = l.body;
  const tdAttributes = body.subarray(120, 128);
  if (tdAttributes[0] & 1)
    fail("TdxDebugTd", [hex(tdAttributes)], "The TD runs in debug mode: its memory is not protected.");
  const svn = body.subarray(0, 16);

  // TCB: TCB info for the platform's FMSPC, the TDX module, then the first matching level.
  const ext = sgxExtension(pck);
  const tcbInfo = signedJson(1, collateral.tcbInfo, signer);
  if (tcbInfo.id !== "TDX" || tcbInfo.version !== 3)
    fail("TdxCollateralWrongId", [1], "The TCB info is not TDX TCB info version 3.");
  if (tcbInfo.fmspc.toLowerCase() !== Buffer.from(ext.fmspc).toString("hex")) {
    fail("TdxTcbInfoMissing", [hex(ext.fmspc)], "The TCB info is for another platform (FMSPC): fetch the platform's.");
  }
  const tcbUntil = Math.min(dateOf(tcbInfo.nextUpdate), signer.notAfter);
  if (dateOf(tcbInfo.issueDate) > now)
    fail(
      "TdxCollateralOutsideValidity",
      [1, dateOf(tcbInfo.issueDate), dateOf(tcbInfo.nextUpdate)],
      "The TCB info is not yet valid.",
    );
  if (now >= tcbUntil)
    fail("TdxCollateralExpired", [1, tcbUntil], "The TCB info is past its next update: fetch a current one.");
  expiry = Math.min(expiry, tcbUntil);
  if (String(tcbInfo.pceId).toLowerCase() !== Buffer.from(ext.pceId).toString("hex"))
    fail(
      "TdxPceIdMismatch",
      ["0x" + String(tcbInfo.pceId).toLowerCase(), hex(ext.pceId)],
      "The TCB info is for another PCE than the PCK certificate's: fetch the platform's TCB info.",
    );
  const major = svn[1];
  const signerHash = keccak256(body.subarray(64, 112));
  const seamAttributes = body.subarray(112, 120);
  const moduleMatches = (m: { mrsigner: string; attributes: string; attributesMask: string }) =>
    keccak256(hexBytes(m.mrsigner)) === signerHash &&
    hex(and(seamAttributes, hexBytes(m.attributesMask))) === "0x" + m.attributes.toLowerCase();
  let moduleTcbStatus: TcbStatus = "UpToDate";
  if (major === 0) {
    if (!moduleMatches(tcbInfo.tdxModule)) {
      fail("TdxModuleMismatch", [major], "The TDX module is not signed as the TCB info says.");
    }
  } else {
    const id = (tcbInfo.tdxModuleIdentities ?? []).find(
      (m: { id: string }) => m.id === `TDX_${major.toString(16).toUpperCase().padStart(2, "0")}`,
    );
    if (id && !moduleMatches(id))
      fail("TdxModuleMismatch", [major], "The TDX module is not signed as its identity says.");
    const moduleLevel = id?.tcbLevels.find((x: { tcb: { isvsvn: number } }) => svn[0] >= x.tcb.isvsvn);
    if (!moduleLevel) fail("TdxModuleTcbNotFound", [major, svn[0]], "No TDX module identity level matches the module.");
    moduleTcbStatus = accepted(statusOf(moduleLevel.tcbStatus));
  }
  // Components 0 and 1 are the module's SVN and version, judged above when the version is not 0.
  const from = major === 0 ? 0 : 2;
  type Level = {
    tcb: { sgxtcbcomponents: { svn: number }[]; tdxtcbcomponents: { svn: number }[]; pcesvn: number };
    tcbStatus: string;
  };
  const levels = tcbInfo.tcbLevels as Level[];
  // The first level the PCK's SGX TCB meets fixes the platform (Revoked there stops everything);
  // from there, the first level the TEE TCB SVN meets.
  const sgxAt = levels.findIndex(
    (x) => ext.pceSvn >= x.tcb.pcesvn && x.tcb.sgxtcbcomponents.every((c, i) => ext.cpuSvn[i] >= c.svn),
  );
  if (sgxAt >= 0 && levels[sgxAt].tcbStatus === "Revoked") accepted(statusOf("Revoked"));
  const level =
    sgxAt < 0
      ? undefined
      : levels.slice(sgxAt).find((x) => x.tcb.tdxtcbcomponents.every((c, i) => i < from || svn[i] >= c.svn));
  if (!level)
    fail("TdxTcbLevelNotFound", [hex(ext.fmspc)], "No TCB level matches the platform: it is out of date or unknown.");
  const tcbStatus = accepted(statusOf(level!.tcbStatus));

  return {
    version: l.version,
    bodyType: l.bodyType,
    teeTcbSvn: hex(svn),
    tdAttributes: hex(tdAttributes),
    mrTd: hex(body.subarray(136, 184)),
    rtmrs: hex(body.subarray(328, 520)),
    reportData: hex(body.subarray(520, 584)),
    measurement: keccak256(body.subarray(120, 520)),
    fmspc: hex(ext.fmspc),
    cpuSvn: hex(ext.cpuSvn),
    pceSvn: ext.pceSvn,
    tcbStatus,
    moduleTcbStatus,
    qeTcbStatus,
    pckSerialHash: pck.serialHash,
    expiry,
    chain: [pck, ca, root].map((c) => ({ subject: c.x509.subject, notBefore: c.notBefore, notAfter: c.notAfter })),
  };
}
