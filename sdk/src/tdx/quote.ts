/** Offsets and values of a TDX quote's parts (v4 / v5, ECDSA-P256, certification data 6 → 5). */
export interface TdxQuoteLayout {
  version: number;
  bodyType: number;
  body: Uint8Array;
  /** Header and body: what the attestation key signed. */
  signed: Uint8Array;
  signature: Uint8Array;
  /** The attestation key, x ‖ y. */
  attestationKey: Uint8Array;
  qeReport: Uint8Array;
  qeSignature: Uint8Array;
  qeAuthData: Uint8Array;
  /** The PEM certificate chain (leaf, intermediate CA, root), as text. */
  pem: string;
}

/** A failed check, named exactly as the on-chain verifier's custom error, with the same arguments. */
export class TdxVerificationError extends Error {
  // Plain fields, not parameter properties: the node runs this file under Node's type stripping.
  readonly check: string;
  readonly args: readonly (bigint | number | string)[];
  constructor(check: string, args: readonly (bigint | number | string)[], message: string) {
    super(message);
    this.name = "TdxVerificationError";
    this.check = check;
    this.args = args;
  }
}

const fail = (check: string, args: (bigint | number | string)[], message: string): never => {
  throw new TdxVerificationError(check, args, message);
};

export const HEADER_LENGTH = 48;
export const TD10_BODY_LENGTH = 584;
export const TD15_BODY_LENGTH = 648;
export const QE_REPORT_LENGTH = 384;

/** Checks a quote's header and lengths exactly as the chain does, and returns its parts. */
export function parseTdxQuote(q: Uint8Array): TdxQuoteLayout {
  const view = new DataView(q.buffer, q.byteOffset, q.byteLength);
  const need = (n: number) => {
    if (q.length < n)
      fail(
        "TdxQuoteTooShort",
        [q.length, n],
        `The quote is ${q.length} bytes but needs ${n}: it was cut short; fetch it again.`,
      );
  };
  need(HEADER_LENGTH);
  const version = view.getUint16(0, true);
  if (version !== 4 && version !== 5)
    fail(
      "TdxUnsupportedQuoteVersion",
      [version],
      `Quote version ${version} is not supported: only TDX quotes v4 and v5 are.`,
    );
  const keyType = view.getUint16(2, true);
  if (keyType !== 2)
    fail("TdxUnsupportedAttestationKeyType", [keyType], `Attestation key type ${keyType} is not ECDSA-P256 (2).`);
  const teeType = view.getUint32(4, true);
  if (teeType !== 0x81)
    fail("TdxUnsupportedTeeType", [teeType], `TEE type ${teeType} is not TDX (0x81): this is not a TDX quote.`);
  let bodyType = 2;
  let bodyLength = TD10_BODY_LENGTH;
  let bodyStart = HEADER_LENGTH;
  if (version === 5) {
    need(HEADER_LENGTH + 6);
    bodyType = view.getUint16(HEADER_LENGTH, true);
    const size = view.getUint32(HEADER_LENGTH + 2, true);
    if (!(bodyType === 2 && size === TD10_BODY_LENGTH) && !(bodyType === 3 && size === TD15_BODY_LENGTH)) {
      fail(
        "TdxUnsupportedBodyType",
        [bodyType, size],
        `Body type ${bodyType} of ${size} bytes is not a TD report (2/584 or 3/648).`,
      );
    }
    bodyLength = size;
    bodyStart = HEADER_LENGTH + 6;
  }
  const signedLength = bodyStart + bodyLength;
  need(signedLength + 4);
  let p = signedLength + 4;
  const end = p + view.getUint32(signedLength, true);
  need(end);
  if (q.length > end)
    fail(
      "TdxQuoteTrailingBytes",
      [q.length, end],
      `The quote has ${q.length - end} bytes after its end: it was damaged in transit.`,
    );
  const within = (at: number, count: number) => {
    if (at + count > end)
      fail(
        "TdxQuoteLengthMismatch",
        [at, count, end - at],
        `A length field at byte ${at} exceeds the quote: it is malformed.`,
      );
  };
  within(p, 134);
  const signature = q.subarray(p, p + 64);
  const attestationKey = q.subarray(p + 64, p + 128);
  p += 128;
  const certType = view.getUint16(p, true);
  if (certType !== 6)
    fail(
      "TdxUnsupportedCertificationDataType",
      [certType, 6],
      `Certification data type ${certType} is not 6 (QE report).`,
    );
  let size = view.getUint32(p + 2, true);
  p += 6;
  if (size !== end - p)
    fail(
      "TdxQuoteLengthMismatch",
      [p - 4, size, end - p],
      `The QE certification data length at byte ${p - 4} disagrees with the quote.`,
    );
  within(p, QE_REPORT_LENGTH + 66);
  const qeReport = q.subarray(p, p + QE_REPORT_LENGTH);
  const qeSignature = q.subarray(p + QE_REPORT_LENGTH, p + QE_REPORT_LENGTH + 64);
  p += QE_REPORT_LENGTH + 64;
  const authLength = view.getUint16(p, true);
  p += 2;
  within(p, authLength + 6);
  const qeAuthData = q.subarray(p, p + authLength);
  p += authLength;
  const innerType = view.getUint16(p, true);
  if (innerType !== 5)
    fail(
      "TdxUnsupportedCertificationDataType",
      [innerType, 5],
      `Certification data type ${innerType} is not 5 (PCK chain).`,
    );
  size = view.getUint32(p + 2, true);
  p += 6;
  if (size !== end - p)
    fail(
      "TdxQuoteLengthMismatch",
      [p - 4, size, end - p],
      `The PCK chain length at byte ${p - 4} disagrees with the quote.`,
    );
  return {
    version,
    bodyType,
    body: q.subarray(bodyStart, signedLength),
    signed: q.subarray(0, signedLength),
    signature,
    attestationKey,
    qeReport,
    qeSignature,
    qeAuthData,
    pem: Buffer.from(q.subarray(p, end)).toString("latin1"),
  };
}
