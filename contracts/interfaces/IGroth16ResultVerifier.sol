// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IResultVerifier} from "./IResultVerifier.sol";

/// @title IGroth16ResultVerifier
/// @notice ZK mode, per model version: a Groth16 verifier whose verification key is the version's circuit
/// (weights baked in as constants), so the key itself identifies the model version. The registry pins
/// it per version and the coordinator pins it per request when the request is made.
/// Every Verity circuit has two public signals, in this order: [output class, input commitment], where
/// the commitment is Poseidon(input..., salt). ZK requests name their operator, so a proof copied from
/// the mempool cannot be submitted by anyone else.
/// The proof is `abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256 outputClass)` (b in
/// the precompile's order, as snarkjs's `exportSolidityCallData` gives it); the output bytes are
/// `abi.encode(outputClass)`.
interface IGroth16ResultVerifier is IResultVerifier {
    /// @notice Thrown when a proof for `requestId` is not `length` 288 bytes.
    error ZkMalformedProof(uint256 requestId, uint256 length);
    /// @notice Thrown when the request's input commitment is not a BN254 scalar field element.
    error ZkCommitmentOutOfField(uint256 requestId, bytes32 commitment);
    /// @notice Thrown when `outputHash` is not the hash of `abi.encode(outputClass)`.
    error ZkOutputMismatch(uint256 requestId, uint256 outputClass, bytes32 outputHash);
    /// @notice Thrown when the Groth16 check fails for `requestId`.
    error ZkInvalidProof(uint256 requestId);
    /// @notice Thrown when a claim is for `weightsHash` but this circuit proves `expected`'s model.
    error ZkWeightsMismatch(uint256 requestId, bytes32 weightsHash, bytes32 expected);

    /// @notice The raw Groth16 check over public signals [outputClass, commitment]; false (never a
    /// revert) for a malformed point, a signal outside the field or a class the circuit cannot output.
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[2] calldata publicSignals
    ) external view returns (bool);

    /// @notice Number of output classes of the circuit: valid classes are [0, classes()).
    function classes() external pure returns (uint256);

    /// @notice What the circuit proves: the weights hash of the model version whose weights it bakes in.
    /// The registry publishes a version with this verifier only when the version's weights hash matches.
    function weightsHash() external view returns (bytes32);
}
