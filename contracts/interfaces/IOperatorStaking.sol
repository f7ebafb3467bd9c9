// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IOperatorStaking
/// @notice Operators stake the payment token to become eligible; stake leaves only after an unbonding
/// period and stays slashable until withdrawn.
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

    error StakingZeroAmount();
    error StakingInsufficientStake(address operator, uint256 staked, uint256 requested);
    error StakingNothingUnbonding(address operator);
    error StakingStillUnbonding(address operator, uint256 availableAt);
    error StakingTransferShortfall(uint256 expected, uint256 received);
    error StakingAmountTooLarge(uint256 amount);
    error StakingNothingToClaim(address account);
    error StakingParameterOutOfRange(string parameter, uint256 value, uint256 min, uint256 max);
    error StakingInvalidAddress(string parameter);

    function stake(uint256 amount) external;

    function requestUnstake(uint256 amount) external;

    function withdrawUnstaked() external;

    /// @notice Takes up to `amount` from the operator (active stake first, then unbonding), gives
    /// `beneficiaryShareBps` of it to `beneficiary` and the rest to the treasury, to be claimed.
    /// @return slashed The amount actually taken.
    function slash(
        address operator,
        uint256 amount,
        uint8 reason,
        address beneficiary,
        bool jail
    ) external returns (uint256 slashed);

    function claimSlashed() external;

    function stakeOf(address operator) external view returns (OperatorStake memory);

    function isEligible(address operator) external view returns (bool);

    function claimableOf(address account) external view returns (uint256);

    function minStake() external view returns (uint256);

    function unbondingPeriod() external view returns (uint256);
}
