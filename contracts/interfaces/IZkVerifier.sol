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
    error ZkMalformedProof(uint256 requestId, uint256 length);
    error ZkCommitmentOutOfField(uint256 requestId, bytes32 commitment);
    error ZkOutputMismatch(uint256 requestId, uint256 outputClass, bytes32 outputHash);
    error ZkInvalidProof(uint256 requestId);

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
}

/// @title IZkVerifier
/// @notice ZK mode's entry in the coordinator (it enables the mode), the router integrators call to
/// re-check a claim (it looks up the version's verifier in the registry and asks it), and the on-chain
/// selective-disclosure check.
interface IZkVerifier is IResultVerifier {
    error ZkInvalidAddress(string parameter);
    error ZkNoVerifier(bytes32 modelId, uint32 version);

    /// @notice Selective disclosure: whether `input` and `salt` open `commitment` (inputs must be in
    /// the circuit's range [0, 2^16), the salt a field element).
    function checkDisclosure(bytes32 commitment, uint256[4] calldata input, uint256 salt) external view returns (bool);
}

/// @notice circomlibjs's Poseidon contract for five inputs (contracts/generated/PoseidonT6.sol).
interface IPoseidon5 {
    function poseidon(uint256[5] calldata input) external pure returns (uint256);
}
