// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The few cheatcodes the Solidity tests use (forge-std is not available here). Hardhat's
/// EDR serves them at the usual cheatcode address.
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function warp(uint256 timestamp) external;

    function prank(address sender) external;

    function startPrank(address sender) external;

    function stopPrank() external;

    function assume(bool condition) external pure;

    function addr(uint256 privateKey) external pure returns (address);

    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);

    function recordLogs() external;

    function getRecordedLogs() external returns (Log[] memory logs);

    function expectRevert(bytes calldata revertData) external;
}

Vm constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
