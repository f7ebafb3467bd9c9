// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IInferenceConsumer
/// @notice Implemented by contracts that receive verified results from the coordinator.
interface IInferenceConsumer {
    /// @notice Called by the coordinator, with the gas limit the requester chose, once the result of
    /// `requestId` is verified and paid for. A revert here does not undo delivery or payment.
    function onInferenceResult(uint256 requestId, bytes calldata output) external;
}
