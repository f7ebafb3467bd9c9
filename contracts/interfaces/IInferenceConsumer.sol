// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IInferenceConsumer
/// @notice Implemented by contracts that request inferences and receive their outcome from the
/// coordinator. The coordinator only calls a consumer about requests the consumer itself made (a
/// request's callback must be its requester).
interface IInferenceConsumer {
    /// @notice Called by the coordinator, with the gas limit the request set, once the result of
    /// `requestId` is verified and paid for. A revert here does not undo delivery or payment.
    function onInferenceResult(uint256 requestId, bytes calldata output) external;

    /// @notice Called by the coordinator, with the same gas limit, when `requestId` was refunded:
    /// `amount` is back in the consumer's coordinator balance. A revert here does not undo the refund.
    function onInferenceRefunded(uint256 requestId, uint256 amount) external;
}
