// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IOperatorStaking} from "../interfaces/IOperatorStaking.sol";
import {IResultVerifier} from "../interfaces/IResultVerifier.sol";
import {
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

/// @title InferenceCoordinator
/// @notice Escrow, request lifecycle and payouts for verified inference.
///
/// Gas design: a request is not stored. Its id is the hash of the pinned `Request`, which the
/// `InferenceRequested` event carries in full; callers hand the request back to fulfil or refund it,
/// and the id check authenticates every field. Per request the coordinator keeps ONE slot: `OPEN`
/// (with the verifier pinned for a ZK request) when requested, then the output hash when fulfilled, or
/// `REFUNDED`. Royalties accrue per model (the model owner claims them), so a fulfil never calls the
/// registry. Who delivered, in which block,
/// the verifier's record and the callback outcome are in the events (storing them would cost another
/// 22,100 gas per result).
contract InferenceCoordinator is IInferenceCoordinator, AccessControlDefaultAdminRules, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    uint256 public constant MAX_PROTOCOL_FEE_BPS = 2_000;
    uint256 public constant MAX_TIMEOUT_LIMIT = 30 days;
    uint256 public constant MAX_IO_BYTES_LIMIT = 64 * 1024;
    uint256 public constant MAX_CALLBACK_GAS_LIMIT = 5_000_000;
    /// @dev Gas kept back for recording the callback outcome after the callback returns.
    uint256 public constant CALLBACK_RESERVE_GAS = 15_000;

    /// @dev A request's slot is a state word below `_STATE_WORD_LIMIT`, or the output hash once it is
    /// fulfilled. A state word's low byte is the state; an open or accepted request's word carries above
    /// it the verifier pinned for the request (ZK: the model version's verifier), or zero for the mode's
    /// verifier. A keccak256 output hash below the limit (2^168) is not expected to be found; fulfil
    /// refuses one anyway.
    uint256 private constant _STATE_WORD_LIMIT = 1 << 168;
    uint256 private constant _STATE_MASK = 0xff;
    uint256 private constant _OPEN = 1;
    uint256 private constant _REFUNDED = 2;
    /// @dev An assigned request its operator accepted: it can still be fulfilled, and missing its
    /// deadline is slashable.
    uint256 private constant _ACCEPTED = 3;
    /// @dev Size of an ABI-encoded `Request`: 15 static words.
    uint256 private constant _REQUEST_SIZE = 15 * 32;

    /// @dev One slot per account: internal balance and request counter, both touched by a request.
    struct Account {
        uint128 balance;
        uint64 nonce;
    }

    /// @dev One slot read by every request and fulfil: pause flag, size limits and protocol fees not
    /// yet withdrawn (written by every fulfil).
    struct HotState {
        bool paused;
        /// Bit `m` set when mode `m` has a verifier.
        uint8 supportedModes;
        uint32 maxInputBytes;
        uint32 maxOutputBytes;
        uint32 maxCallbackGas;
        uint128 protocolFeesAccrued;
    }

    /// @dev Read by every request.
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
    Config private _config;
    uint96 private _missedDeadlinePenalty;

    mapping(uint8 mode => address) private _verifiers;
    mapping(address account => Account) private _accounts;
    /// @dev A state word (open / accepted with the pinned verifier, refunded) or the output hash.
    mapping(uint256 requestId => bytes32) private _results;
    mapping(uint256 requestId => bytes) private _outputs;
    /// @dev Royalties accrued per model, claimed by the model's owner at the time of the claim.
    mapping(bytes32 modelId => uint256) private _royalties;

    modifier whenNotPaused() {
        if (_hot.paused) revert CoordinatorPaused();
        _;
    }

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
        _setTimeouts(60, 7 days);
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
        if (to == address(0)) revert CoordinatorInvalidAddress("to");
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
        address treasury_ = _config.treasury;
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
        if (hot.paused) revert CoordinatorPaused();
        IModelRegistry.RequestTerms memory terms = registry.requestTerms(params.modelId, params.version, params.mode);
        Request memory req = _pin(params, terms, hot);

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
        _results[requestId] = bytes32((uint256(uint160(terms.verifier)) << 8) | _OPEN);
        emit InferenceRequested(requestId, req.modelId, req.operator, req, params.input);

        if (shortfall != 0) _pull(shortfall);
    }

    /// @inheritdoc IInferenceCoordinator
    function fulfill(Request calldata request, bytes calldata output, bytes calldata proof) external nonReentrant {
        HotState storage hot = _hot;
        if (hot.paused) revert CoordinatorPaused();
        _checkOperator();
        (, uint256 payout, uint256 protocolFee) = _fulfill(request, output, proof, false, hot.maxOutputBytes);
        _credit(msg.sender, payout);
        hot.protocolFeesAccrued += uint128(protocolFee);
    }

    /// @inheritdoc IInferenceCoordinator
    function fulfillBatch(
        Request[] calldata requests,
        bytes[] calldata outputs,
        bytes[] calldata proofs
    ) external nonReentrant returns (uint256 fulfilled) {
        HotState storage hot = _hot;
        if (hot.paused) revert CoordinatorPaused();
        uint256 n = requests.length;
        if (outputs.length != n || proofs.length != n) {
            revert CoordinatorBatchLengthMismatch(n, outputs.length, proofs.length);
        }
        _checkOperator();
        uint256 maxOutputBytes = hot.maxOutputBytes;
        uint256 payouts;
        uint256 protocolFees;
        for (uint256 i = 0; i < n; ++i) {
            (bool done, uint256 payout, uint256 protocolFee) = _fulfill(
                requests[i],
                outputs[i],
                proofs[i],
                true,
                maxOutputBytes
            );
            if (done) {
                ++fulfilled;
                payouts += payout;
                protocolFees += protocolFee;
            }
        }
        if (payouts != 0) _credit(msg.sender, payouts);
        if (protocolFees != 0) hot.protocolFeesAccrued += uint128(protocolFees);
    }

    /// @inheritdoc IInferenceCoordinator
    function acceptRequest(Request calldata request) external whenNotPaused {
        uint256 requestId = _idOf(request);
        bytes32 slot = _results[requestId];
        if (_statusOf(slot) != RequestStatus.Open) _revertNotOpen(requestId, slot);
        if (request.operator != msg.sender) {
            revert CoordinatorNotAssignedOperator(requestId, request.operator, msg.sender);
        }
        if (block.timestamp > request.deadline) revert CoordinatorRequestExpired(requestId, request.deadline);
        _checkOperator();
        _results[requestId] = bytes32((uint256(slot) & ~_STATE_MASK) | _ACCEPTED);
        emit RequestAccepted(requestId, msg.sender);
    }

    /// @inheritdoc IInferenceCoordinator
    function refund(Request calldata request) external nonReentrant {
        uint256 requestId = _idOf(request);
        bytes32 slot = _results[requestId];
        if (!_isPending(slot)) _revertNotOpen(requestId, slot);
        if (block.timestamp <= request.deadline) revert CoordinatorRequestNotExpired(requestId, request.deadline);

        _results[requestId] = bytes32(_REFUNDED);
        _credit(request.requester, request.fee);

        // Only an operator that accepted the job is slashed for dropping it: an assignment alone is
        // not consent (a requester could otherwise withhold a private input and collect the penalty).
        // A failing slash (e.g. the coordinator lost its slasher role) never blocks the refund.
        uint256 slashed;
        uint256 penalty = _missedDeadlinePenalty;
        if (_statusOf(slot) == RequestStatus.Accepted && penalty != 0) {
            try staking.slash(request.operator, penalty, SLASH_MISSED_DEADLINE, request.requester, false) returns (
                uint256 amount
            ) {
                slashed = amount;
            } catch {
                emit SlashFailed(requestId, request.operator);
            }
        }
        emit RequestRefunded(requestId, request.requester, request.fee, slashed);
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

    function setTimeouts(uint256 minTimeout, uint256 maxTimeout) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTimeouts(minTimeout, maxTimeout);
    }

    function setLimits(
        uint256 maxInputBytes,
        uint256 maxOutputBytes,
        uint256 maxCallbackGas
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setLimits(maxInputBytes, maxOutputBytes, maxCallbackGas);
    }

    function setMissedDeadlinePenalty(uint256 penalty) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (penalty > type(uint96).max) {
            revert CoordinatorParameterOutOfRange("missedDeadlinePenalty", penalty, 0, type(uint96).max);
        }
        _missedDeadlinePenalty = uint96(penalty);
        emit MissedDeadlinePenaltyUpdated(penalty);
    }

    function setPaused(bool paused_) external onlyRole(PAUSER_ROLE) {
        _hot.paused = paused_;
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
        bytes32 slot = _results[requestId];
        return _isPending(slot) ? _pinnedVerifier(slot) : address(0);
    }

    /// @inheritdoc IInferenceCoordinator
    function nonceOf(address account) external view returns (uint256) {
        return _accounts[account].nonce;
    }

    /// @inheritdoc IInferenceCoordinator
    function requestStatus(uint256 requestId) public view returns (RequestStatus) {
        return _statusOf(_results[requestId]);
    }

    /// @inheritdoc IInferenceCoordinator
    function getResult(uint256 requestId) external view returns (InferenceResult memory) {
        bytes32 slot = _results[requestId];
        RequestStatus status = _statusOf(slot);
        if (status == RequestStatus.None) revert CoordinatorUnknownRequest(requestId);
        return InferenceResult({status: status, outputHash: status == RequestStatus.Fulfilled ? slot : bytes32(0)});
    }

    /// @inheritdoc IInferenceCoordinator
    function isVerified(uint256 requestId) external view returns (bool) {
        return _statusOf(_results[requestId]) == RequestStatus.Fulfilled;
    }

    /// @inheritdoc IInferenceCoordinator
    function checkOutput(uint256 requestId, bytes calldata output) external view returns (bool) {
        bytes32 slot = _results[requestId];
        return _statusOf(slot) == RequestStatus.Fulfilled && slot == keccak256(output);
    }

    /// @inheritdoc IInferenceCoordinator
    function getOutput(uint256 requestId) external view returns (bytes memory) {
        return _outputs[requestId];
    }

    /// @inheritdoc IInferenceCoordinator
    function requestIdOf(Request calldata request) external pure returns (uint256) {
        return uint256(keccak256(abi.encode(request)));
    }

    function verifierOf(uint8 mode) external view returns (address) {
        return _verifiers[mode];
    }

    function protocolFeesAccrued() external view returns (uint256) {
        return _hot.protocolFeesAccrued;
    }

    function paused() external view returns (bool) {
        return _hot.paused;
    }

    function config() external view returns (Config memory) {
        return _config;
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

    /// @dev Validates `params` and builds the pinned request (without its nonce).
    function _pin(
        RequestParams calldata params,
        IModelRegistry.RequestTerms memory terms,
        HotState memory hot
    ) private view returns (Request memory req) {
        Config memory cfg = _config;
        if (params.mode > MODE_MAX || (hot.supportedModes & VerityTypesLib.modeBit(params.mode)) == 0) {
            revert CoordinatorModeUnsupported(params.mode);
        }
        // A ZK proof does not name its submitter, so a ZK request names its operator: nobody else can
        // submit (or front-run with) the proof.
        if (params.mode == MODE_ZK && params.operator == address(0)) revert CoordinatorOperatorRequired(params.mode);
        bool isPrivate = params.input.length == 0;
        if (isPrivate == (params.inputCommitment == bytes32(0))) {
            revert CoordinatorInvalidInput(params.input.length, params.inputCommitment);
        }
        if (params.input.length > hot.maxInputBytes) {
            revert CoordinatorInputTooLarge(params.input.length, hot.maxInputBytes);
        }
        if (params.timeout < cfg.minTimeout || params.timeout > cfg.maxTimeout) {
            revert CoordinatorInvalidTimeout(params.timeout, cfg.minTimeout, cfg.maxTimeout);
        }
        if (params.callback != address(0)) {
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
        uint256 protocolFee = (fee * cfg.protocolFeeBps) / BPS;
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

    /// @dev Verifies and records one result, pays the model owner and runs the callback. Returns
    /// whether it was delivered (false: skipped in a batch), the operator's payout and the protocol
    /// fee, for the caller to credit once per call.
    function _fulfill(
        Request calldata req,
        bytes calldata output,
        bytes calldata proof,
        bool inBatch,
        uint256 maxOutputBytes
    ) private returns (bool done, uint256 payout, uint256 protocolFee) {
        uint256 requestId = _idOf(req);
        bytes32 slot = _results[requestId];
        if (!_isPending(slot)) {
            if (inBatch && slot != bytes32(0)) {
                emit FulfillmentSkipped(requestId, msg.sender, _statusOf(slot));
                return (false, 0, 0);
            }
            _revertNotOpen(requestId, slot);
        }
        if (block.timestamp > req.deadline) revert CoordinatorRequestExpired(requestId, req.deadline);
        if (req.operator != address(0) && req.operator != msg.sender) {
            revert CoordinatorNotAssignedOperator(requestId, req.operator, msg.sender);
        }
        if (req.storeOutput && output.length > maxOutputBytes) {
            revert CoordinatorOutputTooLarge(output.length, maxOutputBytes);
        }

        bytes32 outputHash = keccak256(output);
        if (uint256(outputHash) < _STATE_WORD_LIMIT) revert CoordinatorReservedOutputHash(outputHash);
        bytes32 record = _verify(requestId, req, outputHash, proof, _pinnedVerifier(slot));

        _results[requestId] = outputHash;
        if (req.storeOutput) _outputs[requestId] = output;
        uint256 royalty = req.royalty;
        if (royalty != 0) _royalties[req.modelId] += royalty;
        protocolFee = req.protocolFee;
        // royalty + protocolFee <= fee was enforced when the request was pinned.
        unchecked {
            payout = req.fee - royalty - protocolFee;
        }
        done = true;
        emit InferenceFulfilled(requestId, msg.sender, outputHash, record);

        if (req.callback != address(0)) _deliver(requestId, req.callback, req.callbackGasLimit, output);
    }

    function _verify(
        uint256 requestId,
        Request calldata req,
        bytes32 outputHash,
        bytes calldata proof,
        address pinned
    ) private returns (bytes32) {
        address verifier = pinned;
        if (verifier == address(0)) {
            verifier = _verifiers[req.mode];
            if (verifier == address(0)) revert CoordinatorModeUnsupported(req.mode);
        }
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
    /// propagated. Reverts if the operator did not send enough gas for the callback to get its limit.
    function _deliver(uint256 requestId, address callback, uint256 gasLimit, bytes calldata output) private {
        // EIP-150 forwards at most 63/64 of the gas left; keep a reserve for the bookkeeping after.
        uint256 needed = gasLimit + gasLimit / 63 + CALLBACK_RESERVE_GAS;
        uint256 available = gasleft();
        if (available < needed) revert CoordinatorInsufficientCallbackGas(requestId, available, needed);
        bytes memory data = abi.encodeCall(IInferenceConsumer.onInferenceResult, (requestId, output));
        bool success;
        // A plain call that copies no return data, so a consumer cannot grief with a huge return.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            success := call(gasLimit, callback, 0, add(data, 0x20), mload(data), 0, 0)
        }
        emit CallbackDelivered(requestId, callback, success);
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

    function _revertNotOpen(uint256 requestId, bytes32 slot) private pure {
        if (slot == bytes32(0)) revert CoordinatorUnknownRequest(requestId);
        revert CoordinatorRequestNotOpen(requestId, _statusOf(slot));
    }

    /// @dev Open or accepted: it can still be fulfilled or refunded. The same decoding as `_statusOf`,
    /// spelled out because every fulfil runs it.
    function _isPending(bytes32 slot) private pure returns (bool) {
        uint256 word = uint256(slot);
        uint256 state = word & _STATE_MASK;
        return word < _STATE_WORD_LIMIT && (state == _OPEN || state == _ACCEPTED);
    }

    /// @dev The verifier pinned in a pending request's state word (zero: the mode's verifier).
    function _pinnedVerifier(bytes32 slot) private pure returns (address) {
        return address(uint160(uint256(slot) >> 8));
    }

    function _statusOf(bytes32 slot) private pure returns (RequestStatus) {
        if (slot == bytes32(0)) return RequestStatus.None;
        uint256 word = uint256(slot);
        if (word >= _STATE_WORD_LIMIT) return RequestStatus.Fulfilled;
        uint256 state = word & _STATE_MASK;
        if (state == _OPEN) return RequestStatus.Open;
        if (state == _ACCEPTED) return RequestStatus.Accepted;
        return RequestStatus.Refunded;
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
        _config.protocolFeeBps = uint16(bps);
        emit ProtocolFeeUpdated(bps);
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert CoordinatorInvalidAddress("treasury");
        _config.treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    function _setTimeouts(uint256 minTimeout, uint256 maxTimeout) private {
        if (minTimeout == 0 || minTimeout > maxTimeout) {
            revert CoordinatorParameterOutOfRange("minTimeout", minTimeout, 1, maxTimeout);
        }
        if (maxTimeout > MAX_TIMEOUT_LIMIT) {
            revert CoordinatorParameterOutOfRange("maxTimeout", maxTimeout, minTimeout, MAX_TIMEOUT_LIMIT);
        }
        _config.minTimeout = uint32(minTimeout);
        _config.maxTimeout = uint32(maxTimeout);
        _emitLimits();
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
        _hot.maxInputBytes = uint32(maxInputBytes);
        _hot.maxOutputBytes = uint32(maxOutputBytes);
        _hot.maxCallbackGas = uint32(maxCallbackGas);
        _emitLimits();
    }

    function _emitLimits() private {
        emit LimitsUpdated(
            _config.minTimeout,
            _config.maxTimeout,
            _hot.maxInputBytes,
            _hot.maxOutputBytes,
            _hot.maxCallbackGas
        );
    }
}
