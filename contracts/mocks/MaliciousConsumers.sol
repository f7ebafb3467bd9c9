// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {Request} from "../libraries/VerityTypes.sol";

/// @notice TEST ONLY: records what it received.
contract RecordingConsumer is IInferenceConsumer {
    uint256 public lastRequestId;
    bytes public lastOutput;
    uint256 public calls;

    function onInferenceResult(uint256 requestId, bytes calldata output) external {
        lastRequestId = requestId;
        lastOutput = output;
        ++calls;
    }
}

/// @notice TEST ONLY: always reverts.
contract RevertingConsumer is IInferenceConsumer {
    error ConsumerAlwaysReverts();

    function onInferenceResult(uint256, bytes calldata) external pure {
        revert ConsumerAlwaysReverts();
    }
}

/// @notice TEST ONLY: burns all the gas it is given.
contract GasBurningConsumer is IInferenceConsumer {
    uint256 public sink;

    function onInferenceResult(uint256, bytes calldata) external {
        while (true) {
            ++sink;
        }
    }
}

/// @notice TEST ONLY: tries to re-enter the coordinator from the callback.
contract ReentrantConsumer is IInferenceConsumer {
    IInferenceCoordinator public immutable coordinator;
    bytes public lastError;
    uint8 public attack; // 1: withdraw, 2: fulfil another request, 3: refund

    Request private _target;
    bytes private _output;
    bytes private _proof;

    constructor(IInferenceCoordinator coordinator_) {
        coordinator = coordinator_;
    }

    function setAttack(uint8 attack_, Request calldata target, bytes calldata output, bytes calldata proof) external {
        attack = attack_;
        _target = target;
        _output = output;
        _proof = proof;
    }

    function onInferenceResult(uint256, bytes calldata) external {
        if (attack == 1) {
            try coordinator.withdraw(1, address(this)) {} catch (bytes memory err) {
                lastError = err;
            }
        } else if (attack == 2) {
            try coordinator.fulfill(_target, _output, _proof) {} catch (bytes memory err) {
                lastError = err;
            }
        } else if (attack == 3) {
            try coordinator.refund(_target) {} catch (bytes memory err) {
                lastError = err;
            }
        }
    }
}
