// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";

/// @title DevApprovedMeasurementAttestationVerifier
/// @notice DEVELOPMENT ONLY. Accepts any enclave key whose claimed code measurement governance has
/// approved. It does NOT verify the attestation report (no quote, certificate chain or signature
/// check), so it trusts the operator's word that the key lives in such an enclave. Replace it with a
/// real quote verifier (Nitro, DCAP, SEV-SNP) behind `IAttestationVerifier` for production. On a chain
/// that is not local (chain id other than 31337 or 1337) the constructor refuses unless
/// `iUnderstandThisIsNotForProduction`.
contract DevApprovedMeasurementAttestationVerifier is IAttestationVerifier, AccessControlDefaultAdminRules {
    bytes32 public constant MEASUREMENT_MANAGER_ROLE = keccak256("MEASUREMENT_MANAGER_ROLE");

    mapping(bytes32 measurement => bool) private _approved;

    event MeasurementApprovalUpdated(bytes32 indexed measurement, bool approved);

    /// @notice Thrown when approving or revoking the zero measurement.
    error AttestationInvalidMeasurement(bytes32 measurement);

    /// @notice Thrown when deploying to chain `chainId`, which is not a local chain (31337 or 1337),
    /// without `iUnderstandThisIsNotForProduction`: this verifier checks no attestation at all.
    error DevAttestationVerifierNotForProduction(uint256 chainId);

    constructor(
        address admin,
        bytes32[] memory initialMeasurements,
        bool iUnderstandThisIsNotForProduction
    ) AccessControlDefaultAdminRules(1 days, admin) {
        if (block.chainid != 31337 && block.chainid != 1337 && !iUnderstandThisIsNotForProduction) {
            revert DevAttestationVerifierNotForProduction(block.chainid);
        }
        _grantRole(MEASUREMENT_MANAGER_ROLE, admin);
        for (uint256 i = 0; i < initialMeasurements.length; ++i) {
            _setApproval(initialMeasurements[i], true);
        }
    }

    function setMeasurementApproval(bytes32 measurement, bool approved) external onlyRole(MEASUREMENT_MANAGER_ROLE) {
        _setApproval(measurement, approved);
    }

    /// @inheritdoc IAttestationVerifier
    /// @dev The report is ignored (see the contract notice), so nothing in it can expire: `validUntil`
    /// is always `type(uint64).max`.
    function verifyAttestation(
        address,
        address enclaveKey,
        bytes32 measurement,
        bytes calldata
    ) external view returns (bool accepted, uint64 validUntil) {
        return (enclaveKey != address(0) && _approved[measurement], type(uint64).max);
    }

    /// @inheritdoc IAttestationVerifier
    function isMeasurementApproved(bytes32 measurement) external view returns (bool) {
        return _approved[measurement];
    }

    function _setApproval(bytes32 measurement, bool approved) private {
        if (measurement == bytes32(0)) revert AttestationInvalidMeasurement(measurement);
        _approved[measurement] = approved;
        emit MeasurementApprovalUpdated(measurement, approved);
    }
}
