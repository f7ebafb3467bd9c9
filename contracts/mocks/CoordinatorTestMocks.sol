// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {InferenceConsumer} from "../consumer/InferenceConsumer.sol";
import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {IResultVerifier} from "../interfaces/IResultVerifier.sol";
import {RequestParams, ResultClaim} from "../libraries/VerityTypes.sol";

/// @notice TEST ONLY: a verifier for any mode that accepts every claim and returns the proof's first word.
contract AcceptAllVerifier is IResultVerifier {
    uint8 private immutable _mode;

    constructor(uint8 mode_) {
        _mode = mode_;
    }

    function verify(ResultClaim calldata claim, bytes calldata) external pure returns (bytes32) {
        return bytes32(claim.requestId);
    }

    function mode() external view returns (uint8) {
        return _mode;
    }
}

/// @notice TEST ONLY: records the gas it was given when the callback started.
contract GasProbeConsumer is IInferenceConsumer {
    uint256 public gasAtEntry;
    uint256 public calls;

    function onInferenceResult(uint256, bytes calldata) external {
        uint256 g = gasleft();
        gasAtEntry = g;
        ++calls;
    }
}

/// @notice TEST ONLY: the smallest concrete `InferenceConsumer`; funds itself from its own token balance.
contract TestInferenceConsumer is InferenceConsumer {
    uint256 public lastRequestId;
    bytes public lastOutput;
    uint256 public calls;

    constructor(IInferenceCoordinator coordinator_) InferenceConsumer(coordinator_) {}

    function request(RequestParams calldata params) external returns (uint256) {
        return _requestInference(params);
    }

    function fund(IERC20 token, uint256 amount) external {
        token.approve(address(coordinator), amount);
        coordinator.deposit(amount);
    }

    function _onInferenceResult(uint256 requestId, bytes calldata output) internal override {
        lastRequestId = requestId;
        lastOutput = output;
        ++calls;
    }
}
