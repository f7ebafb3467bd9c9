// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IPoseidon5
/// @notice circomlibjs's Poseidon contract for five inputs (contracts/generated/PoseidonT6.sol).
interface IPoseidon5 {
    function poseidon(uint256[5] calldata input) external pure returns (uint256);
}
