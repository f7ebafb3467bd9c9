// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IResultVerifier} from "./IResultVerifier.sol";

/// @title IZkVerifier
/// @notice ZK mode's entry in the coordinator (it enables the mode) and the router integrators call to
/// re-check a claim (it looks up the version's verifier in the registry and asks it).
interface IZkVerifier is IResultVerifier {
    /// @notice Thrown when constructor address `parameter` is zero.
    error ZkInvalidAddress(string parameter);
    /// @notice Thrown when model `modelId` version `version` has no ZK verifier.
    error ZkNoVerifier(bytes32 modelId, uint32 version);
}
