// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IOperatorStaking} from "../interfaces/IOperatorStaking.sol";
import {IResultVerifier} from "../interfaces/IResultVerifier.sol";
import {CallbackLib} from "../libraries/CallbackLib.sol";
import {
    BN254_SCALAR_FIELD,
    BPS,
    InferenceResult,
    MODE_MAX,
    MODE_ZK,
    Request,
    RequestParams,
    RequestStatus,
    ResultClaim,
    SLASH_MISSED_DEADLINE,
    VerityTypesLib
} from "../libraries/VerityTypes.sol";
import {RequestSlot, RequestSlotLib} from "../types/RequestSlot.sol";

/// @title InferenceCoordinator
/// @notice Escrow, request lifecycle and payouts for verified inference.
///
/// Gas design: a request is not stored. Its id is the hash of the pinned `Request`, which the
/// `InferenceRequested` event carries in full; callers hand the request back to fulfil or refund it,
/// and the id check authenticates every field. Per request the coordinator keeps ONE word, a
/// `RequestSlot`: open with the verifier pinned for the request (the mode's verifier then, or for ZK
/// the model version's), accepted (plus the pause epoch at acceptance), then the output hash when
/// fulfilled, or refunded. A fulfil reads the verifier from that word, never from governance storage,
/// so swapping a mode's verifier never changes what an in-flight request is checked by. Royalties
/// accrue per model (the model owner claims them), so a fulfil never calls the registry. Who
/// delivered, in which block, the verifier's record and the callback outcome are in the events
/// (storing them would cost another 22,100 gas per result).
contract InferenceCoordinator is IInferenceCoordinator, AccessControlDefaultAdminRules, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    uint256 public constant MAX_PROTOCOL_FEE_BPS = 2_000;
    uint256 public constant MAX_TIMEOUT_LIMIT = 30 days;
    uint256 public constant MAX_IO_BYTES_LIMIT = 64 * 1024;
    uint256 public constant MAX_CALLBACK_GAS_LIMIT = 5_000_000;
    /// @dev Gas kept back on top of a callback's limit (see `CallbackLib`).
    uint256 public constant CALLBACK_RESERVE_GAS = CallbackLib.RESERVE_GAS;
    /// @notice How long after a request's deadline evidence against its operator (an equivocation)
    /// must still find the stake: staking's `unbondingPeriod` is kept above `maxTimeout` plus this.
    uint256 public constant EVIDENCE_WINDOW = 1 days;
    /// @dev Size of an ABI-encoded `Request`: 15 static words.
    uint256 private constant _REQUEST_SIZE = 15 * 32;

    /// @dev One slot per account: internal balance and request counter, both touched by a request.
    struct Account {
        uint128 balance;
        uint64 nonce;
    }

    /// @dev The one slot every request, accept and fulfil reads (32 bytes). Widths: sizes are at most
    /// 64 KiB, callback gas at most 5,000,000 and timeouts at most 30 days, all below 2^24; protocol fees
    /// accrue in uint96 (7.9e28 units) and anyone can sweep them to the treasury.
    struct HotState {
        /// Bit `m` set when mode `m` has a verifier.
        uint8 supportedModes;
        uint24 maxInputBytes;
        uint24 maxOutputBytes;
        uint24 maxCallbackGas;
        /// Odd while paused. Bumped on every pause and unpause (and by 2 when a limit an accepted job
        /// depends on is lowered): an accepted request records it, and a refund that sees another
        /// value knows the protocol may have blocked delivery and does not slash.
        uint16 pauseEpoch;
        uint16 protocolFeeBps;
        uint24 minTimeout;
        uint24 maxTimeout;
        uint96 protocolFeesAccrued;
    }

    /// @notice Governance settings, as `config()` returns them.
    struct Config {
        address treasury;
        uint16 protocolFeeBps;
        uint32 minTimeout;
        uint32 maxTimeout;
    }

    IERC20 public immutable token;
    IModelRegistry public immutable registry;
    IOperatorStaking public immutable staking;

    HotState private _hot;
    address private _treasury;
    uint96 private _missedDeadlinePenalty;

    mapping(uint8 mode => address) private _verifiers;
    mapping(address account => Account) private _accounts;
    mapping(uint256 requestId => RequestSlot) private _slots;
    mapping(uint256 requestId => bytes) private _outputs;
    /// @dev Royalties accrued per model, claimed by the model's owner at the time of the claim.
    mapping(bytes32 modelId => uint256) private _royalties;
    /// @dev Penalty locked in the operator's stake when it accepted the request, until settled.
    mapping(uint256 requestId => uint256) private _lockedPenalties;

    modifier whenNotPaused() {
        if (_hot.pauseEpoch & 1 == 1) revert CoordinatorPaused();
        _;
    }

    /// @dev `staking_` must already have an unbonding period above the default `maxTimeout` (7 days)
    /// plus `EVIDENCE_WINDOW`; grant this contract `LOCKER_ROLE` there and call `setTimeouts` once to
    /// make staking enforce it from then on.
    constructor(
        IERC20 token_,
        IModelRegistry registry_,
        IOperatorStaking staking_,
        address admin,
        address treasury_,
        uint256 protocolFeeBps_
    ) AccessControlDefaultAdminRules(1 days, admin) {
        if (address(token_) == address(0)) revert CoordinatorInvalidAddress("token");
        if (address(registry_) == address(0)) revert CoordinatorInvalidAddress("registry");
        if (address(staking_) == address(0)) revert CoordinatorInvalidAddress("staking");
        token = token_;
        registry = registry_;
        staking = staking_;
        _grantRole(PAUSER_ROLE, admin);
        _setTreasury(treasury_);
        _setProtocolFee(protocolFeeBps_);
        _setTimeouts(60, 7 days, false);
        _setLimits(4096, 4096, 2_000_000);
    }

    // ================================================================ balances

    /// @inheritdoc IInferenceCoordinator
    function deposit(uint256 amount) external nonReentrant whenNotPaused {
        _deposit(amount);
    }

    /// @inheritdoc IInferenceCoordinator
    function depositWithPermit(
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant whenNotPaused {
        // A front-run permit makes this call fail while the allowance is already there: go on then.
        try IERC20Permit(address(token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(amount);
    }

    /// @inheritdoc IInferenceCoordinator
    function withdraw(uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert CoordinatorZeroAmount();
        // Tokens sent to the coordinator itself would be credited to nobody: refuse them.
        if (to == address(0) || to == address(this)) revert CoordinatorInvalidAddress("to");
        Account storage account = _accounts[msg.sender];
        uint256 balance = account.balance;
        if (amount > balance) revert CoordinatorInsufficientBalance(msg.sender, balance, amount);
        // amount <= balance.
        unchecked {
            account.balance = uint128(balance - amount);
        }
        emit Withdrawn(msg.sender, to, amount, balance - amount);
        token.safeTransfer(to, amount);
    }

    /// @inheritdoc IInferenceCoordinator
    function withdrawProtocolFees() external nonReentrant {
        uint256 amount = _hot.protocolFeesAccrued;
        if (amount == 0) revert CoordinatorNothingToWithdraw();
        _hot.protocolFeesAccrued = 0;
        address treasury_ = _treasury;
        emit ProtocolFeesWithdrawn(treasury_, amount);
        token.safeTransfer(treasury_, amount);
    }

    /// @inheritdoc IInferenceCoordinator
    function claimRoyalties(bytes32[] calldata modelIds) external nonReentrant returns (uint256 total) {
        for (uint256 i = 0; i < modelIds.length; ++i) {
            bytes32 modelId = modelIds[i];
            address owner = registry.ownerOf(modelId);
            if (owner != msg.sender) revert CoordinatorNotModelOwner(modelId, owner, msg.sender);
            uint256 amount = _royalties[modelId];
            if (amount == 0) continue;
            _royalties[modelId] = 0;
            total += amount;
            emit RoyaltiesClaimed(modelId, msg.sender, amount);
        }
        if (total == 0) revert CoordinatorNothingToWithdraw();
        _credit(msg.sender, total);
    }

    // ================================================================ requests

    /// @inheritdoc IInferenceCoordinator
    function requestInference(RequestParams calldata params) external nonReentrant returns (uint256 requestId) {
        HotState memory hot = _hot;
        if (hot.pauseEpoch & 1 == 1) revert CoordinatorPaused();
        IModelRegistry.RequestTerms memory terms = registry.requestTerms(params.modelId, params.version, params.mode);
        Request memory req = _pin(params, terms, hot);
        // Pin the verifier: ZK uses the version's (from the registry), other modes the mode's current one.
        address verifier = params.mode == MODE_ZK ? terms.verifier : _verifiers[params.mode];

        Account storage account = _accounts[msg.sender];
        uint256 balance = account.balance;
        uint64 nonce = account.nonce;
        req.nonce = nonce;
        uint256 fee = req.fee;
        uint256 shortfall;
        if (balance >= fee) {
            // fee <= balance.
            unchecked {
                balance -= fee;
            }
        } else {
            // balance < fee.
            unchecked {
                shortfall = fee - balance;
            }
            balance = 0;
        }
        account.balance = uint128(balance);
        account.nonce = nonce + 1;

        requestId = _idOfMemory(req);
        _slots[requestId] = RequestSlotLib.open(verifier);
        emit InferenceRequested(requestId, req.modelId, req.operator, req, params.input);

        if (shortfall != 0) _pull(shortfall);
    }

    /// @inheritdoc IInferenceCoordinator
    function fulfill(Request calldata request, bytes calldata output, bytes calldata proof) external nonReentrant {
        HotState storage hot = _hot;
        if (hot.pauseEpoch & 1 == 1) revert CoordinatorPaused();
        _checkOperator();
        Fulfilment memory f = _fulfill(request, output, proof, false, hot.maxOutputBytes);
        _credit(msg.sender, f.payout);
        hot.protocolFeesAccrued += uint96(f.protocolFee);
        if (f.unlock != 0) staking.unlock(msg.sender, f.unlock);
    }

    /// @inheritdoc IInferenceCoordinator
    function fulfillBatch(
        Request[] calldata requests,
        bytes[] calldata outputs,
        bytes[] calldata proofs
    ) external nonReentrant returns (uint256 fulfilled) {
        HotState storage hot = _hot;
        if (hot.pauseEpoch & 1 == 1) revert CoordinatorPaused();
        uint256 n = requests.length;
        if (outputs.length != n || proofs.length != n) {
            revert CoordinatorBatchLengthMismatch(n, outputs.length, proofs.length);
        }
        _checkOperator();
        uint256 maxOutputBytes = hot.maxOutputBytes;
        uint256 payouts;
        uint256 protocolFees;
        uint256 unlocks;
        bool halted;
        for (uint256 i = 0; i < n; ++i) {
            if (halted) {
                // A callback left the operator ineligible (e.g. jailed): it is paid for nothing after.
                uint256 skippedId = _idOf(requests[i]);
                emit FulfillmentSkipped(skippedId, msg.sender, _slots[skippedId].status());
                continue;
            }
            Fulfilment memory f = _fulfill(requests[i], outputs[i], proofs[i], true, maxOutputBytes);
            if (f.done) {
                ++fulfilled;
                payouts += f.payout;
                protocolFees += f.protocolFee;
                unlocks += f.unlock;
                // Only a callback runs code the operator does not control: check eligibility again after one.
                if (f.calledBack && i + 1 < n && !staking.isEligible(msg.sender)) halted = true;
            }
        }
        if (payouts != 0) _credit(msg.sender, payouts);
        if (protocolFees != 0) hot.protocolFeesAccrued += uint96(protocolFees);
        if (unlocks != 0) staking.unlock(msg.sender, unlocks);
    }

    /// @inheritdoc IInferenceCoordinator
    function acceptRequest(Request calldata request) external {
        uint16 epoch = _hot.pauseEpoch;
        if (epoch & 1 == 1) revert CoordinatorPaused();
        uint256 requestId = _idOf(request);
        RequestSlot slot = _slots[requestId];
        if (slot.status() != RequestStatus.Open) _revertNotOpen(requestId, slot);
        if (request.operator != msg.sender) {
            revert CoordinatorNotAssignedOperator(requestId, request.operator, msg.sender);
        }
        if (block.timestamp > request.deadline) revert CoordinatorRequestExpired(requestId, request.deadline);
        _checkOperator();
        _slots[requestId] = slot.accepted(epoch);
        uint256 penalty = _missedDeadlinePenalty;
        if (penalty != 0) _lockedPenalties[requestId] = penalty;
        emit RequestAccepted(requestId, msg.sender);
        // Reserve the penalty now, so it is there when the deadline passes: fails if not enough is free.
        if (penalty != 0) staking.lock(msg.sender, penalty);
    }

    /// @inheritdoc IInferenceCoordinator
    function refund(Request calldata request) external nonReentrant {
        uint256 requestId = _idOf(request);
        RequestSlot slot = _slots[requestId];
        if (!slot.isPending()) _revertNotOpen(requestId, slot);
        if (block.timestamp <= request.deadline) revert CoordinatorRequestNotExpired(requestId, request.deadline);

        _slots[requestId] = RequestSlotLib.REFUNDED;
        _credit(request.requester, request.fee);

        // Only an operator that accepted the job is slashed for dropping it: an assignment alone is
        // not consent (a requester could otherwise withhold a private input and collect the penalty).
        // A failing slash (e.g. the coordinator lost its role) never blocks the refund.
        uint256 slashed;
        if (slot.isAccepted()) slashed = _settleMissedDeadline(requestId, request, slot);
        emit RequestRefunded(requestId, request.requester, request.fee, slashed);

        address callback = request.callback;
        if (callback != address(0)) {
            bytes memory data = CallbackLib.refundCall(requestId, request.fee);
            uint256 needed = CallbackLib.gasNeeded(request.callbackGasLimit);
            uint256 available = gasleft();
            if (available < needed) revert CoordinatorInsufficientCallbackGas(requestId, available, needed);
            bool success = CallbackLib.invoke(callback, request.callbackGasLimit, data);
            emit RefundCallbackDelivered(requestId, callback, success);
        }
    }

    // ================================================================ governance

    function setVerifier(uint8 mode, address verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (mode == 0 || mode > MODE_MAX) revert CoordinatorModeUnsupported(mode);
        if (verifier != address(0) && IResultVerifier(verifier).mode() != mode) {
            revert CoordinatorModeUnsupported(mode);
        }
        _verifiers[mode] = verifier;
        if (verifier == address(0)) _hot.supportedModes &= ~uint8(VerityTypesLib.modeBit(mode));
        else _hot.supportedModes |= uint8(VerityTypesLib.modeBit(mode));
        emit VerifierUpdated(mode, verifier);
    }

    function setProtocolFee(uint256 protocolFeeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setProtocolFee(protocolFeeBps_);
    }

    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(treasury_);
    }

    /// @notice Sets the request timeout range and has staking keep `unbondingPeriod` above
    /// `maxTimeout + EVIDENCE_WINDOW` (this contract needs staking's `LOCKER_ROLE`).
    function setTimeouts(uint256 minTimeout, uint256 maxTimeout) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTimeouts(minTimeout, maxTimeout, true);
    }

    /// @notice Sets the size and callback-gas limits. Lowering `maxOutputBytes` counts as a disruption
    /// for accepted requests (they are not slashed if they then miss their deadline).
    function setLimits(
        uint256 maxInputBytes,
        uint256 maxOutputBytes,
        uint256 maxCallbackGas
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (maxOutputBytes < _hot.maxOutputBytes) _bumpPauseEpoch(2);
        _setLimits(maxInputBytes, maxOutputBytes, maxCallbackGas);
    }

    /// @notice Sets the penalty future acceptances lock and owe; accepted requests keep the one they locked.
    function setMissedDeadlinePenalty(uint256 penalty) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (penalty > type(uint96).max) {
            revert CoordinatorParameterOutOfRange("missedDeadlinePenalty", penalty, 0, type(uint96).max);
        }
        _missedDeadlinePenalty = uint96(penalty);
        emit MissedDeadlinePenaltyUpdated(penalty);
    }

    /// @notice Pauses or resumes requests, acceptances, fulfilments and deposits. Accepted requests whose
    /// deadline passes after a pause are refunded without a slash.
    function setPaused(bool paused_) external onlyRole(PAUSER_ROLE) {
        bool isPaused = _hot.pauseEpoch & 1 == 1;
        if (isPaused != paused_) _bumpPauseEpoch(1);
        emit PausedSet(paused_, msg.sender);
    }

    // ================================================================ views

    /// @inheritdoc IInferenceCoordinator
    function balanceOf(address account) external view returns (uint256) {
        return _accounts[account].balance;
    }

    /// @inheritdoc IInferenceCoordinator
    function royaltiesOf(bytes32 modelId) external view returns (uint256) {
        return _royalties[modelId];
    }

    /// @inheritdoc IInferenceCoordinator
    function pinnedVerifierOf(uint256 requestId) external view returns (address) {
        RequestSlot slot = _slots[requestId];
        return slot.isPending() ? slot.verifier() : address(0);
    }

    /// @inheritdoc IInferenceCoordinator
    function lockedPenaltyOf(uint256 requestId) external view returns (uint256) {
        return _lockedPenalties[requestId];
    }

    /// @inheritdoc IInferenceCoordinator
    function nonceOf(address account) external view returns (uint256) {
        return _accounts[account].nonce;
    }

    /// @inheritdoc IInferenceCoordinator
    function requestStatus(uint256 requestId) public view returns (RequestStatus) {
        return _slots[requestId].status();
    }

    /// @inheritdoc IInferenceCoordinator
    function getResult(uint256 requestId) external view returns (InferenceResult memory) {
        RequestSlot slot = _slots[requestId];
        if (!slot.exists()) revert CoordinatorUnknownRequest(requestId);
        return InferenceResult({status: slot.status(), outputHash: slot.outputHash()});
    }

    /// @inheritdoc IInferenceCoordinator
    function isVerified(uint256 requestId) external view returns (bool) {
        return _slots[requestId].status() == RequestStatus.Fulfilled;
    }

    /// @inheritdoc IInferenceCoordinator
    function checkOutput(uint256 requestId, bytes calldata output) external view returns (bool) {
        RequestSlot slot = _slots[requestId];
        return slot.status() == RequestStatus.Fulfilled && slot.outputHash() == keccak256(output);
    }

    /// @inheritdoc IInferenceCoordinator
    function getOutput(uint256 requestId) external view returns (bytes memory) {
        return _outputs[requestId];
    }

    /// @inheritdoc IInferenceCoordinator
    function requestIdOf(Request calldata request) external pure returns (uint256) {
        return _idOf(request);
    }

    function verifierOf(uint8 mode) external view returns (address) {
        return _verifiers[mode];
    }

    function protocolFeesAccrued() external view returns (uint256) {
        return _hot.protocolFeesAccrued;
    }

    function paused() external view returns (bool) {
        return _hot.pauseEpoch & 1 == 1;
    }

    /// @notice Bumped by every pause and unpause (odd while paused) and by 2 when `maxOutputBytes` is lowered.
    function pauseEpoch() external view returns (uint256) {
        return _hot.pauseEpoch;
    }

    function config() external view returns (Config memory) {
        HotState memory hot = _hot;
        return
            Config({
                treasury: _treasury,
                protocolFeeBps: hot.protocolFeeBps,
                minTimeout: hot.minTimeout,
                maxTimeout: hot.maxTimeout
            });
    }

    function limits()
        external
        view
        returns (uint256 maxInputBytes, uint256 maxOutputBytes, uint256 maxCallbackGas, uint256 missedDeadlinePenalty)
    {
        HotState memory hot = _hot;
        return (hot.maxInputBytes, hot.maxOutputBytes, hot.maxCallbackGas, _missedDeadlinePenalty);
    }

    // ================================================================ internal

    /// @dev What one delivered item earned, for the caller to credit once per call.
    struct Fulfilment {
        /// Delivered (false: skipped in a batch).
        bool done;
        /// A callback ran.
        bool calledBack;
        uint256 payout;
        uint256 protocolFee;
        /// Penalty to release from the operator's stake (the request had been accepted).
        uint256 unlock;
    }

    /// @dev Validates `params` and builds the pinned request (without its nonce).
    function _pin(
        RequestParams calldata params,
        IModelRegistry.RequestTerms memory terms,
        HotState memory hot
    ) private view returns (Request memory req) {
        if (params.mode > MODE_MAX || (hot.supportedModes & VerityTypesLib.modeBit(params.mode)) == 0) {
            revert CoordinatorModeUnsupported(params.mode);
        }
        bool isPrivate = params.input.length == 0;
        if (isPrivate == (params.inputCommitment == bytes32(0))) {
            revert CoordinatorInvalidInput(params.input.length, params.inputCommitment);
        }
        if (params.mode == MODE_ZK) _checkZkParams(params, isPrivate);
        if (params.input.length > hot.maxInputBytes) {
            revert CoordinatorInputTooLarge(params.input.length, hot.maxInputBytes);
        }
        if (params.timeout < hot.minTimeout || params.timeout > hot.maxTimeout) {
            revert CoordinatorInvalidTimeout(params.timeout, hot.minTimeout, hot.maxTimeout);
        }
        if (params.callback != address(0)) {
            // A consumer hears only about requests it made: nobody can feed it a stranger's result.
            if (params.callback != msg.sender) revert CoordinatorCallbackNotRequester(params.callback, msg.sender);
            if (params.callback.code.length == 0) revert CoordinatorCallbackNotContract(params.callback);
            if (params.callbackGasLimit > hot.maxCallbackGas) {
                revert CoordinatorCallbackGasTooHigh(params.callbackGasLimit, hot.maxCallbackGas);
            }
        }
        if (params.operator != address(0) && !staking.isEligible(params.operator)) {
            revert CoordinatorOperatorNotEligible(params.operator);
        }

        uint256 fee = uint256(terms.price) + params.tip;
        if (fee > type(uint96).max) revert CoordinatorAmountTooLarge(fee);
        if (params.maxFee != 0 && fee > params.maxFee) revert CoordinatorFeeAboveMax(fee, params.maxFee);
        // fee < 2^96 and bps <= 10^4, so the products fit; the royalty is capped to what is left.
        uint256 protocolFee = (fee * hot.protocolFeeBps) / BPS;
        uint256 royalty = (uint256(terms.price) * terms.royaltyBps) / BPS;
        if (royalty > fee - protocolFee) royalty = fee - protocolFee;

        req.requester = msg.sender;
        req.deadline = uint64(block.timestamp + params.timeout);
        req.modelId = params.modelId;
        req.version = terms.version;
        req.weightsHash = terms.weightsHash;
        req.inputHash = isPrivate ? params.inputCommitment : keccak256(params.input);
        req.mode = params.mode;
        req.operator = params.operator;
        if (params.callback != address(0)) {
            req.callback = params.callback;
            req.callbackGasLimit = params.callbackGasLimit;
        }
        req.storeOutput = params.storeOutput;
        req.fee = uint96(fee);
        req.royalty = uint96(royalty);
        req.protocolFee = uint96(protocolFee);
    }

    /// @dev A ZK proof does not name its submitter, so a ZK request names its operator: nobody else can
    /// submit (or front-run with) the proof. The circuit's public signal is a field element committing
    /// to a private input: anything else could never be proven, and would only lock the fee and get an
    /// accepting operator slashed.
    function _checkZkParams(RequestParams calldata params, bool isPrivate) private pure {
        if (params.operator == address(0)) revert CoordinatorOperatorRequired(params.mode);
        if (!isPrivate || uint256(params.inputCommitment) >= BN254_SCALAR_FIELD) {
            revert CoordinatorZkInputUnprovable(params.input.length, params.inputCommitment);
        }
    }

    /// @dev Verifies and records one result, pays the model owner and runs the callback. In a batch, an
    /// item no longer pending or past its deadline is skipped (`f.done` false) instead of reverting.
    function _fulfill(
        Request calldata req,
        bytes calldata output,
        bytes calldata proof,
        bool inBatch,
        uint256 maxOutputBytes
    ) private returns (Fulfilment memory f) {
        uint256 requestId = _idOf(req);
        RequestSlot slot = _slots[requestId];
        if (!slot.isPending()) {
            if (inBatch && slot.exists()) {
                emit FulfillmentSkipped(requestId, msg.sender, slot.status());
                return f;
            }
            _revertNotOpen(requestId, slot);
        }
        if (block.timestamp > req.deadline) {
            if (inBatch) {
                emit FulfillmentSkipped(requestId, msg.sender, slot.status());
                return f;
            }
            revert CoordinatorRequestExpired(requestId, req.deadline);
        }
        if (req.operator != address(0) && req.operator != msg.sender) {
            revert CoordinatorNotAssignedOperator(requestId, req.operator, msg.sender);
        }
        if (req.storeOutput && output.length > maxOutputBytes) {
            revert CoordinatorOutputTooLarge(output.length, maxOutputBytes);
        }

        bytes32 outputHash = keccak256(output);
        if (RequestSlotLib.isReservedHash(outputHash)) revert CoordinatorReservedOutputHash(outputHash);
        bytes32 record = _verify(requestId, req, outputHash, proof, slot.verifier());

        _slots[requestId] = RequestSlotLib.fulfilled(outputHash);
        if (req.storeOutput) _outputs[requestId] = output;
        if (slot.isAccepted()) {
            f.unlock = _lockedPenalties[requestId];
            if (f.unlock != 0) delete _lockedPenalties[requestId];
        }
        uint256 royalty = req.royalty;
        if (royalty != 0) _royalties[req.modelId] += royalty;
        f.protocolFee = req.protocolFee;
        // royalty + protocolFee <= fee was enforced when the request was pinned.
        unchecked {
            f.payout = req.fee - royalty - f.protocolFee;
        }
        f.done = true;
        emit InferenceFulfilled(requestId, msg.sender, outputHash, record);

        if (req.callback != address(0)) {
            _deliver(requestId, req.callback, req.callbackGasLimit, output);
            f.calledBack = true;
        }
    }

    function _verify(
        uint256 requestId,
        Request calldata req,
        bytes32 outputHash,
        bytes calldata proof,
        address verifier
    ) private returns (bytes32) {
        return
            IResultVerifier(verifier).verify(
                ResultClaim({
                    requestId: requestId,
                    modelId: req.modelId,
                    version: req.version,
                    weightsHash: req.weightsHash,
                    inputHash: req.inputHash,
                    outputHash: outputHash,
                    operator: msg.sender
                }),
                proof
            );
    }

    /// @dev Calls the consumer with exactly the gas the requester chose; its failure is recorded, not
    /// propagated. The gas check comes after the call data is in memory (a large output's memory
    /// expansion is paid by then) and right before the CALL (see `CallbackLib`).
    function _deliver(uint256 requestId, address callback, uint256 gasLimit, bytes calldata output) private {
        bytes memory data = CallbackLib.resultCall(requestId, output);
        uint256 needed = CallbackLib.gasNeeded(gasLimit);
        uint256 available = gasleft();
        if (available < needed) revert CoordinatorInsufficientCallbackGas(requestId, available, needed);
        bool success = CallbackLib.invoke(callback, gasLimit, data);
        emit CallbackDelivered(requestId, callback, success);
    }

    /// @dev Releases an accepted request's locked penalty and slashes it, unless the protocol was paused
    /// (or lowered a limit) since the acceptance. Returns the amount slashed.
    function _settleMissedDeadline(
        uint256 requestId,
        Request calldata request,
        RequestSlot slot
    ) private returns (uint256 slashed) {
        uint256 penalty = _lockedPenalties[requestId];
        if (penalty == 0) return 0;
        delete _lockedPenalties[requestId];
        address operator = request.operator;
        try staking.unlock(operator, penalty) {} catch {
            emit SlashFailed(requestId, operator);
            return 0;
        }
        if (slot.acceptedEpoch() != _hot.pauseEpoch) {
            emit PenaltyWaived(requestId, operator, penalty);
            return 0;
        }
        try staking.slash(operator, penalty, SLASH_MISSED_DEADLINE, request.requester, false) returns (uint256 amount) {
            slashed = amount;
        } catch {
            emit SlashFailed(requestId, operator);
        }
    }

    function _checkOperator() private view {
        if (!staking.isEligible(msg.sender)) revert CoordinatorOperatorNotEligible(msg.sender);
    }

    function _credit(address account, uint256 amount) private {
        _accounts[account].balance += uint128(amount);
    }

    function _deposit(uint256 amount) private {
        if (amount == 0) revert CoordinatorZeroAmount();
        Account storage account = _accounts[msg.sender];
        uint256 balance = uint256(account.balance) + amount;
        if (balance > type(uint128).max) revert CoordinatorAmountTooLarge(amount);
        _pull(amount);
        account.balance = uint128(balance);
        emit Deposited(msg.sender, amount, balance);
    }

    /// @dev Pulls `amount` from the caller and rejects tokens that deliver less (fee-on-transfer).
    function _pull(uint256 amount) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert CoordinatorTransferShortfall(amount, received);
    }

    function _bumpPauseEpoch(uint16 by) private {
        // Wraps on purpose: only equality with the value an acceptance recorded matters, and the
        // parity (paused or not) survives the wrap because 2^16 is even.
        unchecked {
            _hot.pauseEpoch += by;
        }
    }

    function _revertNotOpen(uint256 requestId, RequestSlot slot) private pure {
        if (!slot.exists()) revert CoordinatorUnknownRequest(requestId);
        revert CoordinatorRequestNotOpen(requestId, slot.status());
    }

    /// @dev keccak256(abi.encode(req)): every field of `Request` is static, so its ABI encoding is the
    /// calldata itself. Dirty padding only changes the hash, so such a request is simply unknown.
    function _idOf(Request calldata req) private pure returns (uint256 id) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, req, _REQUEST_SIZE)
            id := keccak256(ptr, _REQUEST_SIZE)
        }
    }

    /// @dev keccak256(abi.encode(req)) for a request in memory, where each field already fills a word.
    function _idOfMemory(Request memory req) private pure returns (uint256 id) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            id := keccak256(req, _REQUEST_SIZE)
        }
    }

    function _setProtocolFee(uint256 bps) private {
        if (bps > MAX_PROTOCOL_FEE_BPS)
            revert CoordinatorParameterOutOfRange("protocolFeeBps", bps, 0, MAX_PROTOCOL_FEE_BPS);
        _hot.protocolFeeBps = uint16(bps);
        emit ProtocolFeeUpdated(bps);
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert CoordinatorInvalidAddress("treasury");
        _treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    /// @dev `pushFloor`: have staking keep `unbondingPeriod` above `maxTimeout + EVIDENCE_WINDOW` (it
    /// reverts if it is not above already). The constructor only checks, as it has no role yet.
    function _setTimeouts(uint256 minTimeout, uint256 maxTimeout, bool pushFloor) private {
        if (minTimeout == 0 || minTimeout > maxTimeout) {
            revert CoordinatorParameterOutOfRange("minTimeout", minTimeout, 1, maxTimeout);
        }
        if (maxTimeout > MAX_TIMEOUT_LIMIT) {
            revert CoordinatorParameterOutOfRange("maxTimeout", maxTimeout, minTimeout, MAX_TIMEOUT_LIMIT);
        }
        _hot.minTimeout = uint24(minTimeout);
        _hot.maxTimeout = uint24(maxTimeout);
        _emitLimits();
        uint256 floor = maxTimeout + EVIDENCE_WINDOW;
        if (pushFloor) {
            staking.setUnbondingFloor(floor);
        } else {
            uint256 unbonding = staking.unbondingPeriod();
            if (unbonding <= floor) {
                uint256 highest = unbonding > EVIDENCE_WINDOW ? unbonding - EVIDENCE_WINDOW - 1 : 0;
                revert CoordinatorParameterOutOfRange("maxTimeout", maxTimeout, minTimeout, highest);
            }
        }
    }

    function _setLimits(uint256 maxInputBytes, uint256 maxOutputBytes, uint256 maxCallbackGas) private {
        if (maxInputBytes == 0 || maxInputBytes > MAX_IO_BYTES_LIMIT) {
            revert CoordinatorParameterOutOfRange("maxInputBytes", maxInputBytes, 1, MAX_IO_BYTES_LIMIT);
        }
        if (maxOutputBytes == 0 || maxOutputBytes > MAX_IO_BYTES_LIMIT) {
            revert CoordinatorParameterOutOfRange("maxOutputBytes", maxOutputBytes, 1, MAX_IO_BYTES_LIMIT);
        }
        if (maxCallbackGas > MAX_CALLBACK_GAS_LIMIT) {
            revert CoordinatorParameterOutOfRange("maxCallbackGas", maxCallbackGas, 0, MAX_CALLBACK_GAS_LIMIT);
        }
        _hot.maxInputBytes = uint24(maxInputBytes);
        _hot.maxOutputBytes = uint24(maxOutputBytes);
        _hot.maxCallbackGas = uint24(maxCallbackGas);
        _emitLimits();
    }

    function _emitLimits() private {
        HotState memory hot = _hot;
        emit LimitsUpdated(hot.minTimeout, hot.maxTimeout, hot.maxInputBytes, hot.maxOutputBytes, hot.maxCallbackGas);
    }
}
