// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IFieldDisclosureVerifier} from "../interfaces/IFieldDisclosureVerifier.sol";

/// @title IDiagnosisInsurer
/// @notice Example dApp for the hospital story: an insured patient's hospital opens a claim with only the
/// commitment to the patient's record (a per-field Poseidon tree root); the insurer requests a ZK diagnosis
/// for exactly that commitment, and pays the claim only on a verified malignant diagnosis of a request it
/// made itself. It never sees the record; afterwards the claimant may disclose chosen fields, which are
/// checked on chain against the same commitment.
interface IDiagnosisInsurer {
    enum ClaimStatus {
        None,
        Pending,
        Approved,
        Denied,
        Paid
    }

    /// @notice One claim, keyed by the insurer's inference request id.
    struct Claim {
        /// Who opened the claim and is paid if it is approved.
        address claimant;
        /// Payout fixed when the claim was opened (the payment token's units).
        uint96 payout;
        ClaimStatus status;
        /// The record's commitment the diagnosis was requested for.
        bytes32 commitment;
    }

    /// @notice Emitted when a claim is opened and its ZK diagnosis requested.
    event ClaimOpened(uint256 indexed requestId, address indexed claimant, bytes32 commitment, uint256 payout);
    /// @notice Emitted when the verified diagnosis approves a claim.
    event ClaimApproved(uint256 indexed requestId, address indexed claimant, uint256 payout);
    /// @notice Emitted when the verified diagnosis denies a claim.
    event ClaimDenied(uint256 indexed requestId, address indexed claimant, uint256 diagnosis);
    /// @notice Emitted when an approved claim's payout is collected.
    event ClaimPaid(uint256 indexed requestId, address indexed claimant, uint256 payout);
    /// @notice Emitted when fields of a claim's record are disclosed and checked against its commitment.
    event FieldsDisclosed(uint256 indexed requestId, uint256[] indices, uint256[] values);
    /// @notice Emitted when the owner changes who is insured.
    event InsuredUpdated(address indexed account, bool insured);
    /// @notice Emitted when the owner changes the payout of new claims.
    event PayoutUpdated(uint256 payout);

    /// @notice Thrown when a constructor address is zero; `parameter` names it.
    error InsurerInvalidAddress(string parameter);
    /// @notice Thrown when someone who is not insured opens a claim.
    error InsurerNotInsured(address account);
    /// @notice Thrown when a claim's commitment is zero (a ZK request needs one).
    error InsurerZeroCommitment();
    /// @notice Thrown when a result or action names a request that is not one of the insurer's pending or
    /// decided claims.
    error InsurerUnknownClaim(uint256 requestId);
    /// @notice Thrown when a diagnosis output is not one ABI word.
    error InsurerBadOutput(uint256 requestId, uint256 length);
    /// @notice Thrown when someone other than the claimant collects a payout.
    error InsurerNotClaimant(uint256 requestId, address caller);
    /// @notice Thrown when a claim that is not approved (or already paid) is collected.
    error InsurerClaimNotApproved(uint256 requestId, ClaimStatus status);

    /// @notice Opens a claim for the record committed to by `commitment` and requests its diagnosis in ZK
    /// mode from `operator` (ZK requests name their operator), paid from the insurer's coordinator balance.
    function openClaim(bytes32 commitment, address operator) external returns (uint256 requestId);

    /// @notice Pays an approved claim's payout to its claimant.
    function collect(uint256 requestId) external;

    /// @notice Checks a disclosure of some of a decided claim's fields against its commitment (reverts
    /// with the disclosure verifier's error otherwise) and publishes the disclosed values.
    function discloseFields(uint256 requestId, IFieldDisclosureVerifier.FieldOpening[] calldata fields) external;

    function claimOf(uint256 requestId) external view returns (Claim memory);
}
