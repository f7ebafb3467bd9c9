// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {RequestParams} from "../libraries/VerityTypes.sol";

/// @title InferenceConsumer
/// @notice Base for dApp contracts that request inferences and act on verified results. Only the
/// coordinator can deliver a result. Requests are paid from this contract's coordinator balance.
abstract contract InferenceConsumer is IInferenceConsumer {
    IInferenceCoordinator public immutable coordinator;

    error ConsumerOnlyCoordinator(address caller);

    constructor(IInferenceCoordinator coordinator_) {
        coordinator = coordinator_;
    }

    /// @inheritdoc IInferenceConsumer
    function onInferenceResult(uint256 requestId, bytes calldata output) external {
        if (msg.sender != address(coordinator)) revert ConsumerOnlyCoordinator(msg.sender);
        _onInferenceResult(requestId, output);
    }

    /// @dev Opens a request paid from this contract's coordinator balance, with this contract as callback.
    function _requestInference(RequestParams memory params) internal returns (uint256) {
        params.callback = address(this);
        return coordinator.requestInference(params);
    }

    /// @dev Acts on a verified result. Keep it within the callback gas limit the request set.
    function _onInferenceResult(uint256 requestId, bytes calldata output) internal virtual;
}
