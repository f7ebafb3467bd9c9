// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IPoseidon2
/// @notice circomlibjs's Poseidon contract for two inputs (contracts/generated/PoseidonT3.sol): circomlib's
/// `Poseidon(2)` over the BN254 scalar field.
interface IPoseidon2 {
    function poseidon(uint256[2] calldata input) external pure returns (uint256);
}
