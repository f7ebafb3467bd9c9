// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {InferenceConsumer} from "../consumer/InferenceConsumer.sol";
import {SelfRequestingConsumer} from "./MaliciousConsumers.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {IResultVerifier} from "../interfaces/IResultVerifier.sol";
import {RequestParams, ResultClaim} from "../libraries/VerityTypes.sol";

/// @notice TEST ONLY: a verifier for any mode that accepts every claim and returns the request id. As a
/// version's ZK verifier it declares the weights hash set with `setWeightsHash`.
contract AcceptAllVerifier is IResultVerifier {
    uint8 private immutable _mode;
    bytes32 public weightsHash;

    constructor(uint8 mode_) {
        _mode = mode_;
    }

    function setWeightsHash(bytes32 weightsHash_) external {
        weightsHash = weightsHash_;
    }

    function verify(ResultClaim calldata claim, bytes calldata) external pure returns (bytes32) {
        return bytes32(claim.requestId);
    }

    function mode() external view returns (uint8) {
        return _mode;
    }
}

/// @notice TEST ONLY: records the gas it was given when the callback started.
contract GasProbeConsumer is SelfRequestingConsumer {
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

    uint256 public lastRefundedId;
    uint256 public refunds;

    function request(RequestParams calldata params) external returns (uint256) {
        return _requestInference(params);
    }

    /// @notice Funds the coordinator balance from `from` (which approved this contract), or from this
    /// contract's own tokens when `from` is this contract.
    function fund(address from, uint256 amount) external {
        _fundCoordinator(from, amount);
    }

    function withdrawTo(uint256 amount, address to) external {
        _withdrawFromCoordinator(amount, to);
    }

    function claimSlashedShare(address to) external {
        _claimSlashedShare(to);
    }

    function _onInferenceResult(uint256 requestId, bytes calldata output) internal override {
        lastRequestId = requestId;
        lastOutput = output;
        ++calls;
    }

    function _onInferenceRefunded(uint256 requestId, uint256) internal override {
        lastRefundedId = requestId;
        ++refunds;
    }
}
