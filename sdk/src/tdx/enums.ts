/**
 * The TDX verifier's enums in their on-chain order, with no Node dependency: the error sentences of
 * the SDK's main entry name them too.
 */

/** Intel's TCB statuses: the index is the on-chain `TcbStatus` value, and bit i of a policy accepts status i. */
export const TCB_STATUSES = [
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
  "OutOfDate",
  "OutOfDateConfigurationNeeded",
  "Revoked",
] as const;
export type TcbStatus = (typeof TCB_STATUSES)[number];

/** Collateral kinds, in the on-chain `CollateralKind` order. */
export const COLLATERAL_KINDS = ["Crl", "TcbInfo", "QeIdentity"] as const;
