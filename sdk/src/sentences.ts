/**
 * Every custom error of the protocol's contracts as one sentence for people: what went wrong and
 * the fix. The error list is generated from the ABIs (`PROTOCOL_ERRORS`); the sentences are written
 * here, one per error name, and a test fails when an error has none.
 */
import { formatUnits } from "ethers";

import { decodeRevert } from "./errors.ts";
import { COLLATERAL_KINDS, TCB_STATUSES } from "./tdx/enums.ts";

/** How amounts are shown: the payment token's symbol and decimals (18 and "tokens" when unknown). */
export interface SentenceContext {
  symbol?: string;
  decimals?: number;
}

type Arg = unknown;
type Sentence = (a: readonly Arg[], t: (amount: Arg) => string) => string;

const when = (unix: Arg) => new Date(Number(unix) * 1000).toISOString();
const id = (v: Arg) =>
  `0x${BigInt(v as bigint)
    .toString(16)
    .padStart(64, "0")}`;
const STATUS = ["unknown", "open", "fulfilled", "refunded", "accepted"];
const MODE = ["none", "TEE", "ZK", "optimistic"];
const CERT = ["the PCK certificate", "the intermediate CA certificate", "the root certificate"];
const KIND: Record<(typeof COLLATERAL_KINDS)[number], string> = {
  Crl: "CRL",
  TcbInfo: "TCB info",
  QeIdentity: "QE identity",
};
const kindName = (k: Arg) => KIND[COLLATERAL_KINDS[Number(k)]!] ?? "collateral";
const TCB = TCB_STATUSES;

/** One sentence per error name. */
export const ERROR_SENTENCES: Record<string, Sentence> = {
  // Access control and ownership (OpenZeppelin)
  AccessControlBadConfirmation: () => "renouncing a role needs your own address as confirmation: pass the caller",
  AccessControlEnforcedDefaultAdminDelay: ([s]) =>
    `the admin transfer is scheduled for ${when(s)}: accept it after that time`,
  AccessControlEnforcedDefaultAdminRules: () =>
    "the default admin role moves only by the two-step admin transfer: use beginDefaultAdminTransfer",
  AccessControlInvalidDefaultAdmin: ([a]) =>
    `${a} is not the pending default admin: accept the transfer from that account`,
  AccessControlUnauthorizedAccount: ([a, role]) =>
    `${a} lacks the role ${role} this action needs: send it from an account governance granted the role`,
  OwnableInvalidOwner: ([a]) => `${a} cannot be the owner: give a non-zero address`,
  OwnableUnauthorizedAccount: ([a]) =>
    `${a} is not the owner of this contract: send it from the owner (on a local chain the deployer owns the test token)`,
  // Attestation
  AttestationInvalidMeasurement: ([m]) =>
    `measurement ${m} is not a valid code measurement: give a non-zero 32-byte value`,
  DevAttestationVerifierNotForProduction: ([c]) =>
    `chain ${c} is not a local chain and the development attestation verifier checks no attestation: deploy the production module (TdxAttestationVerifier) instead, or pass --allow-dev-contracts-on-public-chain to a throwaway test deployment`,
  // Consumer
  ConsumerOnlyCoordinator: ([a]) => `${a} is not the coordinator: only the coordinator delivers results to a consumer`,
  // Coordinator
  CoordinatorAmountTooLarge: ([v], t) =>
    `${t(v)} is more than the coordinator can hold in one balance: use a smaller amount`,
  CoordinatorBatchLengthMismatch: ([r, o, p]) =>
    `a batch needs one output and one proof per request, got ${r} requests, ${o} outputs and ${p} proofs: send equal lists`,
  CoordinatorCallbackGasTooHigh: ([g, max]) => `a callback gas limit of ${g} is above the maximum ${max}: lower it`,
  CoordinatorCallbackNotRequester: ([cb, req]) =>
    `callback ${cb} is not the requester ${req}: a consumer contract must make its own requests (results go only to the contract that asked)`,
  CoordinatorZkInputUnprovable: ([len, c]) =>
    `a ZK request needs a private input committed below the BN254 field, got ${len} public input bytes and commitment ${c}: commit with the SDK's helpers and send the input to the operator`,
  CoordinatorCallbackNotContract: ([a]) =>
    `callback ${a} has no code: give a contract that implements IInferenceConsumer, or no callback`,
  CoordinatorFeeAboveMax: ([fee, max], t) =>
    `the fee is now ${t(fee)}, above your maximum of ${t(max)} (the price changed): quote again, or raise the maximum`,
  CoordinatorInputTooLarge: ([len, max]) =>
    `the input is ${len} bytes, above the coordinator's limit of ${max}: send less`,
  CoordinatorInsufficientBalance: ([a, bal, need], t) =>
    `${a} has ${t(bal)} in its coordinator balance and this needs ${t(need)}: deposit more, or ask for less`,
  CoordinatorInsufficientCallbackGas: ([rid, avail, need]) =>
    `request ${id(rid)} needs ${need} gas left for its callback but only ${avail} remained: send the fulfil with more gas`,
  CoordinatorInvalidAddress: ([p]) => `${p} cannot be the zero address: give a real address`,
  CoordinatorInvalidInput: ([len, commitment]) =>
    `a request takes either public input bytes or a commitment, got ${len} input bytes and commitment ${commitment}: give exactly one`,
  CoordinatorInvalidTimeout: ([v, min, max]) =>
    `a timeout of ${v} s is outside the allowed ${min}–${max} s: choose one in range`,
  CoordinatorModeUnsupported: ([m]) =>
    `mode ${MODE[Number(m)] ?? m} has no verifier on this deployment: use a mode it serves (TEE, ZK)`,
  CoordinatorNotAssignedOperator: ([rid, op, caller]) =>
    `request ${id(rid)} is assigned to operator ${op}, not ${caller}: only that operator can act on it`,
  CoordinatorNotModelOwner: ([m, owner, caller]) =>
    `model ${m} is owned by ${owner}, not ${caller}: only its owner claims its royalties`,
  CoordinatorNothingToWithdraw: () => "there is nothing to withdraw: the balance is zero",
  CoordinatorOperatorNotEligible: ([a]) =>
    `operator ${a} is not eligible (not staked to the minimum, or jailed): stake to the minimum first, or assign another operator`,
  CoordinatorOperatorRequired: ([m]) =>
    `a ${MODE[Number(m)] ?? m} request must name its operator (the proof does not): pass the operator that will serve it`,
  CoordinatorOutputTooLarge: ([len, max]) =>
    `the output is ${len} bytes, above the limit of ${max}: it cannot be delivered`,
  CoordinatorParameterOutOfRange: ([p, v, min, max]) => `${p} = ${v} is outside ${min}–${max}: choose a value in range`,
  CoordinatorPaused: () => "the coordinator is paused by governance: wait until it is unpaused",
  CoordinatorRequestExpired: ([rid, d]) =>
    `request ${id(rid)} passed its deadline ${when(d)}: it can no longer be fulfilled, only refunded`,
  CoordinatorRequestNotExpired: ([rid, d]) =>
    `request ${id(rid)} is open until ${when(d)}: refund it after its deadline`,
  CoordinatorRequestNotOpen: ([rid, s]) =>
    `request ${id(rid)} is ${STATUS[Number(s)] ?? `in status ${s}`}, not open: there is nothing more to do with it`,
  CoordinatorReservedOutputHash: ([h]) =>
    `output hash ${h} falls in the range reserved for request states: such an output cannot be recorded`,
  CoordinatorTransferShortfall: ([e, r], t) =>
    `the token moved ${t(r)} where ${t(e)} was expected (a fee-on-transfer or rebasing token): use a plain ERC-20`,
  CoordinatorUnknownRequest: ([rid]) =>
    `request ${id(rid)} does not match what the coordinator recorded: pass the request exactly as InferenceRequested emitted it`,
  CoordinatorZeroAmount: () => "the amount is zero: give a positive amount",
  // Signatures and tokens (OpenZeppelin)
  ECDSAInvalidSignature: () => "the signature does not recover to any signer: sign again",
  ECDSAInvalidSignatureLength: ([l]) => `a signature is 65 bytes, got ${l}: pass the whole signature`,
  ECDSAInvalidSignatureS: ([s]) => `signature value s = ${s} is malleable: sign with a library that normalises s`,
  ERC20InsufficientAllowance: ([spender, allowance, need], t) =>
    `${spender} may spend ${t(allowance)} of your tokens and needs ${t(need)}: approve more first`,
  ERC20InsufficientBalance: ([who, bal, need], t) =>
    `${who} holds ${t(bal)} and needs ${t(need)}: fund the wallet (on a local chain: "verity token mint")`,
  ERC20InvalidApprover: ([a]) => `${a} cannot approve: use a non-zero account`,
  ERC20InvalidReceiver: ([a]) => `${a} cannot receive tokens: give a non-zero address`,
  ERC20InvalidSender: ([a]) => `${a} cannot send tokens: use a non-zero account`,
  ERC20InvalidSpender: ([a]) => `${a} cannot be a spender: give a non-zero address`,
  ERC2612ExpiredSignature: ([d]) => `the permit expired at ${when(d)}: sign a new one with a later deadline`,
  ERC2612InvalidSigner: ([signer, owner]) =>
    `the permit is signed by ${signer}, not the owner ${owner}: sign it with the owner's key`,
  InvalidAccountNonce: ([a, n]) => `${a}'s permit nonce is ${n}: sign the permit with that nonce`,
  InvalidShortString: () => "a short string is not valid: give at most 31 bytes",
  StringTooLong: ([s]) => `"${s}" is too long for a short string: shorten it to 31 bytes`,
  ReentrancyGuardReentrantCall: () => "a call re-entered the contract: this is refused to keep funds safe",
  SafeCastOverflowedUintDowncast: ([bits, v]) => `${v} does not fit in ${bits} bits: use a smaller value`,
  SafeERC20FailedOperation: ([token]) =>
    `token ${token} refused the transfer: check the balance and allowance of the accounts involved`,
  // Field disclosure
  FieldDisclosureBadFieldCount: ([n, max]) => `a record of ${n} fields is not allowed: a record has 1 to ${max} fields`,
  FieldDisclosureEmpty: () => "the disclosure opens no field: disclose at least one",
  FieldDisclosureIndexNotAscending: ([prev, i]) =>
    `field ${i} comes after field ${prev}: list disclosed fields once each, in ascending order`,
  FieldDisclosureIndexOutOfRange: ([i, n]) => `field index ${i} is not below the record's ${n} fields: check the index`,
  FieldDisclosureInvalidAddress: ([p]) => `${p} cannot be the zero address: give a real address`,
  FieldDisclosureOpeningMismatch: ([i]) =>
    `field ${i}'s value or salt is wrong (they do not hash to the committed leaf): disclose the exact value and its salt`,
  FieldDisclosurePathLength: ([i, len, depth]) =>
    `field ${i}'s path has ${len} levels, the tree has ${depth}: build the path with discloseFields`,
  FieldDisclosurePathMismatch: ([i, root, commitment]) =>
    `field ${i}'s path leads to ${root}, not the commitment ${commitment}: the path (or the commitment) is wrong`,
  FieldDisclosureSaltOutOfField: ([i]) =>
    `field ${i}'s salt is not below the BN254 field: use the salt the commitment was made with`,
  FieldDisclosureSiblingOutOfField: ([i, level]) =>
    `a sibling at level ${level} of field ${i}'s path is not below the BN254 field: rebuild the path with discloseFields`,
  FieldDisclosureValueOutOfField: ([i]) =>
    `field ${i}'s value is not below the BN254 field: disclose the committed integer`,
  FieldDisclosureWrongIndex: ([i, proven]) =>
    `the opening given for field ${i} is the one of field ${proven}: disclose it under index ${proven}`,
  // Field range proofs
  FieldRangeBoundOutOfRange: ([b]) =>
    `the bound ${b} is not a signed 32-bit integer (the record's encoding): give a bound in [-2147483648, 2147483647]`,
  FieldRangeCommitmentOutOfField: ([c]) =>
    `commitment ${c} is not below the BN254 field: it is no field-tree root; check the request`,
  FieldRangeDepthMismatch: ([n, depth, circuitDepth]) =>
    `a record of ${n} fields has tree depth ${depth}, this verifier's circuit serves depth ${circuitDepth}: use the FieldRangeVerifier built for depth ${depth} (npm run zk:range -- ${depth})`,
  FieldRangeEmptyRange: ([min, max]) =>
    `the range [${min}, ${max}] is empty: the lower bound must not exceed the upper`,
  FieldRangeIndexOutOfRange: ([i, n]) => `field index ${i} is not below the record's ${n} fields: check the index`,
  FieldRangeInvalidAddress: ([p]) => `${p} cannot be the zero address: give a real address`,
  FieldRangeInvalidProof: ([c, i, min, max]) =>
    `the proof does not show that field ${i} of commitment ${c} lies in [${min}, ${max}]: it was made for another request, field or bounds; prove this claim with verity result prove-range`,
  FieldRangeUnknownRequest: ([id]) =>
    `request ${id} is unknown to the coordinator: pass the request exactly as InferenceRequested emitted it`,
  // Registry
  RegistryInvalidModes: ([m]) =>
    `mode set ${m} is not valid: allow at least one of TEE (bit 1) and ZK (bit 2), nothing else`,
  RegistryInvalidName: ([len, max]) => `a model name of ${len} bytes is not valid: give 1 to ${max} bytes`,
  RegistryInvalidRoyalty: ([bps]) => `a royalty of ${bps} bps is above 10,000 (100 %): give 0–10,000`,
  RegistryInvalidVersionField: ([f]) => `the version's ${f} is empty or too long: fill it in`,
  RegistryInvalidWeightsHash: ([h]) => `weights hash ${h} is not valid: give keccak256 of the model file`,
  RegistryZkVerifierNotApproved: ([a, h]) =>
    `verifier ${a} (code hash ${h}) is not approved by governance: publish with an approved generated verifier, or ask governance to approve its code`,
  RegistryZkVerifierWeightsMismatch: ([a, declared, w]) =>
    `verifier ${a} proves weights ${declared}, not this version's ${w}: publish the verifier generated for these weights`,
  RegistryInvalidZkVerifier: ([a]) =>
    `${a} is not a usable ZK verifier for this version: publish with the version's generated Groth16 verifier`,
  RegistryModeNotAllowed: ([m, mode]) =>
    `model ${m} does not allow ${MODE[Number(mode)] ?? mode} mode: use a mode "verity model show" lists`,
  RegistryModelExists: ([m]) => `model ${m} is already registered: choose another name, or publish a new version of it`,
  RegistryModelInactive: ([m]) => `model ${m} is deactivated by its owner: it takes no requests`,
  RegistryNoZkVerifier: ([m, v]) =>
    `version ${v} of model ${m} has no ZK verifier: request it in TEE mode, or a version with a circuit`,
  RegistryNotOwner: ([m, caller]) => `${caller} does not own model ${m}: send it from the model's owner`,
  RegistryNotPendingOwner: ([m, caller]) =>
    `${caller} is not the pending owner of model ${m}: accept the transfer from the proposed owner's account`,
  RegistryUnknownModel: ([m]) => `model ${m} is not registered: check the id with "verity model list"`,
  RegistryUnknownVersion: ([m, v]) => `model ${m} has no version ${v}: use 0 for the latest, or a published one`,
  // Staking
  StakingAmountTooLarge: ([v], t) => `${t(v)} is more than one stake can hold: stake less`,
  StakingInsufficientStake: ([op, staked, req], t) =>
    `operator ${op} has ${t(staked)} staked and asked for ${t(req)}: ask for at most what is staked`,
  StakingInsufficientFreeStake: ([op, free, need], t) =>
    `operator ${op} has ${t(free)} of stake not locked by accepted jobs and needs ${t(need)}: stake more, or wait until accepted jobs settle`,
  StakingUnbondingTooShort: ([p, floor]) =>
    `an unbonding period of ${p} s is not above the coordinator's floor of ${floor} s (longest request timeout + evidence window): choose a longer one`,
  StakingInvalidAddress: ([p]) => `${p} cannot be the zero address: give a real address`,
  StakingNothingToClaim: ([a]) => `${a} has no slashed share to claim`,
  StakingNothingUnbonding: ([op]) => `operator ${op} has nothing unbonding: start with "verity operator unstake"`,
  StakingParameterOutOfRange: ([p, v, min, max]) => `${p} = ${v} is outside ${min}–${max}: choose a value in range`,
  StakingStillUnbonding: ([op, at]) => `operator ${op}'s unbonding ends at ${when(at)}: withdraw after that`,
  StakingTransferShortfall: ([e, r], t) =>
    `the token moved ${t(r)} where ${t(e)} was expected (a fee-on-transfer or rebasing token): use a plain ERC-20`,
  StakingZeroAmount: () => "the amount is zero: give a positive amount",
  // TEE
  TeeAttestationVerifierReplaced: ([key]) =>
    `enclave ${key} was registered under an attestation verifier governance has since replaced: register it again`,
  TeeKeyPossessionNotProven: ([key, signer]) =>
    `the registration is signed by ${signer}, not by the enclave key ${key}: sign it with the enclave key (signEnclaveRegistration)`,
  TeeMeasurementRevoked: ([key, m]) =>
    `enclave ${key}'s measurement ${m} is no longer approved: run an approved build and register a new enclave key`,
  TeeAttestationRejected: ([key, m]) =>
    `the attestation for enclave key ${key} with measurement ${m} was rejected: attest a build whose measurement governance approved`,
  TeeAttestationExpired: ([key, until]) =>
    `the attestation of enclave key ${key} expired at ${when(until)} (a certificate, revocation list or collateral behind it is no longer current): register the key again with a fresh quote (the node does this by itself before the expiry)`,
  TeeDifferentSigners: ([a, b]) =>
    `the two results are signed by different keys (${a}, ${b}): that is not equivocation`,
  TeeEnclaveAlreadyPunished: ([key]) => `enclave ${key} was already punished for equivocation`,
  TeeEnclaveAlreadyRegistered: ([key, op]) =>
    `enclave key ${key} is already registered to another operator, ${op}: generate a new enclave key`,
  TeeEnclaveNotActive: ([key]) => `enclave key ${key} is revoked: register a new enclave key`,
  TeeEnclaveOperatorMismatch: ([key, expected, actual]) =>
    `enclave key ${key} belongs to ${expected}, not ${actual}: submit results with your own enclave`,
  TeeInvalidAttestationVerifier: ([a]) =>
    `${a} is not an attestation verifier contract: give a deployed IAttestationVerifier`,
  TeeInvalidEnclaveKey: ([key]) => `${key} is not a usable enclave key: give a non-zero key address`,
  TeeInvalidSignature: ([rid]) =>
    `the result signature for request ${id(rid)} does not recover to a registered enclave of the operator: sign with the registered enclave key`,
  TeeNotEquivocation: ([a, b]) =>
    `the results for ${id(a)} and ${id(b)} do not prove equivocation (same request, same signer, different outputs): give two such results`,
  TeeNotRevoker: ([caller, key]) => `${caller} may not revoke enclave ${key}: only its operator or governance may`,
  TeePenaltyOutOfRange: ([p, max], t) => `a penalty of ${t(p)} is above the maximum ${t(max)}: choose less`,
  TeeUnknownEnclave: ([key]) =>
    `enclave key ${key} is not registered: register it with "verity operator register-enclave"`,
  // TDX attestation (Intel DCAP)
  TdxCertificateExpired: ([i, at]) =>
    `${CERT[Number(i)] ?? `certificate ${i}`} expired at ${when(at)}: fetch a fresh quote (the platform's PCK certificate is renewed by Intel PCS)`,
  TdxCertificateNotYetValid: ([i, at]) =>
    `${CERT[Number(i)] ?? `certificate ${i}`} is valid only from ${when(at)}: check the chain's clock`,
  TdxCertificateRevoked: ([i]) =>
    `${CERT[Number(i)] ?? `certificate ${i}`} is revoked by Intel: this platform cannot attest any more`,
  TdxCertificateSignatureInvalid: ([i]) =>
    `${CERT[Number(i)] ?? `certificate ${i}`} is not signed by its issuer: the quote's certificate chain is damaged or forged`,
  TdxCollateralExpired: ([k, until]) =>
    `the ${kindName(k)} expired at ${when(until)}: push Intel's current one (anyone may)`,
  TdxCollateralMalformed: ([k, off]) =>
    `the ${kindName(k)} is malformed at byte ${off}: push Intel's document unchanged`,
  TdxCollateralMissing: ([k]) => `no ${kindName(k)} has been pushed: push Intel's current one first (anyone may)`,
  TdxCollateralNotNewer: ([k, issued, current]) =>
    `this ${kindName(k)} (issued ${when(issued)}) is not newer than the one held (${when(current)}): nothing to update`,
  TdxCollateralOutsideValidity: ([k, issued, next]) =>
    `this ${kindName(k)} is valid ${when(issued)} – ${when(next)}, not now: push the current one`,
  TdxCollateralSignatureInvalid: ([k]) =>
    `the ${kindName(k)} is not signed by Intel's TCB signing key: push Intel's document and signature unchanged`,
  TdxCollateralWrongId: ([k]) => `this is not a TDX ${kindName(k)} document: push the TDX one`,
  TdxCrlExpired: ([issuer, next]) =>
    `the CRL of CA ${issuer} expired at ${when(next)}: push Intel's current CRL (anyone may)`,
  TdxCrlMissing: ([issuer]) => `no CRL of CA ${issuer} has been pushed: push Intel's current CRL first (anyone may)`,
  TdxCrlNotNewer: ([issuer, thisUpdate, current]) =>
    `this CRL of CA ${issuer} (${when(thisUpdate)}) is not newer than the one held (${when(current)}): nothing to update`,
  TdxCrlOutsideValidity: ([thisUpdate, next]) =>
    `this CRL is valid ${when(thisUpdate)} – ${when(next)}, not now: push the current one`,
  TdxCrlSignatureInvalid: ([issuer]) => `this CRL is not signed by CA ${issuer}: push Intel's CRL unchanged`,
  TdxDebugTd: ([attrs]) =>
    `the TD runs in debug mode (attributes ${attrs}): its memory is not private; attest a production TD`,
  TdxInvalidMeasurement: ([m]) => `measurement ${m} cannot be approved: give a real measurement hash`,
  TdxInvalidTcbPolicy: ([mask]) => `TCB policy ${mask} would accept Revoked platforms: never include Revoked`,
  TdxMalformedDer: ([off]) => `a certificate or CRL is malformed at byte ${off}: use Intel's documents unchanged`,
  TdxMalformedPemChain: ([off]) =>
    `the quote's PEM certificate chain is malformed at byte ${off}: get the quote with its full PCK chain (certification data type 5)`,
  TdxMeasurementMismatch: ([claimed, actual]) =>
    `the measurement given (${claimed}) is not the quote's (${actual}): register with the quote's measurement`,
  TdxMeasurementNotApproved: ([m]) =>
    `the TD's measurement ${m} is not approved by governance: run an approved image, or ask governance to approve this one`,
  TdxMissingSgxExtension: () =>
    "the PCK certificate has no SGX extension (FMSPC, TCB): the quote's certificate is not a PCK certificate",
  TdxModuleMismatch: ([v]) =>
    `the TDX module (major version ${v}) is not the one Intel's TCB info describes: update the platform's TDX module`,
  TdxModuleTcbNotFound: ([v, svn]) =>
    `Intel's TCB info knows no level for TDX module ${v} SVN ${svn}: push the current TCB info, or update the module`,
  TdxQeIdentityMismatch: () =>
    "the quoting enclave is not Intel's TD quoting enclave: get the quote from the platform's genuine QE",
  TdxQeReportDataMismatch: () => "the QE report does not bind the attestation key: the quote is damaged or forged",
  TdxQeReportSignatureInvalid: () => "the QE report is not signed by the PCK key: the quote is damaged or forged",
  TdxQeTcbNotFound: ([svn]) =>
    `Intel's QE identity knows no level for QE SVN ${svn}: push the current QE identity, or update the platform`,
  TdxQuoteLengthMismatch: ([off, declared, available]) =>
    `a length at byte ${off} declares ${declared} bytes where ${available} remain: the quote is damaged`,
  TdxQuoteSignatureInvalid: () => "the quote is not signed by its attestation key: the quote is damaged or forged",
  TdxQuoteTooShort: ([len, req]) => `the quote is ${len} bytes, its own fields need ${req}: send the whole quote`,
  TdxQuoteTrailingBytes: ([len, expected]) =>
    `the quote is ${len} bytes, its fields end at ${expected}: send only the quote`,
  TdxReportDataMismatch: ([expected]) =>
    `the TD's report data does not bind this key, operator, verifier and chain (expected ${expected}): get a quote whose report data is reportDataFor(…)`,
  TdxTcbInfoMissing: ([fmspc]) =>
    `no TCB info has been pushed for platform FMSPC ${fmspc}: push Intel's TDX TCB info for it (anyone may)`,
  TdxCertificateUsageInvalid: ([i]) =>
    `certificate ${i} (0 PCK, 1 CA or TCB signing, 2 root) may not be used this way: its basic constraints or key usage forbid it (a CA must be cA with keyCertSign and cRLSign; a PCK or TCB signing certificate must not be a CA and needs digitalSignature); use Intel's certificates`,
  TdxPceIdMismatch: ([info, pck]) =>
    `the TCB info is for PCE ${info} but the PCK certificate's PCE is ${pck}: push the TCB info Intel publishes for this platform`,
  TdxTcbLevelNotFound: ([fmspc]) =>
    `Intel's TCB info for FMSPC ${fmspc} has no level this platform meets: update the platform, or push the current TCB info`,
  TdxTcbStatusNotAccepted: ([st]) =>
    `the platform's TCB status ${TCB[Number(st)] ?? st} is outside governance's policy: update the platform (microcode, TDX module)`,
  TdxUnsupportedAttestationKeyType: ([t]) => `attestation key type ${t} is not supported: use an ECDSA-P256 quote`,
  TdxUnsupportedBodyType: ([t, size]) => `quote body type ${t} (${size} bytes) is not a TD report: send a TDX quote`,
  TdxUnsupportedCertificationDataType: ([t, expected]) =>
    `certification data type ${t} where ${expected} is needed: get the quote with its QE report and PCK chain`,
  TdxUnsupportedQuoteVersion: ([v]) => `quote version ${v} is not supported: send a version 4 or 5 quote`,
  TdxUnsupportedTeeType: ([t]) => `TEE type ${t} is not TDX: send a quote from a TDX guest`,
  TdxUntrustedRoot: ([h]) =>
    `the quote's root certificate (${h}) is not the pinned Intel root: the quote does not chain to Intel`,
  // Test token (local chains only)
  VerityTestTokenNotForProduction: ([c]) =>
    `chain ${c} is not a local chain and the mintable test token would let its owner print payment money: deploy the production module against an existing ERC-20 instead, or pass --allow-dev-contracts-on-public-chain to a throwaway test deployment`,
  // Test coordinator (for dApps' unit tests only)
  TestCoordinatorCallbackGasTooHigh: ([g, max]) => `a callback gas limit of ${g} is above the maximum ${max}: lower it`,
  TestCoordinatorCallbackNotRequester: ([cb, req]) =>
    `callback ${cb} is not the requester ${req}: a consumer contract must make its own requests`,
  TestCoordinatorInsufficientBalance: ([a, bal, need], t) =>
    `${a} has ${t(bal)} in the test coordinator and asks for ${t(need)}: deposit more`,
  TestCoordinatorInsufficientCallbackGas: ([rid, avail, need]) =>
    `request ${id(rid)} needs ${need} gas for its callback but ${avail} remained: send the call with more gas`,
  TestCoordinatorInvalidAddress: ([p]) => `${p} cannot be the zero address: give a real address`,
  TestCoordinatorRequestNotOpen: ([rid, st]) =>
    `request ${id(rid)} is ${STATUS[Number(st)] ?? `in status ${st}`}, not open: deliver or refund it only once`,
  // ZK
  ZkWeightsMismatch: ([rid, w, expected]) =>
    `request ${id(rid)} pins weights ${expected}, but the verifier proves ${w}: request the version whose verifier proves its weights`,
  ZkCommitmentOutOfField: ([rid, c]) =>
    `request ${id(rid)}'s commitment ${c} is not below the BN254 field: commit with the SDK's Poseidon helpers`,
  ZkInvalidAddress: ([p]) => `${p} cannot be the zero address: give a real address`,
  ZkInvalidProof: ([rid]) =>
    `the proof for request ${id(rid)} does not verify: prove with the version's circuit and key`,
  ZkMalformedProof: ([rid, len]) =>
    `the proof for request ${id(rid)} is ${len} bytes, not an encoded Groth16 proof: encode it with encodeZkProof`,
  ZkNoVerifier: ([m, v]) =>
    `version ${v} of model ${m} has no ZK verifier: request TEE mode, or a version with a circuit`,
  ZkOutputMismatch: ([rid, cls, h]) =>
    `request ${id(rid)}'s output (hash ${h}) is not the proven class ${cls}: submit abi.encode(class) as the output`,
};

/**
 * The sentence for a protocol revert (revert data, or an error that carries it), with amounts in
 * the token's units; undefined when the revert is not a protocol error.
 */
export function explainRevert(dataOrError: unknown, ctx: SentenceContext = {}): string | undefined {
  const decoded = decodeRevert(dataOrError);
  if (!decoded) return undefined;
  const sentence = ERROR_SENTENCES[decoded.name];
  if (!sentence) return decoded.text;
  const t = (amount: Arg) => `${formatUnits(BigInt(amount as bigint), ctx.decimals ?? 18)} ${ctx.symbol ?? "tokens"}`;
  return sentence(decoded.args, t);
}
