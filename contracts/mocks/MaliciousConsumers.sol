// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {IOperatorStaking} from "../interfaces/IOperatorStaking.sol";
import {Request, RequestParams} from "../libraries/VerityTypes.sol";

/// @notice TEST ONLY: a consumer that makes its own requests (a callback must be its requester).
abstract contract SelfRequestingConsumer is IInferenceConsumer {
    uint256 public refunds;
    uint256 public lastRefundedId;

    /// @notice Opens a request with this contract as requester and callback.
    function request(IInferenceCoordinator coordinator, RequestParams memory params) external returns (uint256) {
        params.callback = address(this);
        return coordinator.requestInference(params);
    }

    /// @notice Deposits `amount` of this contract's tokens into its coordinator balance.
    function fund(IInferenceCoordinator coordinator, IERC20 token, uint256 amount) external {
        token.approve(address(coordinator), amount);
        coordinator.deposit(amount);
    }

    function onInferenceRefunded(uint256 requestId, uint256) external virtual {
        lastRefundedId = requestId;
        ++refunds;
    }
}

/// @notice TEST ONLY: records what it received.
contract RecordingConsumer is SelfRequestingConsumer {
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
contract RevertingConsumer is SelfRequestingConsumer {
    /// @notice Thrown by every hook of this consumer.
    error ConsumerAlwaysReverts();

    function onInferenceResult(uint256, bytes calldata) external pure {
        revert ConsumerAlwaysReverts();
    }

    function onInferenceRefunded(uint256, uint256) external pure override {
        revert ConsumerAlwaysReverts();
    }
}

/// @notice TEST ONLY: burns all the gas it is given.
contract GasBurningConsumer is SelfRequestingConsumer {
    uint256 public sink;

    function onInferenceResult(uint256, bytes calldata) external {
        while (true) {
            ++sink;
        }
    }
}

/// @notice TEST ONLY: tries to re-enter the coordinator from the callback.
contract ReentrantConsumer is SelfRequestingConsumer {
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

/// @notice TEST ONLY: from its callback, jails the operator through staking's slasher role (stands for
/// anything a callback can do that makes the operator ineligible, e.g. an equivocation report).
contract JailingConsumer is SelfRequestingConsumer {
    IOperatorStaking public staking;
    address public operatorToJail;
    uint256 public calls;

    function setJail(IOperatorStaking staking_, address operator) external {
        staking = staking_;
        operatorToJail = operator;
    }

    function onInferenceResult(uint256, bytes calldata) external {
        ++calls;
        if (address(staking) != address(0) && !staking.stakeOf(operatorToJail).jailed) {
            staking.slash(operatorToJail, 0, 3, address(0), true);
        }
    }
}
