// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IPoseidon4
/// @notice circomlibjs's Poseidon contract for four inputs (contracts/generated/PoseidonT5.sol): circomlib's
/// `Poseidon(4)` over the BN254 scalar field.
interface IPoseidon4 {
    function poseidon(uint256[4] calldata input) external pure returns (uint256);
}
