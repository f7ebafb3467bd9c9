// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {InferenceResult, Request, RequestParams, RequestStatus} from "../libraries/VerityTypes.sol";

/// @title IInferenceCoordinator
/// @notice Request lifecycle, escrow and payouts. Every account has an internal balance in the
/// payment token: deposits, operator earnings, refunds and claimed royalties land there and leave
/// through `withdraw`. Royalties accrue per model until its owner claims them.
interface IInferenceCoordinator {
    event Deposited(address indexed account, uint256 amount, uint256 balance);
    event Withdrawn(address indexed account, address indexed to, uint256 amount, uint256 balance);
    /// @notice Everything a worker needs to act; `request` hashes to `requestId`.
    event InferenceRequested(
        uint256 indexed requestId,
        bytes32 indexed modelId,
        address indexed operator,
        Request request,
        bytes input
    );
    event InferenceFulfilled(
        uint256 indexed requestId,
        address indexed operator,
        bytes32 indexed outputHash,
        bytes32 verifierRecord
    );
    /// @notice The consumer's callback ran (`success`) or reverted / ran out of gas (not `success`).
    event CallbackDelivered(uint256 indexed requestId, address indexed callback, bool success);
    /// @notice In a batch, a request that is no longer open (e.g. someone else fulfilled it first).
    event FulfillmentSkipped(uint256 indexed requestId, address indexed operator, RequestStatus status);
    /// @notice The assigned operator accepted the request: missing its deadline is now slashable.
    event RequestAccepted(uint256 indexed requestId, address indexed operator);
    /// @notice Slashing a defaulting operator failed; the refund went through regardless.
    event SlashFailed(uint256 indexed requestId, address indexed operator);
    event RequestRefunded(uint256 indexed requestId, address indexed requester, uint256 amount, uint256 slashed);
    event ProtocolFeesWithdrawn(address indexed treasury, uint256 amount);
    /// @notice The owner of `modelId` moved its accrued royalties into their balance.
    event RoyaltiesClaimed(bytes32 indexed modelId, address indexed owner, uint256 amount);
    event VerifierUpdated(uint8 indexed mode, address verifier);
    event ProtocolFeeUpdated(uint256 protocolFeeBps);
    event TreasuryUpdated(address treasury);
    event LimitsUpdated(
        uint256 minTimeout,
        uint256 maxTimeout,
        uint256 maxInputBytes,
        uint256 maxOutputBytes,
        uint256 maxCallbackGas
    );
    event MissedDeadlinePenaltyUpdated(uint256 penalty);
    event PausedSet(bool paused, address indexed by);

    error CoordinatorPaused();
    error CoordinatorZeroAmount();
    error CoordinatorInsufficientBalance(address account, uint256 balance, uint256 needed);
    error CoordinatorTransferShortfall(uint256 expected, uint256 received);
    error CoordinatorAmountTooLarge(uint256 amount);
    error CoordinatorInvalidAddress(string parameter);
    error CoordinatorModeUnsupported(uint8 mode);
    error CoordinatorInvalidInput(uint256 inputLength, bytes32 inputCommitment);
    error CoordinatorInputTooLarge(uint256 length, uint256 max);
    error CoordinatorOutputTooLarge(uint256 length, uint256 max);
    error CoordinatorReservedOutputHash(bytes32 outputHash);
    error CoordinatorInvalidTimeout(uint256 timeout, uint256 min, uint256 max);
    error CoordinatorCallbackNotContract(address callback);
    error CoordinatorCallbackGasTooHigh(uint256 gasLimit, uint256 max);
    error CoordinatorFeeAboveMax(uint256 fee, uint256 maxFee);
    error CoordinatorOperatorNotEligible(address operator);
    error CoordinatorUnknownRequest(uint256 requestId);
    error CoordinatorRequestNotOpen(uint256 requestId, RequestStatus status);
    error CoordinatorRequestExpired(uint256 requestId, uint256 deadline);
    error CoordinatorRequestNotExpired(uint256 requestId, uint256 deadline);
    error CoordinatorNotAssignedOperator(uint256 requestId, address operator, address caller);
    error CoordinatorInsufficientCallbackGas(uint256 requestId, uint256 available, uint256 needed);
    error CoordinatorBatchLengthMismatch(uint256 requests, uint256 outputs, uint256 proofs);
    error CoordinatorParameterOutOfRange(string parameter, uint256 value, uint256 min, uint256 max);
    error CoordinatorNothingToWithdraw();
    error CoordinatorOperatorRequired(uint8 mode);
    error CoordinatorNotModelOwner(bytes32 modelId, address owner, address caller);

    function deposit(uint256 amount) external;

    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    function withdraw(uint256 amount, address to) external;

    /// @notice Opens a request, paid from the caller's balance with any shortfall pulled by transferFrom.
    function requestInference(RequestParams calldata params) external returns (uint256 requestId);

    /// @notice Delivers a verified result for an open request and pays out.
    function fulfill(Request calldata request, bytes calldata output, bytes calldata proof) external;

    /// @notice Delivers many results; requests no longer open are skipped with `FulfillmentSkipped`.
    function fulfillBatch(
        Request[] calldata requests,
        bytes[] calldata outputs,
        bytes[] calldata proofs
    ) external returns (uint256 fulfilled);

    /// @notice The assigned operator accepts `request`, committing to deliver by its deadline (or be
    /// slashed `missedDeadlinePenalty` on refund). Private-input jobs are accepted once the input arrived.
    function acceptRequest(Request calldata request) external;

    /// @notice Returns the escrow of an undelivered request after its deadline; slashes the assigned
    /// operator if it had accepted the request. Anyone may call.
    function refund(Request calldata request) external;

    function withdrawProtocolFees() external;

    /// @notice Moves the royalties accrued by `modelIds` (each paid call's royalty accrues to its model)
    /// into the caller's balance; the caller must own every model now. Reverts if there is nothing.
    function claimRoyalties(bytes32[] calldata modelIds) external returns (uint256 total);

    /// @notice Royalties accrued by `modelId` and not yet claimed.
    function royaltiesOf(bytes32 modelId) external view returns (uint256);

    /// @notice The verifier pinned when `requestId` was made (ZK: the model version's verifier), while it
    /// is open or accepted; zero for modes checked by the coordinator's verifier for the mode.
    function pinnedVerifierOf(uint256 requestId) external view returns (address);

    function balanceOf(address account) external view returns (uint256);

    function nonceOf(address account) external view returns (uint256);

    function requestStatus(uint256 requestId) external view returns (RequestStatus);

    function getResult(uint256 requestId) external view returns (InferenceResult memory);

    function isVerified(uint256 requestId) external view returns (bool);

    /// @notice True when `requestId` was fulfilled with exactly `output`.
    function checkOutput(uint256 requestId, bytes calldata output) external view returns (bool);

    /// @notice Output bytes when the request asked for them to be stored.
    function getOutput(uint256 requestId) external view returns (bytes memory);

    /// @notice The id of `request`: keccak256(abi.encode(request)). Checks a request against its id.
    function requestIdOf(Request calldata request) external pure returns (uint256);
}
