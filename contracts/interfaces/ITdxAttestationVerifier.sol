// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAttestationVerifier} from "./IAttestationVerifier.sol";

/// @title ITdxAttestationVerifier
/// @notice Intel TDX attestation by DCAP quote (versions 4 and 5, ECDSA-P256 attestation key,
/// certification data type 6 wrapping type 5). A quote is accepted only when its whole chain of trust
/// holds at block time: quote signature → attestation key → QE report signed by the PCK key → PCK
/// chain to a pinned Intel SGX Root CA, no certificate revoked by a current CRL, and the TCB of the
/// platform, TDX module and QE judged by current Intel-signed collateral under governance's policy.
/// Collateral (CRLs, TCB info, QE identity) is pushed by anyone and accepted only with a valid
/// signature chaining to the pinned root.
interface ITdxAttestationVerifier is IAttestationVerifier {
    /// @notice Intel's TCB statuses, in the order used by `acceptedTcbStatuses` bits.
    enum TcbStatus {
        UpToDate,
        SWHardeningNeeded,
        ConfigurationNeeded,
        ConfigurationAndSWHardeningNeeded,
        OutOfDate,
        OutOfDateConfigurationNeeded,
        Revoked
    }

    /// @notice Kinds of collateral, as named in errors and events.
    enum CollateralKind {
        Crl,
        TcbInfo,
        QeIdentity
    }

    /// @notice What a verified quote says, and until when the verdict holds (memory only: not packed).
    // solhint-disable-next-line gas-struct-packing
    struct TdxAttestation {
        /// Quote version (4 or 5).
        uint16 version;
        /// TD report body type: 2 for TDX 1.0 (584 bytes), 3 for TDX 1.5 (648 bytes).
        uint16 bodyType;
        /// The TD's TEE TCB SVN (TDX module SVN, major version, then late microcode and others).
        bytes16 teeTcbSvn;
        /// TD attributes (bit 0: debug; debug TDs are always refused).
        bytes8 tdAttributes;
        /// MRTD: the measurement of the TD's initial image (48 bytes).
        bytes mrTd;
        /// RTMR0..RTMR3, concatenated (4 × 48 bytes).
        bytes rtmrs;
        /// The TD's 64 bytes of report data.
        bytes reportData;
        /// keccak256 of the TD report bytes from TD attributes to RTMR3 (offsets 120..520): TD
        /// attributes, XFAM, MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG and the four RTMRs.
        bytes32 measurement;
        /// Family-model-stepping-platform-custom SKU of the platform, from the PCK certificate.
        bytes6 fmspc;
        /// The platform's SGX TCB component SVNs, from the PCK certificate.
        bytes16 cpuSvn;
        /// PCE SVN, from the PCK certificate.
        uint16 pceSvn;
        /// Platform TCB status (TDX TCB info level matched by the PCK TCB and the TEE TCB SVN).
        TcbStatus tcbStatus;
        /// TDX module TCB status (TDX module identity matched by the TEE TCB SVN); UpToDate when the
        /// module's major version is 0 (no module identity applies).
        TcbStatus moduleTcbStatus;
        /// Quoting enclave TCB status (QE identity level matched by the QE report's ISV SVN).
        TcbStatus qeTcbStatus;
        /// keccak256 of the PCK certificate's serial number.
        bytes32 pckSerialHash;
        /// The earliest of every certificate's not-after, every CRL's next update and every
        /// collateral's next update (or its signer's not-after): re-attest before it.
        uint64 expiry;
    }

    /// @notice Emitted when a CRL was accepted for the CA whose public key hashes to `issuerKeyHash`.
    event TdxCrlAccepted(bytes32 indexed issuerKeyHash, uint64 thisUpdate, uint64 nextUpdate, uint256 revokedCount);
    /// @notice Emitted when TDX TCB info for `fmspc` was accepted.
    event TdxTcbInfoAccepted(bytes6 indexed fmspc, uint64 issueDate, uint64 nextUpdate, uint32 evaluationDataNumber);
    /// @notice Emitted when the TD quoting enclave's identity was accepted.
    event TdxQeIdentityAccepted(uint64 issueDate, uint64 nextUpdate, uint32 evaluationDataNumber);
    /// @notice Emitted when governance approved or withdrew a TD measurement.
    event TdxMeasurementApprovalUpdated(bytes32 indexed measurement, bool approved);
    /// @notice Emitted when governance changed the accepted TCB statuses (bit i: `TcbStatus(i)`).
    event TdxAcceptedTcbStatusesUpdated(uint8 mask);

    // ---------------------------------------------------------------- quote layout

    /// @notice Thrown when a quote is shorter than the length its own fields require.
    error TdxQuoteTooShort(uint256 length, uint256 required);
    /// @notice Thrown when a quote carries bytes after the end its length fields declare.
    error TdxQuoteTrailingBytes(uint256 length, uint256 expected);
    /// @notice Thrown when a length field inside the signature data disagrees with the bytes present.
    error TdxQuoteLengthMismatch(uint256 offset, uint256 declared, uint256 available);
    /// @notice Thrown when the quote version is not 4 or 5.
    error TdxUnsupportedQuoteVersion(uint16 version);
    /// @notice Thrown when the attestation key type is not ECDSA-P256 (2).
    error TdxUnsupportedAttestationKeyType(uint16 keyType);
    /// @notice Thrown when the TEE type is not TDX (0x81).
    error TdxUnsupportedTeeType(uint32 teeType);
    /// @notice Thrown when a v5 quote's body type and size are not TD 1.0 (2, 584) or TD 1.5 (3, 648).
    error TdxUnsupportedBodyType(uint16 bodyType, uint32 bodySize);
    /// @notice Thrown when certification data is not of the expected type (6 outside, 5 inside).
    error TdxUnsupportedCertificationDataType(uint16 certType, uint16 expected);

    // ---------------------------------------------------------------- signatures

    /// @notice Thrown when the quote's signature by its attestation key over header and body fails.
    error TdxQuoteSignatureInvalid();
    /// @notice Thrown when the QE report's signature by the PCK key fails.
    error TdxQeReportSignatureInvalid();
    /// @notice Thrown when the QE report data is not sha256(attestation key ‖ QE auth data) ‖ zeros.
    error TdxQeReportDataMismatch(bytes32 expected, bytes32 actual);

    // ---------------------------------------------------------------- certificates and CRLs

    /// @notice Thrown when the PEM certificate chain is not three well-formed certificates.
    error TdxMalformedPemChain(uint256 offset);
    /// @notice Thrown when DER data (certificate or CRL) is malformed at `offset`.
    error TdxMalformedDer(uint256 offset);
    /// @notice Thrown when the chain's root certificate is not the pinned root.
    error TdxUntrustedRoot(bytes32 certificateHash);
    /// @notice Thrown when certificate `index` (0 PCK, 1 intermediate CA, 2 root) fails its issuer's signature.
    error TdxCertificateSignatureInvalid(uint256 index);
    /// @notice Thrown when certificate `index` may not do what it is used for: a CA (intermediate 1,
    /// root 2) needs basic constraints cA and key usage keyCertSign and cRLSign; a PCK certificate (0) or
    /// TCB signing certificate (1) must not be a CA and needs digitalSignature.
    error TdxCertificateUsageInvalid(uint256 index);
    /// @notice Thrown when certificate `index` is used before its not-before time.
    error TdxCertificateNotYetValid(uint256 index, uint64 notBefore);
    /// @notice Thrown when certificate `index` is used after its not-after time.
    error TdxCertificateExpired(uint256 index, uint64 notAfter);
    /// @notice Thrown when certificate `index` is listed in its issuer's current CRL.
    error TdxCertificateRevoked(uint256 index, bytes32 serialHash);
    /// @notice Thrown when the PCK certificate lacks a well-formed SGX extension (FMSPC, TCB).
    error TdxMissingSgxExtension();
    /// @notice Thrown when no CRL was pushed for the CA whose key hashes to `issuerKeyHash`.
    error TdxCrlMissing(bytes32 issuerKeyHash);
    /// @notice Thrown when the CRL for `issuerKeyHash` is past its next update.
    error TdxCrlExpired(bytes32 issuerKeyHash, uint64 nextUpdate);
    /// @notice Thrown when a pushed CRL's signature by its issuer fails.
    error TdxCrlSignatureInvalid(bytes32 issuerKeyHash);
    /// @notice Thrown when a pushed CRL is not yet valid or already past its next update.
    error TdxCrlOutsideValidity(uint64 thisUpdate, uint64 nextUpdate);
    /// @notice Thrown when a pushed CRL is not newer than the one held.
    error TdxCrlNotNewer(bytes32 issuerKeyHash, uint64 thisUpdate, uint64 current);

    // ---------------------------------------------------------------- collateral

    /// @notice Thrown when collateral's signature by the TCB signing key fails.
    error TdxCollateralSignatureInvalid(CollateralKind kind);
    /// @notice Thrown when signed collateral JSON is not in the expected form at `offset`.
    error TdxCollateralMalformed(CollateralKind kind, uint256 offset);
    /// @notice Thrown when collateral is of another kind or version (e.g. SGX TCB info, not TDX).
    error TdxCollateralWrongId(CollateralKind kind);
    /// @notice Thrown when pushed collateral is issued in the future or already past its next update.
    error TdxCollateralOutsideValidity(CollateralKind kind, uint64 issueDate, uint64 nextUpdate);
    /// @notice Thrown when pushed collateral is not newer than the one held.
    error TdxCollateralNotNewer(CollateralKind kind, uint64 issueDate, uint64 current);
    /// @notice Thrown when the collateral a quote needs was never pushed.
    error TdxCollateralMissing(CollateralKind kind);
    /// @notice Thrown when the collateral a quote needs is past its next update (or its signer expired).
    error TdxCollateralExpired(CollateralKind kind, uint64 validUntil);

    // ---------------------------------------------------------------- TCB

    /// @notice Thrown when no TCB info was pushed for the platform's FMSPC.
    error TdxTcbInfoMissing(bytes6 fmspc);
    /// @notice Thrown when the TCB info is for another PCE (`tcbInfoPceId`) than the PCK certificate's (`pckPceId`).
    error TdxPceIdMismatch(bytes2 tcbInfoPceId, bytes2 pckPceId);
    /// @notice Thrown when no TCB level of the TCB info matches the platform and TD TCB.
    error TdxTcbLevelNotFound(bytes6 fmspc);
    /// @notice Thrown when the TDX module's signer or attributes differ from the TCB info's.
    error TdxModuleMismatch(uint8 majorVersion);
    /// @notice Thrown when no TDX module identity or level matches the module's version and SVN.
    error TdxModuleTcbNotFound(uint8 majorVersion, uint8 svn);
    /// @notice Thrown when the QE report's MISCSELECT, attributes, MRSIGNER or product id differ from the QE identity.
    error TdxQeIdentityMismatch();
    /// @notice Thrown when no QE identity level matches the QE's ISV SVN.
    error TdxQeTcbNotFound(uint16 isvSvn);
    /// @notice Thrown when a TCB status (platform, module or QE) is outside governance's policy.
    error TdxTcbStatusNotAccepted(TcbStatus status);
    /// @notice Thrown when governance's policy would accept the Revoked status.
    error TdxInvalidTcbPolicy(uint8 mask);

    // ---------------------------------------------------------------- the TD

    /// @notice Thrown when the TD runs in debug mode (TD attributes bit 0).
    error TdxDebugTd(bytes8 tdAttributes);
    /// @notice Thrown when the TD's measurement is not on governance's allowlist.
    error TdxMeasurementNotApproved(bytes32 measurement);
    /// @notice Thrown when the measurement a caller claims differs from the quote's.
    error TdxMeasurementMismatch(bytes32 claimed, bytes32 actual);
    /// @notice Thrown when the TD's report data does not bind the enclave key as `reportDataFor` says.
    error TdxReportDataMismatch(bytes32 expected, bytes32 actual);
    /// @notice Thrown when governance approves the zero measurement.
    error TdxInvalidMeasurement(bytes32 measurement);

    // ---------------------------------------------------------------- verification

    /// @notice Verifies `quote` against the pinned root and the current collateral, and returns its
    /// fields. Does not check the measurement allowlist nor the report data binding.
    function verifyQuote(bytes calldata quote) external view returns (TdxAttestation memory);

    /// @notice `verifyQuote`, plus: the measurement is approved and the report data is
    /// `reportDataFor(consumer, operator, enclaveKey)`. `verifyAttestation` is this with
    /// `consumer = msg.sender`, returning the expiry as its `validUntil`.
    function verifyEnclave(
        address consumer,
        address operator,
        address enclaveKey,
        bytes calldata quote
    ) external view returns (TdxAttestation memory);

    /// @notice The 64 bytes of report data a TD must put in its quote to register `enclaveKey` for
    /// `operator` with `consumer` on this chain through this verifier:
    /// keccak256(abi.encode(REPORT_DATA_TYPEHASH, chainid, this verifier, consumer, operator,
    /// enclaveKey)) followed by 32 zero bytes.
    function reportDataFor(address consumer, address operator, address enclaveKey) external view returns (bytes memory);

    // ---------------------------------------------------------------- collateral

    /// @notice Accepts a CRL signed by the pinned root (`issuerCert` empty) or by `issuerCert`, a CA
    /// certificate signed by the root, currently valid and not revoked. Replaces an older CRL of that CA.
    function pushCrl(bytes calldata crl, bytes calldata issuerCert) external;

    /// @notice Accepts TDX TCB info: `tcbInfo` is the exact signed JSON object (the value of
    /// "tcbInfo"), `signature` its 64-byte r ‖ s, `signingCert` Intel's TCB signing certificate.
    function pushTcbInfo(bytes calldata tcbInfo, bytes calldata signature, bytes calldata signingCert) external;

    /// @notice Accepts the TD QE identity: `qeIdentity` is the exact signed JSON object (the value of
    /// "enclaveIdentity"), `signature` its 64-byte r ‖ s, `signingCert` Intel's TCB signing certificate.
    function pushQeIdentity(bytes calldata qeIdentity, bytes calldata signature, bytes calldata signingCert) external;

    // ---------------------------------------------------------------- governance

    /// @notice Approves or withdraws a TD measurement (see `TdxAttestation.measurement`).
    function setMeasurementApproval(bytes32 measurement, bool approved) external;

    /// @notice Sets the accepted TCB statuses: bit i accepts `TcbStatus(i)`; Revoked never.
    function setAcceptedTcbStatuses(uint8 mask) external;

    // ---------------------------------------------------------------- views

    function acceptedTcbStatuses() external view returns (uint8);

    /// @notice keccak256 of the pinned root certificate (DER) and of its public key (x ‖ y).
    function pinnedRoot() external view returns (bytes32 certificateHash, bytes32 keyHash);

    /// @notice The CRL held for the CA whose public key (x ‖ y) hashes to `issuerKeyHash`.
    function crlOf(bytes32 issuerKeyHash) external view returns (uint64 thisUpdate, uint64 nextUpdate);

    /// @notice The TCB info held for `fmspc`: dates, evaluation number and level count.
    function tcbInfoOf(
        bytes6 fmspc
    ) external view returns (uint64 issueDate, uint64 validUntil, uint32 evaluationDataNumber, uint256 levels);

    /// @notice The QE identity held: dates and evaluation number.
    function qeIdentity() external view returns (uint64 issueDate, uint64 validUntil, uint32 evaluationDataNumber);
}
