// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IResultVerifier} from "./IResultVerifier.sol";

/// @title IZkVerifier
/// @notice ZK mode: a Groth16 proof, checked by the model version's generated verifier, that the
/// output class is the version's circuit applied to the input committed to by the request.
/// Every Verity circuit has three public signals, in this order: [output class, input commitment,
/// operator]. The commitment is Poseidon(input..., salt); the operator binds a proof to its submitter.
interface IZkVerifier is IResultVerifier {
    error ZkInvalidAddress(string parameter);
    error ZkNoVerifier(bytes32 modelId, uint32 version);
    error ZkMalformedProof(uint256 requestId, uint256 length);
    error ZkCommitmentOutOfField(uint256 requestId, bytes32 commitment);
    error ZkOutputMismatch(uint256 requestId, uint256 outputClass, bytes32 outputHash);
    error ZkInvalidProof(uint256 requestId);

    /// @notice Selective disclosure: whether `input` and `salt` open `commitment` (inputs must be in
    /// the circuit's range [0, 2^16), the salt a field element).
    function checkDisclosure(bytes32 commitment, uint256[4] calldata input, uint256 salt) external view returns (bool);
}

/// @notice A snarkjs Groth16 verifier for a circuit with three public signals.
interface IGroth16Verifier3 {
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[3] calldata pubSignals
    ) external view returns (bool);
}

/// @notice circomlibjs's Poseidon contract for five inputs (contracts/generated/PoseidonT6.sol).
interface IPoseidon5 {
    function poseidon(uint256[5] calldata input) external pure returns (uint256);
}
