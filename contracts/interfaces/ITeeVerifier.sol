// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IResultVerifier} from "./IResultVerifier.sol";
import {ResultClaim} from "../libraries/VerityTypes.sol";

/// @title ITeeVerifier
/// @notice TEE mode: results are EIP-712 signatures by an enclave key registered with an attestation.
interface ITeeVerifier is IResultVerifier {
    struct Enclave {
        address operator;
        uint40 registeredAt;
        bool active;
        /// Set once the enclave was proven to equivocate (and its operator slashed).
        bool equivocated;
        bytes32 measurement;
    }

    event EnclaveRegistered(address indexed operator, address indexed enclaveKey, bytes32 indexed measurement);
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

    error TeeInvalidEnclaveKey(address enclaveKey);
    error TeeEnclaveAlreadyRegistered(address enclaveKey, address operator);
    error TeeAttestationRejected(address enclaveKey, bytes32 measurement);
    error TeeUnknownEnclave(address enclaveKey);
    error TeeEnclaveNotActive(address enclaveKey);
    error TeeEnclaveOperatorMismatch(address enclaveKey, address expected, address actual);
    error TeeInvalidSignature(uint256 requestId);
    error TeeNotRevoker(address caller, address enclaveKey);
    error TeeNotEquivocation(uint256 requestIdA, uint256 requestIdB);
    error TeeDifferentSigners(address signerA, address signerB);
    error TeePenaltyOutOfRange(uint256 penalty, uint256 max);
    error TeeEnclaveAlreadyPunished(address enclaveKey);
    error TeeInvalidAttestationVerifier(address verifier);

    /// @notice Registers `enclaveKey` for the caller, after the attestation verifier accepts `report`.
    function registerEnclave(address enclaveKey, bytes32 measurement, bytes calldata report) external;

    /// @notice Deactivates an enclave key (its operator, or governance).
    function revokeEnclave(address enclaveKey) external;

    /// @notice Slashes the operator whose enclave signed two different outputs for one request.
    function reportEquivocation(
        ResultClaim calldata a,
        bytes calldata signatureA,
        ResultClaim calldata b,
        bytes calldata signatureB
    ) external returns (uint256 slashed);

    function getEnclave(address enclaveKey) external view returns (Enclave memory);

    /// @notice EIP-712 digest an enclave signs for `claim`.
    function resultDigest(ResultClaim calldata claim) external view returns (bytes32);

    /// @notice Signer of `signature` over `claim`, or zero if the signature is malformed.
    function recoverSigner(ResultClaim calldata claim, bytes calldata signature) external view returns (address);
}
