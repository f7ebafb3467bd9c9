// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IAttestationVerifier
/// @notice Checks an enclave's attestation report before its signing key is trusted. Real quote
/// verification (AWS Nitro, Intel DCAP, AMD SEV-SNP) plugs in here.
interface IAttestationVerifier {
    /// @notice Whether `report` attests that `enclaveKey` was generated inside an enclave running code
    /// with `measurement`, for `operator` (a verifier may revert with the failed check instead of
    /// returning false), and until when that verdict holds: `validUntil` is the earliest time any
    /// evidence behind it (certificate, revocation list, collateral) stops being current, or
    /// `type(uint64).max` when the attestation does not expire. The enclave must re-attest before it.
    function verifyAttestation(
        address operator,
        address enclaveKey,
        bytes32 measurement,
        bytes calldata report
    ) external view returns (bool accepted, uint64 validUntil);

    /// @notice Whether governance currently approves code `measurement`.
    function isMeasurementApproved(bytes32 measurement) external view returns (bool);
}
