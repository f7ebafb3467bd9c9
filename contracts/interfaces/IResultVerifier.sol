// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ResultClaim} from "../libraries/VerityTypes.sol";

/// @title IResultVerifier
/// @notice The plug-in point for a verification mode: one contract per mode. The coordinator pays
/// only after `verify` returns.
interface IResultVerifier {
    /// @notice Checks `proof` for `claim` and reverts with the verifier's own error if it does not hold.
    /// @return record What the verifier checked, for the result's proof record (e.g. the enclave key).
    function verify(ResultClaim calldata claim, bytes calldata proof) external returns (bytes32 record);

    /// @notice The mode this verifier serves (`MODE_*`).
    function mode() external view returns (uint8);
}
