// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable2Step, Ownable} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {InferenceConsumer} from "../consumer/InferenceConsumer.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {MODE_TEE, RequestParams} from "../libraries/VerityTypes.sol";

/// @title CreditLineLender
/// @notice Example dApp: an applicant asks for a credit line; the lender has a registered risk model
/// score the application and approves the line only when the verified risk class is at or below
/// `maxApprovedClass`. The model's output is an ABI-encoded uint256 class (0 = lowest risk).
/// Every request pins the model version the owner reviewed and a fee cap, so neither a new version nor a
/// price change by the model's owner can slip into an application.
contract CreditLineLender is InferenceConsumer, Ownable2Step {
    enum Decision {
        None,
        Pending,
        Approved,
        Denied,
        /// No result by the deadline: the request was refunded; the applicant may apply again.
        Expired
    }

    struct Application {
        address applicant;
        uint96 amount;
        Decision decision;
        uint8 riskClass;
    }

    bytes32 public immutable modelId;
    /// @notice Model version every application runs (never 0, which would mean "latest").
    uint32 public modelVersion;
    /// @notice Highest fee (price + tip) an application pays; a higher price makes applications revert.
    uint96 public maxFee;
    uint256 public maxApprovedClass;
    uint32 public callbackGasLimit = 100_000;
    uint64 public timeout = 1 hours;

    mapping(uint256 requestId => Application) private _applications;

    event ApplicationSubmitted(uint256 indexed requestId, address indexed applicant, uint256 amount);
    event CreditLineApproved(uint256 indexed requestId, address indexed applicant, uint256 amount, uint256 riskClass);
    event CreditLineDenied(uint256 indexed requestId, address indexed applicant, uint256 riskClass);
    event MaxApprovedClassUpdated(uint256 maxApprovedClass);
    event ApplicationExpired(uint256 indexed requestId, address indexed applicant);
    event ModelTermsUpdated(uint32 modelVersion, uint96 maxFee);

    /// @notice Thrown when a result arrives for `requestId` that is not a pending application.
    error LenderUnknownApplication(uint256 requestId);
    /// @notice Thrown when the model's output for `requestId` is not one 32-byte word (`length`).
    error LenderBadOutput(uint256 requestId, uint256 length);
    /// @notice Thrown when applying for a zero amount.
    error LenderZeroAmount();
    /// @notice Thrown when the pinned model version is 0 ("latest" is not a reviewed version).
    error LenderVersionRequired();
    /// @notice Thrown when the fee cap is 0 (which the coordinator reads as "no cap").
    error LenderFeeCapRequired();

    constructor(
        IInferenceCoordinator coordinator_,
        bytes32 modelId_,
        uint32 modelVersion_,
        uint96 maxFee_,
        uint256 maxApprovedClass_,
        address owner_
    ) InferenceConsumer(coordinator_) Ownable(owner_) {
        modelId = modelId_;
        maxApprovedClass = maxApprovedClass_;
        _setModelTerms(modelVersion_, maxFee_);
    }

    /// @notice Applies for a credit line of `amount`; `features` is the model's encoded input.
    /// The inference is paid from this contract's coordinator balance.
    function applyForCredit(uint96 amount, bytes calldata features) external returns (uint256 requestId) {
        if (amount == 0) revert LenderZeroAmount();
        requestId = _requestInference(
            RequestParams({
                modelId: modelId,
                version: modelVersion,
                mode: MODE_TEE,
                operator: address(0),
                callback: address(this),
                callbackGasLimit: callbackGasLimit,
                storeOutput: false,
                timeout: timeout,
                tip: 0,
                maxFee: maxFee,
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

    /// @notice Pins the model version applications run and the fee they may pay (owner, after review).
    function setModelTerms(uint32 modelVersion_, uint96 maxFee_) external onlyOwner {
        _setModelTerms(modelVersion_, maxFee_);
    }

    /// @notice Pays `amount` of the payment token from the caller into this contract's coordinator
    /// balance, which pays for the applications' inferences.
    function fundCoordinator(uint256 amount) external onlyOwner {
        _fundCoordinator(msg.sender, amount);
    }

    /// @notice Moves this contract's coordinator balance (refunds included) to `to`.
    function withdrawFromCoordinator(uint256 amount, address to) external onlyOwner {
        _withdrawFromCoordinator(amount, to);
    }

    /// @notice Sends this contract's share of operators' slashed stake to `to`.
    function claimSlashedShare(address to) external onlyOwner {
        _claimSlashedShare(to);
    }

    function getApplication(uint256 requestId) external view returns (Application memory) {
        return _applications[requestId];
    }

    function _setModelTerms(uint32 modelVersion_, uint96 maxFee_) private {
        if (modelVersion_ == 0) revert LenderVersionRequired();
        if (maxFee_ == 0) revert LenderFeeCapRequired();
        modelVersion = modelVersion_;
        maxFee = maxFee_;
        emit ModelTermsUpdated(modelVersion_, maxFee_);
    }

    function _onInferenceRefunded(uint256 requestId, uint256) internal override {
        Application storage app = _applications[requestId];
        if (app.decision != Decision.Pending) return;
        app.decision = Decision.Expired;
        emit ApplicationExpired(requestId, app.applicant);
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
