// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IOperatorStaking} from "../interfaces/IOperatorStaking.sol";
import {BPS} from "../libraries/VerityTypes.sol";

/// @title OperatorStaking
/// @notice Stake, unbonding and slashing of operators. Only contracts holding `SLASHER_ROLE` (the
/// coordinator and the verifiers) can slash; only `LOCKER_ROLE` (the coordinator) can reserve stake.
/// Slashed funds are claimed (pull payments) to an address of the beneficiary's choice.
contract OperatorStaking is IOperatorStaking, AccessControlDefaultAdminRules, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    bytes32 public constant LOCKER_ROLE = keccak256("LOCKER_ROLE");

    uint256 public constant MAX_MIN_STAKE = type(uint96).max;
    uint256 public constant MIN_UNBONDING_PERIOD = 1 hours;
    uint256 public constant MAX_UNBONDING_PERIOD = 90 days;

    IERC20 public immutable token;

    /// @dev Read together on the eligibility hot path: minimum stake and treasury share one slot.
    uint96 private _minStake;
    address private _treasury;
    uint40 private _unbondingPeriod;
    uint16 private _beneficiaryShareBps;
    /// @dev `_unbondingPeriod` must stay above it: set by the locker from its longest timeout and
    /// evidence window, so stake backing a job or its evidence cannot leave before they are settled.
    uint40 private _unbondingFloor;

    mapping(address operator => OperatorStake) private _stakes;
    mapping(address account => uint256) private _claimable;
    /// @dev Reserved active stake, at most `staked`. Its own slot, so `OperatorStake` keeps its shape.
    mapping(address operator => uint256) private _locked;

    constructor(
        IERC20 token_,
        address admin,
        address treasury_,
        uint256 minStake_,
        uint256 unbondingPeriod_,
        uint256 beneficiaryShareBps_
    ) AccessControlDefaultAdminRules(1 days, admin) {
        if (address(token_) == address(0)) revert StakingInvalidAddress("token");
        token = token_;
        _setTreasury(treasury_);
        _setMinStake(minStake_);
        _setUnbondingPeriod(unbondingPeriod_);
        _setBeneficiaryShare(beneficiaryShareBps_);
    }

    // ---------------------------------------------------------------- operators

    /// @inheritdoc IOperatorStaking
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert StakingZeroAmount();
        OperatorStake storage s = _stakes[msg.sender];
        uint256 total = uint256(s.staked) + amount;
        // Active plus unbonding stake stays within uint96, so moving stake between them cannot overflow.
        if (total + s.unbonding > type(uint96).max) revert StakingAmountTooLarge(amount);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert StakingTransferShortfall(amount, received);
        s.staked = uint96(total);
        emit Staked(msg.sender, amount, total);
    }

    /// @inheritdoc IOperatorStaking
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert StakingZeroAmount();
        OperatorStake storage s = _stakes[msg.sender];
        uint96 staked = s.staked;
        // locked <= staked always holds (lock checks it, slash shrinks the reserve with the stake).
        uint256 free = staked - _locked[msg.sender];
        if (amount > free) revert StakingInsufficientStake(msg.sender, free, amount);
        uint256 availableAt = block.timestamp + _unbondingPeriod;
        // amount <= staked, so neither line can overflow or underflow.
        unchecked {
            s.staked = staked - uint96(amount);
            s.unbonding += uint96(amount);
        }
        s.unbondingEnd = uint40(availableAt);
        emit UnstakeRequested(msg.sender, amount, s.unbonding, availableAt);
    }

    /// @inheritdoc IOperatorStaking
    function withdrawUnstaked() external nonReentrant {
        OperatorStake storage s = _stakes[msg.sender];
        uint256 amount = s.unbonding;
        if (amount == 0) revert StakingNothingUnbonding(msg.sender);
        if (block.timestamp < s.unbondingEnd) revert StakingStillUnbonding(msg.sender, s.unbondingEnd);
        s.unbonding = 0;
        s.unbondingEnd = 0;
        emit UnstakeWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IOperatorStaking
    function claimSlashed(address to) external nonReentrant {
        if (to == address(0) || to == address(this)) revert StakingInvalidAddress("to");
        uint256 amount = _claimable[msg.sender];
        if (amount == 0) revert StakingNothingToClaim(msg.sender);
        _claimable[msg.sender] = 0;
        emit SlashedFundsClaimed(msg.sender, amount);
        token.safeTransfer(to, amount);
    }

    // ---------------------------------------------------------------- locks

    /// @inheritdoc IOperatorStaking
    function lock(address operator, uint256 amount) external onlyRole(LOCKER_ROLE) {
        if (amount == 0) revert StakingZeroAmount();
        uint256 locked = _locked[operator];
        uint256 staked = _stakes[operator].staked;
        // locked <= staked (see requestUnstake).
        uint256 free = staked - locked;
        if (amount > free) revert StakingInsufficientFreeStake(operator, free, amount);
        // amount <= staked - locked, so the sum stays <= staked.
        unchecked {
            locked += amount;
        }
        _locked[operator] = locked;
        emit StakeLocked(operator, msg.sender, amount, locked);
    }

    /// @inheritdoc IOperatorStaking
    function unlock(address operator, uint256 amount) external onlyRole(LOCKER_ROLE) {
        uint256 locked = _locked[operator];
        uint256 released = amount < locked ? amount : locked;
        // released <= locked.
        unchecked {
            locked -= released;
        }
        _locked[operator] = locked;
        emit StakeUnlocked(operator, msg.sender, released, locked);
    }

    /// @inheritdoc IOperatorStaking
    function setUnbondingFloor(uint256 floor) external onlyRole(LOCKER_ROLE) {
        if (floor >= MAX_UNBONDING_PERIOD) {
            revert StakingParameterOutOfRange("unbondingFloor", floor, 0, MAX_UNBONDING_PERIOD - 1);
        }
        if (_unbondingPeriod <= floor) revert StakingUnbondingTooShort(_unbondingPeriod, floor);
        _unbondingFloor = uint40(floor);
        emit UnbondingFloorUpdated(msg.sender, floor);
    }

    // ---------------------------------------------------------------- slashing

    /// @inheritdoc IOperatorStaking
    function slash(
        address operator,
        uint256 amount,
        uint8 reason,
        address beneficiary,
        bool jail
    ) external onlyRole(SLASHER_ROLE) returns (uint256 slashed) {
        OperatorStake storage s = _stakes[operator];
        uint96 staked = s.staked;
        uint96 unbonding = s.unbonding;
        uint256 available = uint256(staked) + unbonding;
        slashed = amount < available ? amount : available;
        // slashed <= staked + unbonding, and each part is taken only up to what is there.
        uint256 remaining;
        unchecked {
            uint256 fromStaked = slashed < staked ? slashed : staked;
            remaining = staked - fromStaked;
            s.staked = uint96(remaining);
            s.unbonding = unbonding - uint96(slashed - fromStaked);
        }
        // The reserve never exceeds the active stake: a slash shrinks it with the stake.
        if (_locked[operator] > remaining) _locked[operator] = remaining;
        if (jail) s.jailed = true;
        uint256 toBeneficiary = beneficiary == address(0) ? 0 : (slashed * _beneficiaryShareBps) / BPS;
        uint256 toTreasury = slashed - toBeneficiary;
        if (toBeneficiary != 0) _claimable[beneficiary] += toBeneficiary;
        if (toTreasury != 0) _claimable[_treasury] += toTreasury;
        emit Slashed(operator, reason, beneficiary, slashed, toBeneficiary, toTreasury, jail);
    }

    // ---------------------------------------------------------------- governance

    function setJailed(address operator, bool jailed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _stakes[operator].jailed = jailed;
        emit JailUpdated(operator, jailed);
    }

    function setMinStake(uint256 minStake_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinStake(minStake_);
    }

    function setUnbondingPeriod(uint256 period) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingPeriod(period);
    }

    function setBeneficiaryShare(uint256 shareBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setBeneficiaryShare(shareBps);
    }

    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(treasury_);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IOperatorStaking
    function stakeOf(address operator) external view returns (OperatorStake memory) {
        return _stakes[operator];
    }

    /// @inheritdoc IOperatorStaking
    function isEligible(address operator) external view returns (bool) {
        OperatorStake storage s = _stakes[operator];
        return !s.jailed && s.staked >= _minStake;
    }

    /// @inheritdoc IOperatorStaking
    function claimableOf(address account) external view returns (uint256) {
        return _claimable[account];
    }

    /// @inheritdoc IOperatorStaking
    function lockedOf(address operator) external view returns (uint256) {
        return _locked[operator];
    }

    /// @inheritdoc IOperatorStaking
    function unbondingFloor() external view returns (uint256) {
        return _unbondingFloor;
    }

    /// @inheritdoc IOperatorStaking
    function minStake() external view returns (uint256) {
        return _minStake;
    }

    /// @inheritdoc IOperatorStaking
    function unbondingPeriod() external view returns (uint256) {
        return _unbondingPeriod;
    }

    function treasury() external view returns (address) {
        return _treasury;
    }

    function beneficiaryShareBps() external view returns (uint256) {
        return _beneficiaryShareBps;
    }

    // ---------------------------------------------------------------- internal

    function _setMinStake(uint256 value) private {
        if (value == 0 || value > MAX_MIN_STAKE) {
            revert StakingParameterOutOfRange("minStake", value, 1, MAX_MIN_STAKE);
        }
        _minStake = uint96(value);
        emit MinStakeUpdated(value);
    }

    function _setUnbondingPeriod(uint256 value) private {
        if (value < MIN_UNBONDING_PERIOD || value > MAX_UNBONDING_PERIOD) {
            revert StakingParameterOutOfRange("unbondingPeriod", value, MIN_UNBONDING_PERIOD, MAX_UNBONDING_PERIOD);
        }
        if (value <= _unbondingFloor) revert StakingUnbondingTooShort(value, _unbondingFloor);
        _unbondingPeriod = uint40(value);
        emit UnbondingPeriodUpdated(value);
    }

    function _setBeneficiaryShare(uint256 value) private {
        if (value > BPS) revert StakingParameterOutOfRange("beneficiaryShareBps", value, 0, BPS);
        _beneficiaryShareBps = uint16(value);
        emit BeneficiaryShareUpdated(value);
    }

    function _setTreasury(address value) private {
        if (value == address(0)) revert StakingInvalidAddress("treasury");
        _treasury = value;
        emit TreasuryUpdated(value);
    }
}
