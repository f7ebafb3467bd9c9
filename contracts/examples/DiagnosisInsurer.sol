// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable2Step, Ownable} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {InferenceConsumer} from "../consumer/InferenceConsumer.sol";
import {IDiagnosisInsurer} from "./IDiagnosisInsurer.sol";
import {IFieldDisclosureVerifier} from "../interfaces/IFieldDisclosureVerifier.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {MODE_ZK, RequestParams} from "../libraries/VerityTypes.sol";

/// @title DiagnosisInsurer
/// @notice Example dApp: pays a claim only on a verified malignant diagnosis (class 0 of the
/// breast-cancer-mlp model) of a ZK request this contract made for the claim's record commitment. The
/// coordinator delivers only results whose proof verified for that commitment, so the insurer learns the
/// diagnosis and nothing of the record; fields the claimant chooses to disclose are checked on chain.
contract DiagnosisInsurer is IDiagnosisInsurer, InferenceConsumer, Ownable2Step {
    using SafeERC20 for IERC20;

    /// @notice The diagnosis that approves a claim: 0 = malignant.
    uint256 public constant APPROVED_DIAGNOSIS = 0;
    /// @notice Gas the coordinator gives the result callback.
    uint32 public constant CALLBACK_GAS_LIMIT = 100_000;

    /// @notice The registered diagnosis model.
    bytes32 public immutable modelId;
    /// @notice Fields per record (the model's input fields, from its circuit descriptor).
    uint256 public immutable fieldCount;
    /// @notice Checks field disclosures against a claim's commitment.
    IFieldDisclosureVerifier public immutable disclosureVerifier;
    /// @notice Pays the payouts (the coordinator's payment token).
    IERC20 public immutable payoutToken;

    /// @notice Payout of claims opened from now on.
    uint96 public payout;
    /// @notice Seconds a diagnosis request may stay open before it can be refunded.
    uint64 public timeout = 1 hours;

    mapping(address account => bool) public insured;
    mapping(uint256 requestId => Claim) private _claims;

    constructor(
        IInferenceCoordinator coordinator_,
        IERC20 payoutToken_,
        IFieldDisclosureVerifier disclosureVerifier_,
        bytes32 modelId_,
        uint256 fieldCount_,
        uint96 payout_,
        address owner_
    ) InferenceConsumer(coordinator_) Ownable(owner_) {
        if (address(coordinator_) == address(0)) revert InsurerInvalidAddress("coordinator");
        if (address(payoutToken_) == address(0)) revert InsurerInvalidAddress("payoutToken");
        if (address(disclosureVerifier_) == address(0)) revert InsurerInvalidAddress("disclosureVerifier");
        payoutToken = payoutToken_;
        disclosureVerifier = disclosureVerifier_;
        modelId = modelId_;
        fieldCount = fieldCount_;
        payout = payout_;
    }

    /// @notice Adds or removes an insured account (owner only).
    function setInsured(address account, bool value) external onlyOwner {
        insured[account] = value;
        emit InsuredUpdated(account, value);
    }

    /// @notice Sets the payout of claims opened from now on (owner only).
    function setPayout(uint96 value) external onlyOwner {
        payout = value;
        emit PayoutUpdated(value);
    }

    /// @notice Moves `amount` of the payment token from the owner into this contract's coordinator balance,
    /// which pays for the diagnoses (`deposit` credits its caller, so the insurer deposits itself).
    function fundCoordinator(uint256 amount) external onlyOwner {
        payoutToken.safeTransferFrom(msg.sender, address(this), amount);
        payoutToken.forceApprove(address(coordinator), amount);
        coordinator.deposit(amount);
    }

    /// @inheritdoc IDiagnosisInsurer
    function openClaim(bytes32 commitment, address operator) external returns (uint256 requestId) {
        if (!insured[msg.sender]) revert InsurerNotInsured(msg.sender);
        if (commitment == bytes32(0)) revert InsurerZeroCommitment();
        requestId = _requestInference(
            RequestParams({
                modelId: modelId,
                version: 0,
                mode: MODE_ZK,
                operator: operator,
                callback: address(this),
                callbackGasLimit: CALLBACK_GAS_LIMIT,
                storeOutput: false,
                timeout: timeout,
                tip: 0,
                maxFee: 0,
                inputCommitment: commitment,
                input: ""
            })
        );
        uint96 amount = payout;
        _claims[requestId] = Claim({
            claimant: msg.sender,
            payout: amount,
            status: ClaimStatus.Pending,
            commitment: commitment
        });
        emit ClaimOpened(requestId, msg.sender, commitment, amount);
    }

    /// @inheritdoc IDiagnosisInsurer
    function collect(uint256 requestId) external {
        Claim storage claim = _claims[requestId];
        if (claim.status != ClaimStatus.Approved) revert InsurerClaimNotApproved(requestId, claim.status);
        if (msg.sender != claim.claimant) revert InsurerNotClaimant(requestId, msg.sender);
        claim.status = ClaimStatus.Paid;
        emit ClaimPaid(requestId, msg.sender, claim.payout);
        payoutToken.safeTransfer(msg.sender, claim.payout);
    }

    /// @inheritdoc IDiagnosisInsurer
    function discloseFields(uint256 requestId, IFieldDisclosureVerifier.FieldOpening[] calldata fields) external {
        Claim storage claim = _claims[requestId];
        if (claim.status == ClaimStatus.None || claim.status == ClaimStatus.Pending) {
            revert InsurerUnknownClaim(requestId);
        }
        disclosureVerifier.verifyDisclosure(claim.commitment, fieldCount, fields);
        uint256[] memory indices = new uint256[](fields.length);
        uint256[] memory values = new uint256[](fields.length);
        for (uint256 i; i < fields.length; ++i) {
            indices[i] = fields[i].index;
            values[i] = fields[i].value;
        }
        emit FieldsDisclosed(requestId, indices, values);
    }

    /// @inheritdoc IDiagnosisInsurer
    function claimOf(uint256 requestId) external view returns (Claim memory) {
        return _claims[requestId];
    }

    /// @dev The coordinator calls this only with a verified result of this contract's own request.
    function _onInferenceResult(uint256 requestId, bytes calldata output) internal override {
        Claim storage claim = _claims[requestId];
        if (claim.status != ClaimStatus.Pending) revert InsurerUnknownClaim(requestId);
        if (output.length != 32) revert InsurerBadOutput(requestId, output.length);
        uint256 diagnosis = abi.decode(output, (uint256));
        if (diagnosis == APPROVED_DIAGNOSIS) {
            claim.status = ClaimStatus.Approved;
            emit ClaimApproved(requestId, claim.claimant, claim.payout);
        } else {
            claim.status = ClaimStatus.Denied;
            emit ClaimDenied(requestId, claim.claimant, diagnosis);
        }
    }
}
