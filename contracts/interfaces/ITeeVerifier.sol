// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IResultVerifier} from "./IResultVerifier.sol";
import {ResultClaim} from "../libraries/VerityTypes.sol";

/// @title ITeeVerifier
/// @notice TEE mode: results are EIP-712 signatures by an enclave key registered with an attestation.
interface ITeeVerifier is IResultVerifier {
    struct Enclave {
        address operator;
        /// Until when the attestation holds (the attestation verifier's `validUntil`, capped at
        /// `type(uint40).max`, which means never): results are refused from then on, until the operator
        /// registers the key again with a fresh report. Kept in the slot every result check reads.
        uint40 validUntil;
        bool active;
        /// Set once the enclave was proven to equivocate (and its operator slashed).
        bool equivocated;
        /// The attestation-verifier generation that accepted the key: results stop being accepted as
        /// soon as governance replaces the attestation verifier (the key must be registered again).
        uint32 attestationEpoch;
        /// Code measurement the attestation vouched for: results stop being accepted as soon as the
        /// attestation verifier no longer approves it.
        bytes32 measurement;
    }

    /// @notice `enclaveKey` was registered (or registered again, with a fresh report) for `operator`;
    /// its attestation holds until `validUntil` (see `Enclave.validUntil`).
    event EnclaveRegistered(
        address indexed operator,
        address indexed enclaveKey,
        bytes32 indexed measurement,
        uint64 validUntil
    );
    event EnclaveRevoked(address indexed operator, address indexed enclaveKey, address revokedBy);
    event EquivocationReported(
        uint256 indexed requestId,
        address indexed enclaveKey,
        address indexed operator,
        address reporter,
        bytes32 outputHashA,
        bytes32 outputHashB,
        uint256 slashed
    );
    event EquivocationPenaltyUpdated(uint256 penalty);
    /// @notice Governance replaced the attestation verifier; keys registered under earlier ones stop
    /// being accepted (`epoch` is the new generation).
    event AttestationVerifierUpdated(address attestationVerifier, uint256 epoch);

    /// @notice Thrown when registering the zero address as an enclave key.
    error TeeInvalidEnclaveKey(address enclaveKey);
    /// @notice Thrown when `enclaveKey` is already registered to another operator, `operator`.
    error TeeEnclaveAlreadyRegistered(address enclaveKey, address operator);
    /// @notice Thrown when the attestation verifier rejects the report for `enclaveKey` and `measurement`.
    error TeeAttestationRejected(address enclaveKey, bytes32 measurement);
    /// @notice Thrown when the registration is not signed by `enclaveKey` (it recovered to `signer`):
    /// only the holder of a key can register it.
    error TeeKeyPossessionNotProven(address enclaveKey, address signer);
    /// @notice Thrown when `enclaveKey` was never registered.
    error TeeUnknownEnclave(address enclaveKey);
    /// @notice Thrown when `enclaveKey` was revoked (or punished).
    error TeeEnclaveNotActive(address enclaveKey);
    /// @notice Thrown when `enclaveKey` belongs to `actual`, not to the submitting operator `expected`.
    error TeeEnclaveOperatorMismatch(address enclaveKey, address expected, address actual);
    /// @notice Thrown when `enclaveKey` was registered under an attestation verifier governance has
    /// since replaced.
    error TeeAttestationVerifierReplaced(address enclaveKey);
    /// @notice Thrown when `enclaveKey`'s attestation stopped holding at `validUntil` (a certificate,
    /// revocation list or collateral behind it is no longer current): its operator must register the key
    /// again with a fresh report.
    error TeeAttestationExpired(address enclaveKey, uint64 validUntil);
    /// @notice Thrown when the attestation verifier no longer approves `enclaveKey`'s `measurement`.
    error TeeMeasurementRevoked(address enclaveKey, bytes32 measurement);
    /// @notice Thrown when a result signature for `requestId` is malformed.
    error TeeInvalidSignature(uint256 requestId);
    /// @notice Thrown when `caller` (neither the key's operator nor governance) revokes `enclaveKey`.
    error TeeNotRevoker(address caller, address enclaveKey);
    /// @notice Thrown when two reported claims are for different requests or have the same output.
    error TeeNotEquivocation(uint256 requestIdA, uint256 requestIdB);
    /// @notice Thrown when two reported signatures come from different keys.
    error TeeDifferentSigners(address signerA, address signerB);
    /// @notice Thrown when the equivocation penalty is set to zero or above `max`.
    error TeePenaltyOutOfRange(uint256 penalty, uint256 max);
    /// @notice Thrown when `enclaveKey` was already punished for equivocation.
    error TeeEnclaveAlreadyPunished(address enclaveKey);
    /// @notice Thrown when the attestation verifier is set to the zero address.
    error TeeInvalidAttestationVerifier(address verifier);

    /// @notice Registers `enclaveKey` for the caller, after the attestation verifier accepts `report`,
    /// until the attestation's `validUntil`. `keySignature` is the enclave key's signature over
    /// `registrationDigest(caller, enclaveKey)`: proof that the caller holds the key (nobody can squat
    /// someone else's key). The key's operator calls this again with a fresh report to re-attest (before
    /// the expiry, after it, or under a replaced attestation verifier); a revoked or punished key stays so.
    function registerEnclave(
        address enclaveKey,
        bytes32 measurement,
        bytes calldata report,
        bytes calldata keySignature
    ) external;

    /// @notice Deactivates an enclave key (its operator, or governance).
    function revokeEnclave(address enclaveKey) external;

    /// @notice Slashes the operator whose enclave signed two different outputs for one request. The
    /// penalty goes to the treasury: reporting pays nobody, so an offender gains nothing by reporting
    /// itself first from another address.
    function reportEquivocation(
        ResultClaim calldata a,
        bytes calldata signatureA,
        ResultClaim calldata b,
        bytes calldata signatureB
    ) external returns (uint256 slashed);

    function getEnclave(address enclaveKey) external view returns (Enclave memory);

    /// @notice EIP-712 digest an enclave key signs to be registered for `operator`: the struct
    /// `EnclaveRegistration(address operator,address enclaveKey)` under the domain (name "Verity",
    /// version "1", chain id, this verifier), so it is bound to the operator, the chain and the verifier.
    function registrationDigest(address operator, address enclaveKey) external view returns (bytes32);

    /// @notice EIP-712 digest an enclave signs for `claim`.
    function resultDigest(ResultClaim calldata claim) external view returns (bytes32);

    /// @notice Signer of `signature` over `claim`, or zero if the signature is malformed.
    function recoverSigner(ResultClaim calldata claim, bytes calldata signature) external view returns (address);
}
