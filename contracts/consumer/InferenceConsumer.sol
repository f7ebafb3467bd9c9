// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {RequestParams} from "../libraries/VerityTypes.sol";

/// @title InferenceConsumer
/// @notice Base for dApp contracts that request inferences and act on verified results. Everything a
/// consumer needs to live on its own: it pays for requests from its own coordinator balance
/// (`_fundCoordinator`), gets refunds and slashed shares back (`_withdrawFromCoordinator`,
/// `_claimSlashedShare`), hears about results and refunds through two hooks, and only ever about
/// requests it made itself: the coordinator refuses a request whose callback is not its requester, and
/// only the coordinator can call the hooks. Expose the internal helpers with your own access control.
abstract contract InferenceConsumer is IInferenceConsumer {
    using SafeERC20 for IERC20;

    IInferenceCoordinator public immutable coordinator;

    /// @notice Thrown when `caller`, not the coordinator, calls a consumer hook.
    error ConsumerOnlyCoordinator(address caller);

    constructor(IInferenceCoordinator coordinator_) {
        coordinator = coordinator_;
    }

    /// @inheritdoc IInferenceConsumer
    function onInferenceResult(uint256 requestId, bytes calldata output) external {
        if (msg.sender != address(coordinator)) revert ConsumerOnlyCoordinator(msg.sender);
        _onInferenceResult(requestId, output);
    }

    /// @inheritdoc IInferenceConsumer
    function onInferenceRefunded(uint256 requestId, uint256 amount) external {
        if (msg.sender != address(coordinator)) revert ConsumerOnlyCoordinator(msg.sender);
        _onInferenceRefunded(requestId, amount);
    }

    /// @dev Opens a request paid from this contract's coordinator balance (any shortfall is pulled
    /// from this contract's token balance), with this contract as the callback.
    function _requestInference(RequestParams memory params) internal returns (uint256) {
        params.callback = address(this);
        return coordinator.requestInference(params);
    }

    /// @dev Moves `amount` of the payment token from `from` (which approved this contract) into this
    /// contract's coordinator balance. `from` may be this contract itself.
    function _fundCoordinator(address from, uint256 amount) internal {
        IERC20 paymentToken = coordinator.token();
        if (from != address(this)) paymentToken.safeTransferFrom(from, address(this), amount);
        paymentToken.forceApprove(address(coordinator), amount);
        coordinator.deposit(amount);
    }

    /// @dev Sends `amount` of this contract's coordinator balance (refunds, earnings) to `to`.
    function _withdrawFromCoordinator(uint256 amount, address to) internal {
        coordinator.withdraw(amount, to);
    }

    /// @dev Sends this contract's share of operators' slashed stake (a missed deadline on one of its
    /// requests pays the requester part of the penalty) to `to`.
    function _claimSlashedShare(address to) internal {
        coordinator.staking().claimSlashed(to);
    }

    /// @dev Acts on a verified result of a request this contract made. Keep it within the callback gas
    /// limit the request set.
    function _onInferenceResult(uint256 requestId, bytes calldata output) internal virtual;

    /// @dev Acts on a refund of a request this contract made (`amount` is back in its coordinator
    /// balance). Does nothing unless overridden.
    function _onInferenceRefunded(uint256 requestId, uint256 amount) internal virtual {}
}
