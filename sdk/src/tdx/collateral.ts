/** Signed Intel collateral, split the way the verifier takes it. */
export interface SignedCollateral {
  /** The exact bytes Intel signed: the JSON object under `field`, as it appears in the document. */
  body: Uint8Array;
  /** The 64-byte signature r ‖ s. */
  signature: Uint8Array;
}

/**
 * Splits a TCB info (`field` "tcbInfo") or QE identity (`field` "enclaveIdentity") document, as Intel's
 * PCS serves it (`{"<field>":{...},"signature":"<hex>"}`), into the signed bytes and the signature.
 * The signature covers the object's exact bytes, so they are cut out of the text, never re-serialised.
 */
export function signedCollateral(
  document: Uint8Array | string,
  field: "tcbInfo" | "enclaveIdentity",
): SignedCollateral {
  const text = typeof document === "string" ? document : Buffer.from(document).toString("utf8");
  const prefix = `{"${field}":`;
  const marker = ',"signature":"';
  const cut = text.lastIndexOf(marker);
  if (!text.startsWith(prefix) || cut < 0) {
    throw new Error(
      `This is not Intel ${field} collateral: expected {"${field}":{...},"signature":"..."}; pass the document exactly as the PCS served it.`,
    );
  }
  const sigHex = text.slice(cut + marker.length).replace(/"\s*}\s*$/, "");
  if (!/^[0-9a-fA-F]{128}$/.test(sigHex)) {
    throw new Error(`The ${field} signature is not 64 bytes of hex; pass the document exactly as the PCS served it.`);
  }
  return {
    body: new Uint8Array(Buffer.from(text.slice(prefix.length, cut), "utf8")),
    signature: new Uint8Array(Buffer.from(sigHex, "hex")),
  };
}
