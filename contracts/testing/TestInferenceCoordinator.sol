// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IOperatorStaking} from "../interfaces/IOperatorStaking.sol";
import {CallbackLib} from "../libraries/CallbackLib.sol";
import {Request, RequestParams, RequestStatus} from "../libraries/VerityTypes.sol";

/// @title TestInferenceCoordinator
/// @notice FOR TESTS ONLY — NEVER DEPLOY IT ON A REAL NETWORK: it lets anyone deliver any output.
///
/// A stand-in for `InferenceCoordinator` so a dApp can unit-test its `InferenceConsumer` without the
/// network (no registry, staking, operators or verifiers). It implements what the consumer base calls —
/// `requestInference`, `deposit`, `withdraw`, `balanceOf`, `token`, `staking` — with the real rules for
/// what a consumer sees: a request's callback must be its requester and within the callback gas limit,
/// and results and refunds reach the consumer through the same `CallbackLib` path and gas rule as on the
/// network (exactly `callbackGasLimit`, failures recorded, not propagated). Requests are free: nothing
/// is escrowed, so a refund returns 0. The test plays the operator with `deliverResult` and the
/// deadline with `refundRequest`.
contract TestInferenceCoordinator {
    using SafeERC20 for IERC20;

    /// @notice Highest callback gas limit a request may set (the network's default).
    uint256 public constant MAX_CALLBACK_GAS = 2_000_000;

    IERC20 public immutable token;

    mapping(address account => uint256) private _balances;
    mapping(address account => uint64) private _nonces;
    mapping(uint256 requestId => Request) private _requests;
    mapping(uint256 requestId => RequestStatus) private _status;
    uint256 public lastRequestId;

    /// @notice A consumer (or anyone) asked for an inference; `request` is what the network would pin.
    event InferenceRequested(uint256 indexed requestId, address indexed requester, Request request, bytes input);
    /// @notice The test delivered `output`; the callback ran (`success`) or failed.
    event CallbackDelivered(uint256 indexed requestId, address indexed callback, bool success);
    /// @notice The test refunded the request; the refund callback ran (`success`) or failed.
    event RefundCallbackDelivered(uint256 indexed requestId, address indexed callback, bool success);
    event Deposited(address indexed account, uint256 amount, uint256 balance);
    event Withdrawn(address indexed account, address indexed to, uint256 amount, uint256 balance);

    /// @notice Thrown when a request's callback is not its requester (as on the network).
    error TestCoordinatorCallbackNotRequester(address callback, address requester);
    /// @notice Thrown when a request's callback gas limit is above `MAX_CALLBACK_GAS`.
    error TestCoordinatorCallbackGasTooHigh(uint256 gasLimit, uint256 max);
    /// @notice Thrown when delivering or refunding a request that is not open (`status`).
    error TestCoordinatorRequestNotOpen(uint256 requestId, RequestStatus status);
    /// @notice Thrown when, right before the callback, less than `needed` gas is left (as on the network).
    error TestCoordinatorInsufficientCallbackGas(uint256 requestId, uint256 available, uint256 needed);
    /// @notice Thrown when `account` withdraws `needed` but holds `balance`.
    error TestCoordinatorInsufficientBalance(address account, uint256 balance, uint256 needed);
    /// @notice Thrown when withdrawing to the zero address or to this contract.
    error TestCoordinatorInvalidAddress(string parameter);

    constructor(IERC20 token_) {
        token = token_;
    }

    /// @notice Records a request the way the network pins it (fee 0). Returns its id.
    function requestInference(RequestParams calldata params) external returns (uint256 requestId) {
        if (params.callback != address(0)) {
            if (params.callback != msg.sender) {
                revert TestCoordinatorCallbackNotRequester(params.callback, msg.sender);
            }
            if (params.callbackGasLimit > MAX_CALLBACK_GAS) {
                revert TestCoordinatorCallbackGasTooHigh(params.callbackGasLimit, MAX_CALLBACK_GAS);
            }
        }
        Request memory req;
        req.requester = msg.sender;
        req.nonce = _nonces[msg.sender]++;
        req.deadline = uint64(block.timestamp + params.timeout);
        req.modelId = params.modelId;
        req.version = params.version;
        req.inputHash = params.input.length == 0 ? params.inputCommitment : keccak256(params.input);
        req.mode = params.mode;
        req.operator = params.operator;
        req.callback = params.callback;
        req.callbackGasLimit = params.callback == address(0) ? 0 : params.callbackGasLimit;
        req.storeOutput = params.storeOutput;
        requestId = uint256(keccak256(abi.encode(req)));
        _requests[requestId] = req;
        _status[requestId] = RequestStatus.Open;
        lastRequestId = requestId;
        emit InferenceRequested(requestId, msg.sender, req, params.input);
    }

    /// @notice Plays the operator: marks `requestId` fulfilled with `output` and calls its consumer with
    /// exactly its callback gas limit. Reverts, like the network, if the caller sent too little gas.
    function deliverResult(uint256 requestId, bytes calldata output) external {
        Request storage req = _open(requestId);
        _status[requestId] = RequestStatus.Fulfilled;
        address callback = req.callback;
        if (callback != address(0)) {
            bytes memory data = CallbackLib.resultCall(requestId, output);
            bool success = _call(requestId, callback, req.callbackGasLimit, data);
            emit CallbackDelivered(requestId, callback, success);
        }
    }

    /// @notice Plays the deadline: marks `requestId` refunded and tells its consumer (amount 0: nothing
    /// was escrowed), with the same gas rule.
    function refundRequest(uint256 requestId) external {
        Request storage req = _open(requestId);
        _status[requestId] = RequestStatus.Refunded;
        address callback = req.callback;
        if (callback != address(0)) {
            bytes memory data = CallbackLib.refundCall(requestId, 0);
            bool success = _call(requestId, callback, req.callbackGasLimit, data);
            emit RefundCallbackDelivered(requestId, callback, success);
        }
    }

    /// @notice Credits the caller with `amount` of `token`, pulled from it.
    function deposit(uint256 amount) external {
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = _balances[msg.sender] + amount;
        _balances[msg.sender] = balance;
        emit Deposited(msg.sender, amount, balance);
    }

    /// @notice Sends `amount` of the caller's balance to `to`.
    function withdraw(uint256 amount, address to) external {
        if (to == address(0) || to == address(this)) revert TestCoordinatorInvalidAddress("to");
        uint256 balance = _balances[msg.sender];
        if (amount > balance) revert TestCoordinatorInsufficientBalance(msg.sender, balance, amount);
        _balances[msg.sender] = balance - amount;
        emit Withdrawn(msg.sender, to, amount, balance - amount);
        token.safeTransfer(to, amount);
    }

    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @notice No staking behind the test coordinator: slashed shares do not exist here.
    function staking() external pure returns (IOperatorStaking) {
        return IOperatorStaking(address(0));
    }

    function requestOf(uint256 requestId) external view returns (Request memory) {
        return _requests[requestId];
    }

    function requestStatus(uint256 requestId) external view returns (RequestStatus) {
        return _status[requestId];
    }

    function _open(uint256 requestId) private view returns (Request storage) {
        RequestStatus status = _status[requestId];
        if (status != RequestStatus.Open) revert TestCoordinatorRequestNotOpen(requestId, status);
        return _requests[requestId];
    }

    function _call(uint256 requestId, address callback, uint256 gasLimit, bytes memory data) private returns (bool) {
        uint256 needed = CallbackLib.gasNeeded(gasLimit);
        uint256 available = gasleft();
        if (available < needed) revert TestCoordinatorInsufficientCallbackGas(requestId, available, needed);
        return CallbackLib.invoke(callback, gasLimit, data);
    }
}
