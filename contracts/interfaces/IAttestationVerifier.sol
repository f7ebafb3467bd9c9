// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IAttestationVerifier
/// @notice Checks an enclave's attestation report before its signing key is trusted. Real quote
/// verification (AWS Nitro, Intel DCAP, AMD SEV-SNP) plugs in here.
interface IAttestationVerifier {
    /// @notice True when `report` attests that `enclaveKey` was generated inside an enclave running
    /// code with `measurement`, for `operator`.
    function verifyAttestation(
        address operator,
        address enclaveKey,
        bytes32 measurement,
        bytes calldata report
    ) external view returns (bool);

    /// @notice Whether governance currently approves code `measurement`.
    function isMeasurementApproved(bytes32 measurement) external view returns (bool);
}
