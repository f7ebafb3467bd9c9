/**
 * Intel TDX DCAP quote verification with Node's own crypto, agreeing with the on-chain
 * `TdxAttestationVerifier` check for check (`@verity-ai/sdk/tdx`).
 */
export { signedCollateral } from "./collateral.ts";
export type { SignedCollateral } from "./collateral.ts";
export { TdxVerificationError, parseTdxQuote } from "./quote.ts";
export type { TdxQuoteLayout } from "./quote.ts";
export { COLLATERAL_KINDS, REPORT_DATA_TYPEHASH, TCB_STATUSES, tdxReportData, verifyTdxQuote } from "./verify.ts";
export type { TcbStatus, TdxAttestation, TdxCollateral, TdxPolicy } from "./verify.ts";
