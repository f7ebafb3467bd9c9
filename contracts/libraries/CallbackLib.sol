// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";

/// @title CallbackLib
/// @notice The one callback path: how much gas a coordinator must hold before calling a consumer, and
/// the call itself. `InferenceCoordinator` and `TestInferenceCoordinator` both use it, so a dApp's unit
/// tests exercise the same gas rule as the network.
///
/// The rule: right before the CALL, with the call data already in memory, `gasleft()` must be at least
/// `gasLimit + gasLimit / 63 + RESERVE_GAS`. EIP-150 forwards at most 63/64 of what is left after the
/// CALL's own charges, so `gasLimit + gasLimit / 63` after them guarantees the consumer its full limit.
/// The reserve pays those charges (2,600 for a cold account, EIP-2929; memory is already expanded) and
/// the bookkeeping after the call returns.
library CallbackLib {
    /// @notice Gas kept on top of the callback's limit: the CALL's access cost and the bookkeeping after.
    uint256 internal constant RESERVE_GAS = 15_000;

    /// @notice Gas that must be left right before the call for the consumer to get `gasLimit`.
    function gasNeeded(uint256 gasLimit) internal pure returns (uint256) {
        return gasLimit + gasLimit / 63 + RESERVE_GAS;
    }

    /// @notice `onInferenceResult(requestId, output)`, ABI-encoded.
    function resultCall(uint256 requestId, bytes calldata output) internal pure returns (bytes memory) {
        return abi.encodeCall(IInferenceConsumer.onInferenceResult, (requestId, output));
    }

    /// @notice `onInferenceRefunded(requestId, amount)`, ABI-encoded.
    function refundCall(uint256 requestId, uint256 amount) internal pure returns (bytes memory) {
        return abi.encodeCall(IInferenceConsumer.onInferenceRefunded, (requestId, amount));
    }

    /// @notice Calls `target` with exactly `gasLimit` gas and `data`, copying no return data (a consumer
    /// cannot grief with a huge return). The caller has checked `gasNeeded` right before.
    function invoke(address target, uint256 gasLimit, bytes memory data) internal returns (bool success) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            success := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
    }
}
