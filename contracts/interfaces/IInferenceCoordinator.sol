// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IOperatorStaking} from "./IOperatorStaking.sol";
import {InferenceResult, Request, RequestParams, RequestStatus} from "../libraries/VerityTypes.sol";

/// @title IInferenceCoordinator
/// @notice Request lifecycle, escrow and payouts. Every account has an internal balance in the
/// payment token: deposits, operator earnings, refunds and claimed royalties land there and leave
/// through `withdraw`. Royalties accrue per model until its owner claims them. The payment token must
/// not rebase or charge a fee on transfer: the books count token units once, when they arrive.
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
    /// @notice The consumer's result callback ran (`success`) or reverted / ran out of gas (not `success`).
    event CallbackDelivered(uint256 indexed requestId, address indexed callback, bool success);
    /// @notice The consumer's refund callback ran (`success`) or reverted / ran out of gas (not `success`).
    event RefundCallbackDelivered(uint256 indexed requestId, address indexed callback, bool success);
    /// @notice In a batch, an item that was not delivered: no longer pending (`status` Fulfilled or
    /// Refunded: e.g. someone else fulfilled it first), past its deadline, or left after the operator
    /// stopped being eligible during the batch (`status` Open or Accepted in both cases).
    event FulfillmentSkipped(uint256 indexed requestId, address indexed operator, RequestStatus status);
    /// @notice The assigned operator accepted the request: missing its deadline is now slashable, and
    /// the penalty is reserved from its stake until the request is fulfilled or refunded.
    event RequestAccepted(uint256 indexed requestId, address indexed operator);
    /// @notice Slashing a defaulting operator failed; the refund went through regardless.
    event SlashFailed(uint256 indexed requestId, address indexed operator);
    /// @notice A refunded accepted request was not slashed: the protocol was paused after the operator
    /// accepted it (or lowered a limit it depended on), so the operator may have been kept from delivering.
    event PenaltyWaived(uint256 indexed requestId, address indexed operator, uint256 penalty);
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

    /// @notice Thrown when a request, fulfilment, acceptance or deposit is attempted while paused.
    error CoordinatorPaused();
    /// @notice Thrown when a deposit or withdrawal is for zero tokens.
    error CoordinatorZeroAmount();
    /// @notice Thrown when `account` withdraws `needed` but holds only `balance`.
    error CoordinatorInsufficientBalance(address account, uint256 balance, uint256 needed);
    /// @notice Thrown when a transfer in delivered `received` instead of `expected` (fee-on-transfer token).
    error CoordinatorTransferShortfall(uint256 expected, uint256 received);
    /// @notice Thrown when an amount does not fit the coordinator's integer widths.
    error CoordinatorAmountTooLarge(uint256 amount);
    /// @notice Thrown when address `parameter` is zero, or (`"to"`) the coordinator itself.
    error CoordinatorInvalidAddress(string parameter);
    /// @notice Thrown when `mode` has no verifier, or a verifier is set for a mode it does not serve.
    error CoordinatorModeUnsupported(uint8 mode);
    /// @notice Thrown when a request gives both or neither of a public input and an input commitment.
    error CoordinatorInvalidInput(uint256 inputLength, bytes32 inputCommitment);
    /// @notice Thrown when a ZK request can never be proven: its input is public (`inputLength` > 0) or
    /// its commitment is not a BN254 scalar field element.
    error CoordinatorZkInputUnprovable(uint256 inputLength, bytes32 inputCommitment);
    /// @notice Thrown when the public input is longer than `maxInputBytes`.
    error CoordinatorInputTooLarge(uint256 length, uint256 max);
    /// @notice Thrown when an output to be stored is longer than `maxOutputBytes`.
    error CoordinatorOutputTooLarge(uint256 length, uint256 max);
    /// @notice Thrown when an output hash falls in the range reserved for request state words (odds 2^-72).
    error CoordinatorReservedOutputHash(bytes32 outputHash);
    /// @notice Thrown when a request's timeout is outside [min, max].
    error CoordinatorInvalidTimeout(uint256 timeout, uint256 min, uint256 max);
    /// @notice Thrown when a request's callback has no code.
    error CoordinatorCallbackNotContract(address callback);
    /// @notice Thrown when a request's callback is not its requester: a consumer only hears about
    /// requests it made itself.
    error CoordinatorCallbackNotRequester(address callback, address requester);
    /// @notice Thrown when a request's callback gas limit is above `maxCallbackGas`.
    error CoordinatorCallbackGasTooHigh(uint256 gasLimit, uint256 max);
    /// @notice Thrown when the fee (price + tip) is above the requester's `maxFee`.
    error CoordinatorFeeAboveMax(uint256 fee, uint256 maxFee);
    /// @notice Thrown when `operator` is not staked enough or is jailed.
    error CoordinatorOperatorNotEligible(address operator);
    /// @notice Thrown when no request hashes to `requestId`.
    error CoordinatorUnknownRequest(uint256 requestId);
    /// @notice Thrown when the request is no longer pending (`status` Fulfilled or Refunded), or when
    /// accepting a request that is not open.
    error CoordinatorRequestNotOpen(uint256 requestId, RequestStatus status);
    /// @notice Thrown when fulfilling or accepting after `deadline`.
    error CoordinatorRequestExpired(uint256 requestId, uint256 deadline);
    /// @notice Thrown when refunding at or before `deadline`.
    error CoordinatorRequestNotExpired(uint256 requestId, uint256 deadline);
    /// @notice Thrown when `caller` acts on a request assigned to `operator`.
    error CoordinatorNotAssignedOperator(uint256 requestId, address operator, address caller);
    /// @notice Thrown when, right before calling the consumer, less than `needed` gas is left
    /// (`CallbackLib.gasNeeded` of the request's callback gas limit).
    error CoordinatorInsufficientCallbackGas(uint256 requestId, uint256 available, uint256 needed);
    /// @notice Thrown when a batch's arrays differ in length.
    error CoordinatorBatchLengthMismatch(uint256 requests, uint256 outputs, uint256 proofs);
    /// @notice Thrown when governance sets `parameter` outside [min, max].
    error CoordinatorParameterOutOfRange(string parameter, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when there are no protocol fees or royalties to move.
    error CoordinatorNothingToWithdraw();
    /// @notice Thrown when a request in `mode` (ZK) names no operator.
    error CoordinatorOperatorRequired(uint8 mode);
    /// @notice Thrown when `caller` claims the royalties of a model `owner` owns.
    error CoordinatorNotModelOwner(bytes32 modelId, address owner, address caller);

    function deposit(uint256 amount) external;

    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Sends `amount` of the caller's balance to `to` (not the coordinator itself).
    function withdraw(uint256 amount, address to) external;

    /// @notice Opens a request, paid from the caller's balance with any shortfall pulled by transferFrom.
    /// A callback, when set, must be the caller.
    function requestInference(RequestParams calldata params) external returns (uint256 requestId);

    /// @notice Delivers a verified result for a pending request and pays out.
    function fulfill(Request calldata request, bytes calldata output, bytes calldata proof) external;

    /// @notice Delivers many results. Items no longer pending or past their deadline are skipped with
    /// `FulfillmentSkipped`, and so is every item after a callback that left the caller ineligible
    /// (e.g. jailed); a proof that fails reverts the whole batch.
    function fulfillBatch(
        Request[] calldata requests,
        bytes[] calldata outputs,
        bytes[] calldata proofs
    ) external returns (uint256 fulfilled);

    /// @notice The assigned operator accepts `request`, committing to deliver by its deadline or be
    /// slashed `missedDeadlinePenalty` on refund; the penalty is locked in its stake until then.
    /// Private-input jobs are accepted once the input arrived.
    function acceptRequest(Request calldata request) external;

    /// @notice Returns the escrow of an undelivered request after its deadline and tells its consumer.
    /// Slashes the operator that accepted it unless the protocol was paused since the acceptance.
    /// Anyone may call.
    function refund(Request calldata request) external;

    function withdrawProtocolFees() external;

    /// @notice Moves the royalties accrued by `modelIds` (each paid call's royalty accrues to its model)
    /// into the caller's balance; the caller must own every model now. Reverts if there is nothing.
    function claimRoyalties(bytes32[] calldata modelIds) external returns (uint256 total);

    /// @notice The payment token.
    function token() external view returns (IERC20);

    /// @notice The staking contract operators are staked, locked and slashed in.
    function staking() external view returns (IOperatorStaking);

    /// @notice Royalties accrued by `modelId` and not yet claimed.
    function royaltiesOf(bytes32 modelId) external view returns (uint256);

    /// @notice The verifier pinned when `requestId` was made (the mode's verifier then; ZK: the model
    /// version's verifier), while it is open or accepted; zero otherwise.
    function pinnedVerifierOf(uint256 requestId) external view returns (address);

    /// @notice The penalty locked in the operator's stake when it accepted `requestId` (zero once settled).
    function lockedPenaltyOf(uint256 requestId) external view returns (uint256);

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
