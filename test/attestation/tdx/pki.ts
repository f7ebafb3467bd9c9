/**
 * A test PKI in Intel's exact formats: a root CA, a PCK platform CA, PCK leaf certificates with the
 * SGX extension, a TCB signing certificate, CRLs, signed TCB info / QE identity JSON, and TDX quotes
 * (v4 and v5) signed by a QE whose report binds the attestation key. Everything is built here with
 * Node's crypto and a small DER writer; nothing is read from disk.
 */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";

// ---------------------------------------------------------------- DER writer

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}
const tlv = (tag: number, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...p: Buffer[]) => tlv(0x30, ...p);
const set = (...p: Buffer[]) => tlv(0x31, ...p);
const octets = (b: Buffer) => tlv(0x04, b);
function int(v: bigint | number | Buffer): Buffer {
  let b = Buffer.isBuffer(v)
    ? v
    : Buffer.from(
        BigInt(v)
          .toString(16)
          .padStart(2, "0")
          .replace(/^(.(..)*)$/, "0$1"),
        "hex",
      );
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const bytes = [n & 0x7f];
    for (let x = n >> 7; x > 0; x >>= 7) bytes.unshift((x & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}
function utcTime(unix: number): Buffer {
  const d = new Date(unix * 1000).toISOString(); // 2025-06-15T00:00:00.000Z
  const s = d.slice(2, 4) + d.slice(5, 7) + d.slice(8, 10) + d.slice(11, 13) + d.slice(14, 16) + d.slice(17, 19) + "Z";
  return tlv(0x17, Buffer.from(s, "latin1"));
}
const name = (cn: string) => seq(set(seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(cn)))));
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));
const SGX = "1.2.840.113741.1.13.1";

// ---------------------------------------------------------------- keys and certificates

export interface Party {
  name: string;
  key: KeyObject;
  pub: KeyObject;
  /** Raw x ‖ y. */
  xy: Buffer;
  cert: Buffer;
  serial: Buffer;
}

export const newKey = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  return {
    key: privateKey,
    pub: publicKey,
    xy: Buffer.concat([Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]),
  };
};

let nextSerial = 0x4d2000n;

/** A certificate for `subject` signed by `issuer` (self-signed when `issuer` is undefined). */
export function certify(
  subject: string,
  keys: ReturnType<typeof newKey>,
  issuer: Party | undefined,
  validity: { from: number; to: number },
  extensions: Buffer[] = [],
): Party {
  const serial = Buffer.from((nextSerial++).toString(16).padStart(20, "0").replace(/^0/, "8"), "hex"); // 10 bytes, high bit set
  const spki = keys.pub.export({ type: "spki", format: "der" });
  const tbs = seq(
    tlv(0xa0, int(2)),
    int(serial),
    ECDSA_SHA256,
    name(issuer ? issuer.name : subject),
    seq(utcTime(validity.from), utcTime(validity.to)),
    name(subject),
    spki,
    ...(extensions.length ? [tlv(0xa3, seq(...extensions))] : []),
  );
  const sig = sign("sha256", tbs, issuer ? issuer.key : keys.key); // DER-encoded ECDSA signature
  const cert = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), sig));
  return {
    name: subject,
    ...keys,
    cert,
    serial: serial[0] & 0x80 ? Buffer.concat([Buffer.from([0]), serial]) : serial,
  };
}

/** Basic constraints (critical): cA TRUE or FALSE. */
export const basicConstraints = (ca: boolean) =>
  seq(oid("2.5.29.19"), tlv(0x01, Buffer.from([0xff])), octets(seq(...(ca ? [tlv(0x01, Buffer.from([0xff]))] : []))));
/** Key usage (critical) with `bits` as its first byte (0x80 digitalSignature, 0x06 keyCertSign + cRLSign). */
export const keyUsage = (bits: number) =>
  seq(oid("2.5.29.15"), tlv(0x01, Buffer.from([0xff])), octets(tlv(0x03, Buffer.from([0x01, bits]))));
/** What Intel's CA certificates carry, and what its PCK and TCB signing certificates carry. */
export const CA_USAGE = [basicConstraints(true), keyUsage(0x06)];
export const SIGNER_USAGE = [basicConstraints(false), keyUsage(0xc0)];

/** The PCK SGX extension: PPID, TCB (16 components, PCE SVN, CPU SVN), PCE-ID and FMSPC. */
export function sgxExtension(fmspc: Buffer, cpuSvn: number[], pceSvn: number): Buffer {
  const comps = cpuSvn.map((v, i) => seq(oid(`${SGX}.2.${i + 1}`), int(v)));
  const tcb = seq(...comps, seq(oid(`${SGX}.2.17`), int(pceSvn)), seq(oid(`${SGX}.2.18`), octets(Buffer.from(cpuSvn))));
  const value = seq(
    seq(oid(`${SGX}.1`), octets(Buffer.alloc(16, 0x11))),
    seq(oid(`${SGX}.2`), tcb),
    seq(oid(`${SGX}.3`), octets(Buffer.from([0, 0]))),
    seq(oid(`${SGX}.4`), octets(fmspc)),
  );
  return seq(oid(SGX), octets(value));
}

/** A CRL by `issuer` listing `revoked` serials (DER INTEGER contents). */
export function crl(issuer: Party, thisUpdate: number, nextUpdate: number, revoked: Buffer[] = []): Buffer {
  const entries = revoked.map((s) => seq(tlv(0x02, s), utcTime(thisUpdate)));
  const tbs = seq(
    int(1),
    ECDSA_SHA256,
    name(issuer.name),
    utcTime(thisUpdate),
    utcTime(nextUpdate),
    ...(entries.length ? [seq(...entries)] : []),
  );
  return seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), sign("sha256", tbs, issuer.key)));
}

const pem = (der: Buffer) =>
  "-----BEGIN CERTIFICATE-----\n" +
  der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "") +
  "\n-----END CERTIFICATE-----\n";

const iso = (unix: number) => new Date(unix * 1000).toISOString().replace(/\.000Z$/, "Z");

// ---------------------------------------------------------------- the whole PKI

export interface TestPki {
  root: Party;
  ca: Party;
  pck: Party;
  signer: Party;
  qe: { mrSigner: Buffer; isvProdId: number; isvSvn: number };
  fmspc: Buffer;
  cpuSvn: number[];
  pceSvn: number;
  now: number;
}

/** A PKI whose every validity window covers `now` (Unix seconds). */
export function testPki(
  now: number,
  opts: {
    pckValidity?: { from: number; to: number };
    pckWithoutSgxExtension?: boolean;
    /** Replace the usage extensions (basic constraints, key usage) of a certificate. */
    usage?: { ca?: Buffer[]; pck?: Buffer[]; signer?: Buffer[] };
  } = {},
): TestPki {
  const long = { from: now - 86_400 * 365, to: now + 86_400 * 365 * 5 };
  const root = certify("Test SGX Root CA", newKey(), undefined, long, CA_USAGE);
  const ca = certify("Test SGX PCK Platform CA", newKey(), root, long, opts.usage?.ca ?? CA_USAGE);
  const signer = certify("Test SGX TCB Signing", newKey(), root, long, opts.usage?.signer ?? SIGNER_USAGE);
  const fmspc = Buffer.from("00a06f000000", "hex");
  const cpuSvn = [3, 3, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0];
  const pceSvn = 13;
  const pck = certify("Test SGX PCK Certificate", newKey(), ca, opts.pckValidity ?? long, [
    ...(opts.usage?.pck ?? SIGNER_USAGE),
    ...(opts.pckWithoutSgxExtension ? [] : [sgxExtension(fmspc, cpuSvn, pceSvn)]),
  ]);
  const qe = { mrSigner: createHash("sha256").update("test TD QE signer").digest(), isvProdId: 2, isvSvn: 6 };
  return { root, ca, pck, signer, qe, fmspc, cpuSvn, pceSvn, now };
}

/** Intel-format signed JSON: `{"<field>":<body>,"signature":"<hex r‖s>"}` and its parts. */
function signJson(signer: Party, body: string) {
  const signature = sign("sha256", Buffer.from(body), { key: signer.key, dsaEncoding: "ieee-p1363" });
  return { body: new Uint8Array(Buffer.from(body)), signature: new Uint8Array(signature) };
}

const svns = (v: number[]) => "[" + v.map((s) => `{"svn":${s}}`).join(",") + "]";

/** TDX TCB info (v3) for the PKI's platform: one UpToDate level at its exact SVNs, one OutOfDate below. */
export function tcbInfo(
  pki: TestPki,
  opts: {
    tdxSvn?: number[];
    issue?: number;
    next?: number;
    fmspc?: string;
    withOutOfDateLevel?: boolean;
    firstStatus?: string;
    pceId?: string;
  } = {},
) {
  const tdx = opts.tdxSvn ?? [5, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const zero48 = "00".repeat(48);
  const body =
    `{"id":"TDX","version":3,"issueDate":"${iso(opts.issue ?? pki.now - 3600)}","nextUpdate":"${iso(opts.next ?? pki.now + 86_400 * 30)}",` +
    `"fmspc":"${opts.fmspc ?? pki.fmspc.toString("hex").toUpperCase()}","pceId":"${opts.pceId ?? "0000"}","tcbType":0,"tcbEvaluationDataNumber":17,` +
    `"tdxModule":{"mrsigner":"${zero48}","attributes":"0000000000000000","attributesMask":"FFFFFFFFFFFFFFFF"},` +
    `"tdxModuleIdentities":[{"id":"TDX_01","mrsigner":"${zero48}","attributes":"0000000000000000","attributesMask":"FFFFFFFFFFFFFFFF",` +
    `"tcbLevels":[{"tcb":{"isvsvn":4},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":"UpToDate"}]}],` +
    `"tcbLevels":[{"tcb":{"sgxtcbcomponents":${svns(pki.cpuSvn)},"pcesvn":${pki.pceSvn},"tdxtcbcomponents":${svns(tdx)}},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":"${opts.firstStatus ?? "UpToDate"}"}` +
    (opts.withOutOfDateLevel === false
      ? ""
      : `,{"tcb":{"sgxtcbcomponents":${svns(pki.cpuSvn.map(() => 0))},"pcesvn":0,"tdxtcbcomponents":${svns(tdx.map(() => 0))}},"tcbDate":"2018-01-04T00:00:00Z","tcbStatus":"OutOfDate"}`) +
    `]}`;
  return signJson(pki.signer, body);
}

/** The TD QE identity (v2) for the PKI's QE. */
export function qeIdentity(pki: TestPki) {
  const body =
    `{"id":"TD_QE","version":2,"issueDate":"${iso(pki.now - 3600)}","nextUpdate":"${iso(pki.now + 86_400 * 30)}","tcbEvaluationDataNumber":17,` +
    `"miscselect":"00000000","miscselectMask":"FFFFFFFF","attributes":"11000000000000000000000000000000","attributesMask":"FBFFFFFFFFFFFFFF0000000000000000",` +
    `"mrsigner":"${pki.qe.mrSigner.toString("hex").toUpperCase()}","isvprodid":${pki.qe.isvProdId},` +
    `"tcbLevels":[{"tcb":{"isvsvn":${pki.qe.isvSvn}},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":"UpToDate"}]}`;
  return signJson(pki.signer, body);
}

/** The TD a synthetic quote describes. */
export interface TdSpec {
  reportData: Uint8Array;
  version?: 4 | 5;
  mrTd?: Buffer;
  tdAttributes?: Buffer;
  teeTcbSvn?: number[];
  /** The TDX module's signer (48 bytes; Intel's is all zero). */
  mrSignerSeam?: Buffer;
  /** Overrides of the QE report's product id and SVN. */
  qeProdId?: number;
  qeIsvSvn?: number;
  /** A v5 body descriptor's type (3 by default). */
  bodyType?: number;
}

/** A TDX quote in exactly Intel's layout, signed through the test PKI. */
export function quote(pki: TestPki, td: TdSpec): Uint8Array {
  const version = td.version ?? 5;
  const bodyLength = version === 5 ? 648 : 584;
  const header = Buffer.alloc(48);
  header.writeUInt16LE(version, 0);
  header.writeUInt16LE(2, 2); // ECDSA-P256
  header.writeUInt32LE(0x81, 4); // TDX
  Buffer.from("939a7233f79c4ca9940a0db3957f0607", "hex").copy(header, 12); // Intel's QE vendor id
  const body = Buffer.alloc(bodyLength);
  Buffer.from(td.teeTcbSvn ?? [5, 1, 2]).copy(body, 0);
  (td.tdAttributes ?? Buffer.from("0000001000000000", "hex")).copy(body, 120);
  Buffer.from("e718060000000000", "hex").copy(body, 128); // XFAM
  td.mrSignerSeam?.copy(body, 64);
  (td.mrTd ?? createHash("sha384").update("test TD image").digest()).copy(body, 136);
  for (let i = 0; i < 4; i++)
    createHash("sha384")
      .update(`rtmr${i}`)
      .digest()
      .copy(body, 328 + 48 * i);
  Buffer.from(td.reportData).copy(body, 520);
  if (version === 5) Buffer.from(td.teeTcbSvn ?? [5, 1, 2]).copy(body, 584);
  const descriptor = Buffer.alloc(6);
  descriptor.writeUInt16LE(td.bodyType ?? 3, 0);
  descriptor.writeUInt32LE(648, 2);
  const signed = Buffer.concat(version === 5 ? [header, descriptor, body] : [header, body]);

  const ak = newKey();
  const signature = sign("sha256", signed, { key: ak.key, dsaEncoding: "ieee-p1363" });
  const auth = createHash("sha256").update("qe auth data").digest();
  const qeReport = Buffer.alloc(384);
  Buffer.from("1500000000000000e700000000000000", "hex").copy(qeReport, 48);
  pki.qe.mrSigner.copy(qeReport, 128);
  qeReport.writeUInt16LE(td.qeProdId ?? pki.qe.isvProdId, 256);
  qeReport.writeUInt16LE(td.qeIsvSvn ?? pki.qe.isvSvn, 258);
  createHash("sha256")
    .update(Buffer.concat([ak.xy, auth]))
    .digest()
    .copy(qeReport, 320);
  const qeSignature = sign("sha256", qeReport, { key: pki.pck.key, dsaEncoding: "ieee-p1363" });

  const chain = Buffer.from(pem(pki.pck.cert) + pem(pki.ca.cert) + pem(pki.root.cert), "latin1");
  const inner = Buffer.alloc(6);
  inner.writeUInt16LE(5, 0);
  inner.writeUInt32LE(chain.length, 2);
  const authLength = Buffer.alloc(2);
  authLength.writeUInt16LE(auth.length, 0);
  const certData = Buffer.concat([qeReport, qeSignature, authLength, auth, inner, chain]);
  const outer = Buffer.alloc(6);
  outer.writeUInt16LE(6, 0);
  outer.writeUInt32LE(certData.length, 2);
  const sigData = Buffer.concat([signature, ak.xy, outer, certData]);
  const sigLength = Buffer.alloc(4);
  sigLength.writeUInt32LE(sigData.length, 0);
  return new Uint8Array(Buffer.concat([signed, sigLength, sigData]));
}
