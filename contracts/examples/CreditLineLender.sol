// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable2Step, Ownable} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {InferenceConsumer} from "../consumer/InferenceConsumer.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {MODE_TEE, RequestParams} from "../libraries/VerityTypes.sol";

/// @dev The coordinator's public `token()` getter (not part of `IInferenceCoordinator`).
interface IPaymentTokenSource {
    function token() external view returns (IERC20);
}

/// @title CreditLineLender
/// @notice Example dApp: an applicant asks for a credit line; the lender has a registered risk model
/// score the application and approves the line only when the verified risk class is at or below
/// `maxApprovedClass`. The model's output is an ABI-encoded uint256 class (0 = lowest risk).
contract CreditLineLender is InferenceConsumer, Ownable2Step {
    using SafeERC20 for IERC20;

    enum Decision {
        None,
        Pending,
        Approved,
        Denied
    }

    struct Application {
        address applicant;
        uint96 amount;
        Decision decision;
        uint8 riskClass;
    }

    bytes32 public immutable modelId;
    uint256 public maxApprovedClass;
    uint32 public callbackGasLimit = 100_000;
    uint64 public timeout = 1 hours;

    mapping(uint256 requestId => Application) private _applications;

    event ApplicationSubmitted(uint256 indexed requestId, address indexed applicant, uint256 amount);
    event CreditLineApproved(uint256 indexed requestId, address indexed applicant, uint256 amount, uint256 riskClass);
    event CreditLineDenied(uint256 indexed requestId, address indexed applicant, uint256 riskClass);
    event MaxApprovedClassUpdated(uint256 maxApprovedClass);

    error LenderUnknownApplication(uint256 requestId);
    error LenderBadOutput(uint256 requestId, uint256 length);
    error LenderZeroAmount();

    constructor(
        IInferenceCoordinator coordinator_,
        bytes32 modelId_,
        uint256 maxApprovedClass_,
        address owner_
    ) InferenceConsumer(coordinator_) Ownable(owner_) {
        modelId = modelId_;
        maxApprovedClass = maxApprovedClass_;
    }

    /// @notice Applies for a credit line of `amount`; `features` is the model's encoded input.
    /// The inference is paid from this contract's coordinator balance.
    function applyForCredit(uint96 amount, bytes calldata features) external returns (uint256 requestId) {
        if (amount == 0) revert LenderZeroAmount();
        requestId = _requestInference(
            RequestParams({
                modelId: modelId,
                version: 0,
                mode: MODE_TEE,
                operator: address(0),
                callback: address(this),
                callbackGasLimit: callbackGasLimit,
                storeOutput: false,
                timeout: timeout,
                tip: 0,
                maxFee: 0,
                inputCommitment: bytes32(0),
                input: features
            })
        );
        _applications[requestId] = Application({
            applicant: msg.sender,
            amount: amount,
            decision: Decision.Pending,
            riskClass: 0
        });
        emit ApplicationSubmitted(requestId, msg.sender, amount);
    }

    function setMaxApprovedClass(uint256 value) external onlyOwner {
        maxApprovedClass = value;
        emit MaxApprovedClassUpdated(value);
    }

    /// @notice Pays `amount` of the payment token from the caller into this contract's coordinator
    /// balance, which pays for the applications' inferences (`deposit` credits its caller, so the
    /// lender has to make the deposit itself).
    function fundCoordinator(uint256 amount) external onlyOwner {
        IERC20 paymentToken = IPaymentTokenSource(address(coordinator)).token();
        paymentToken.safeTransferFrom(msg.sender, address(this), amount);
        paymentToken.forceApprove(address(coordinator), amount);
        coordinator.deposit(amount);
    }

    /// @notice Moves this contract's coordinator balance (refunds included) to `to`.
    function withdrawFromCoordinator(uint256 amount, address to) external onlyOwner {
        coordinator.withdraw(amount, to);
    }

    function getApplication(uint256 requestId) external view returns (Application memory) {
        return _applications[requestId];
    }

    function _onInferenceResult(uint256 requestId, bytes calldata output) internal override {
        Application storage app = _applications[requestId];
        if (app.decision != Decision.Pending) revert LenderUnknownApplication(requestId);
        if (output.length != 32) revert LenderBadOutput(requestId, output.length);
        uint256 riskClass = abi.decode(output, (uint256));
        app.riskClass = uint8(riskClass > type(uint8).max ? type(uint8).max : riskClass);
        if (riskClass <= maxApprovedClass) {
            app.decision = Decision.Approved;
            emit CreditLineApproved(requestId, app.applicant, app.amount, riskClass);
        } else {
            app.decision = Decision.Denied;
            emit CreditLineDenied(requestId, app.applicant, riskClass);
        }
    }
}
