// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IOperatorStaking
/// @notice Operators stake the payment token to become eligible; stake leaves only after an unbonding
/// period and stays slashable until withdrawn. A locker (the coordinator) reserves part of an operator's
/// active stake to back penalties it may owe: reserved stake cannot be unstaked. Staking knows nothing of
/// what a lock is for.
interface IOperatorStaking {
    /// @notice One slot per operator.
    struct OperatorStake {
        /// Active stake, counted for eligibility.
        uint96 staked;
        /// Stake waiting for `unbondingEnd`; still slashable.
        uint96 unbonding;
        /// When the unbonding stake can be withdrawn.
        uint40 unbondingEnd;
        /// Jailed operators are not eligible until governance releases them.
        bool jailed;
    }

    event Staked(address indexed operator, uint256 amount, uint256 totalStaked);
    event UnstakeRequested(address indexed operator, uint256 amount, uint256 unbonding, uint256 availableAt);
    event UnstakeWithdrawn(address indexed operator, uint256 amount);
    event Slashed(
        address indexed operator,
        uint8 indexed reason,
        address indexed beneficiary,
        uint256 amount,
        uint256 toBeneficiary,
        uint256 toTreasury,
        bool jailed
    );
    event JailUpdated(address indexed operator, bool jailed);
    event SlashedFundsClaimed(address indexed account, uint256 amount);
    event MinStakeUpdated(uint256 minStake);
    event UnbondingPeriodUpdated(uint256 unbondingPeriod);
    event BeneficiaryShareUpdated(uint256 beneficiaryShareBps);
    event TreasuryUpdated(address treasury);
    /// @notice `locker` reserved `amount` of `operator`'s active stake; `locked` is its total reserve now.
    event StakeLocked(address indexed operator, address indexed locker, uint256 amount, uint256 locked);
    /// @notice `locker` released `amount` of `operator`'s reserve; `locked` is what is left.
    event StakeUnlocked(address indexed operator, address indexed locker, uint256 amount, uint256 locked);
    /// @notice A locker requires `unbondingPeriod` to stay above `floor` (its longest lock plus evidence window).
    event UnbondingFloorUpdated(address indexed locker, uint256 floor);

    /// @notice Thrown when staking, unstaking or locking zero.
    error StakingZeroAmount();
    /// @notice Thrown when `operator` unstakes `requested` but only `staked` is free (active and not locked).
    error StakingInsufficientStake(address operator, uint256 staked, uint256 requested);
    /// @notice Thrown when a locker reserves `needed` of `operator`'s stake but only `free` is not yet locked.
    error StakingInsufficientFreeStake(address operator, uint256 free, uint256 needed);
    /// @notice Thrown when `operator` withdraws with nothing unbonding.
    error StakingNothingUnbonding(address operator);
    /// @notice Thrown when `operator` withdraws before `availableAt`.
    error StakingStillUnbonding(address operator, uint256 availableAt);
    /// @notice Thrown when a stake transfer delivered `received` instead of `expected`.
    error StakingTransferShortfall(uint256 expected, uint256 received);
    /// @notice Thrown when a stake would not fit in uint96.
    error StakingAmountTooLarge(uint256 amount);
    /// @notice Thrown when `account` claims slashed funds but has none.
    error StakingNothingToClaim(address account);
    /// @notice Thrown when governance sets `parameter` outside [min, max].
    error StakingParameterOutOfRange(string parameter, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when address `parameter` is zero, or (`"to"`) the staking contract itself.
    error StakingInvalidAddress(string parameter);
    /// @notice Thrown when `unbondingPeriod` would not be above `floor`, the longest a lock or its
    /// evidence can outlive the request behind it.
    error StakingUnbondingTooShort(uint256 unbondingPeriod, uint256 floor);

    function stake(uint256 amount) external;

    /// @notice Starts unbonding `amount` of the caller's free (active, not locked) stake.
    function requestUnstake(uint256 amount) external;

    function withdrawUnstaked() external;

    /// @notice Takes up to `amount` from the operator (active stake first, locked stake included, then
    /// unbonding; a reserve larger than what stays active shrinks to it), gives
    /// `beneficiaryShareBps` of it to `beneficiary` and the rest to the treasury, to be claimed.
    /// @return slashed The amount actually taken.
    function slash(
        address operator,
        uint256 amount,
        uint8 reason,
        address beneficiary,
        bool jail
    ) external returns (uint256 slashed);

    /// @notice Sends the caller's share of slashed funds to `to` (a contract beneficiary names where).
    function claimSlashed(address to) external;

    /// @notice Reserves `amount` of `operator`'s free stake (locker role). Reverts when not enough is free.
    function lock(address operator, uint256 amount) external;

    /// @notice Releases up to `amount` of `operator`'s reserve (locker role); never reverts for a
    /// reserve already reduced by a slash.
    function unlock(address operator, uint256 amount) external;

    /// @notice Requires `unbondingPeriod` to stay above `floor` from now on (locker role); reverts if it
    /// is not above it already.
    function setUnbondingFloor(uint256 floor) external;

    /// @notice Stake reserved by lockers; always at most the active stake.
    function lockedOf(address operator) external view returns (uint256);

    /// @notice The floor `unbondingPeriod` must stay above.
    function unbondingFloor() external view returns (uint256);

    function stakeOf(address operator) external view returns (OperatorStake memory);

    function isEligible(address operator) external view returns (bool);

    function claimableOf(address account) external view returns (uint256);

    function minStake() external view returns (uint256);

    function unbondingPeriod() external view returns (uint256);
}
