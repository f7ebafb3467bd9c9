/**
 * Every custom error of the protocol's contracts as one sentence for people: what went wrong and
 * the fix. The error list is generated from the ABIs (`PROTOCOL_ERRORS`); the sentences are written
 * here, one per error name, and a test fails when an error has none.
 */
import { formatUnits } from "ethers";

import { decodeRevert } from "./errors.ts";

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
  // Consumer
  ConsumerOnlyCoordinator: ([a]) => `${a} is not the coordinator: only the coordinator delivers results to a consumer`,
  // Coordinator
  CoordinatorAmountTooLarge: ([v], t) =>
    `${t(v)} is more than the coordinator can hold in one balance: use a smaller amount`,
  CoordinatorBatchLengthMismatch: ([r, o, p]) =>
    `a batch needs one output and one proof per request, got ${r} requests, ${o} outputs and ${p} proofs: send equal lists`,
  CoordinatorCallbackGasTooHigh: ([g, max]) => `a callback gas limit of ${g} is above the maximum ${max}: lower it`,
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
  // Registry
  RegistryInvalidModes: ([m]) =>
    `mode set ${m} is not valid: allow at least one of TEE (bit 1) and ZK (bit 2), nothing else`,
  RegistryInvalidName: ([len, max]) => `a model name of ${len} bytes is not valid: give 1 to ${max} bytes`,
  RegistryInvalidRoyalty: ([bps]) => `a royalty of ${bps} bps is above 10,000 (100 %): give 0–10,000`,
  RegistryInvalidVersionField: ([f]) => `the version's ${f} is empty or too long: fill it in`,
  RegistryInvalidWeightsHash: ([h]) => `weights hash ${h} is not valid: give keccak256 of the model file`,
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
  StakingInvalidAddress: ([p]) => `${p} cannot be the zero address: give a real address`,
  StakingNothingToClaim: ([a]) => `${a} has no slashed share to claim`,
  StakingNothingUnbonding: ([op]) => `operator ${op} has nothing unbonding: start with "verity operator unstake"`,
  StakingParameterOutOfRange: ([p, v, min, max]) => `${p} = ${v} is outside ${min}–${max}: choose a value in range`,
  StakingStillUnbonding: ([op, at]) => `operator ${op}'s unbonding ends at ${when(at)}: withdraw after that`,
  StakingTransferShortfall: ([e, r], t) =>
    `the token moved ${t(r)} where ${t(e)} was expected (a fee-on-transfer or rebasing token): use a plain ERC-20`,
  StakingZeroAmount: () => "the amount is zero: give a positive amount",
  // TEE
  TeeAttestationRejected: ([key, m]) =>
    `the attestation for enclave key ${key} with measurement ${m} was rejected: attest a build whose measurement governance approved`,
  TeeDifferentSigners: ([a, b]) =>
    `the two results are signed by different keys (${a}, ${b}): that is not equivocation`,
  TeeEnclaveAlreadyPunished: ([key]) => `enclave ${key} was already punished for equivocation`,
  TeeEnclaveAlreadyRegistered: ([key, op]) =>
    `enclave key ${key} is already registered to ${op}: generate a new enclave key`,
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
  // ZK
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
