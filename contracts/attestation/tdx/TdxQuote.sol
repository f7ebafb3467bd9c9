// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITdxAttestationVerifier} from "../../interfaces/ITdxAttestationVerifier.sol";

/// @notice Offsets and values of a TDX quote's parts, all checked against the quote's length.
struct TdxQuoteLayout {
    uint16 version;
    uint16 bodyType;
    /// Offset of the TD report body.
    uint256 body;
    /// Length of header and body together: what the attestation key signed.
    uint256 signedLength;
    bytes32 sigR;
    bytes32 sigS;
    /// The attestation key (P-256 x, y).
    bytes32 keyX;
    bytes32 keyY;
    /// Offset of the 384-byte QE report.
    uint256 qeReport;
    bytes32 qeSigR;
    bytes32 qeSigS;
    /// Offset and length of the QE authentication data.
    uint256 authData;
    uint256 authDataLength;
    /// Offset and length of the PEM certificate chain.
    uint256 pem;
    uint256 pemLength;
}

/// @title TdxQuote
/// @notice Layout of Intel TDX DCAP quotes v4 and v5 (ECDSA-P256 attestation key, certification data
/// type 6 → 5), from Intel's "TDX DCAP Quoting Library API". Integers are little-endian. No length
/// field is used before it is checked against the bytes present.
library TdxQuote {
    uint256 internal constant HEADER_LENGTH = 48;
    uint256 internal constant TD10_BODY_LENGTH = 584;
    uint256 internal constant TD15_BODY_LENGTH = 648;
    uint256 internal constant QE_REPORT_LENGTH = 384;
    uint16 internal constant ATTESTATION_KEY_ECDSA_P256 = 2;
    uint32 internal constant TEE_TYPE_TDX = 0x81;
    uint16 internal constant CERT_DATA_QE_REPORT = 6;
    uint16 internal constant CERT_DATA_PCK_CHAIN = 5;

    // TD report body offsets (TD 1.0 and 1.5 share the first 584 bytes).
    uint256 internal constant TEE_TCB_SVN = 0;
    uint256 internal constant MR_SEAM = 16;
    uint256 internal constant MR_SIGNER_SEAM = 64;
    uint256 internal constant SEAM_ATTRIBUTES = 112;
    uint256 internal constant TD_ATTRIBUTES = 120;
    uint256 internal constant MR_TD = 136;
    uint256 internal constant RTMR0 = 328;
    uint256 internal constant RTMR3_END = 520;
    uint256 internal constant REPORT_DATA = 520;

    // QE report (SGX report body) offsets.
    uint256 internal constant QE_MISC_SELECT = 16;
    uint256 internal constant QE_ATTRIBUTES = 48;
    uint256 internal constant QE_MR_SIGNER = 128;
    uint256 internal constant QE_ISV_PROD_ID = 256;
    uint256 internal constant QE_ISV_SVN = 258;
    uint256 internal constant QE_REPORT_DATA = 320;

    /// @notice Checks a quote's header and lengths and returns where its parts are.
    function parse(bytes calldata q) internal pure returns (TdxQuoteLayout memory layout) {
        _need(q, HEADER_LENGTH);
        layout.version = le16(q, 0);
        if (layout.version != 4 && layout.version != 5)
            revert ITdxAttestationVerifier.TdxUnsupportedQuoteVersion(layout.version);
        uint16 keyType = le16(q, 2);
        if (keyType != ATTESTATION_KEY_ECDSA_P256)
            revert ITdxAttestationVerifier.TdxUnsupportedAttestationKeyType(keyType);
        uint32 teeType = le32(q, 4);
        if (teeType != TEE_TYPE_TDX) revert ITdxAttestationVerifier.TdxUnsupportedTeeType(teeType);
        uint256 bodyLength = TD10_BODY_LENGTH;
        layout.bodyType = 2;
        layout.body = HEADER_LENGTH;
        if (layout.version == 5) {
            // v5: a body descriptor (type u16, size u32) precedes the body, and is signed with it.
            _need(q, HEADER_LENGTH + 6);
            layout.bodyType = le16(q, HEADER_LENGTH);
            uint32 size = le32(q, HEADER_LENGTH + 2);
            if (
                !(layout.bodyType == 2 && size == TD10_BODY_LENGTH) &&
                !(layout.bodyType == 3 && size == TD15_BODY_LENGTH)
            ) {
                revert ITdxAttestationVerifier.TdxUnsupportedBodyType(layout.bodyType, size);
            }
            bodyLength = size;
            layout.body = HEADER_LENGTH + 6;
        }
        layout.signedLength = layout.body + bodyLength;
        _need(q, layout.signedLength + 4);
        uint256 p = layout.signedLength + 4;
        uint256 end = p + le32(q, layout.signedLength); // the signature data's declared end
        _need(q, end);
        if (q.length > end) revert ITdxAttestationVerifier.TdxQuoteTrailingBytes(q.length, end);
        _signatureData(q, layout, p, end);
    }

    /// Signature, attestation key, then certification data type 6: QE report, its signature, QE auth
    /// data, and certification data type 5 (the PEM chain), which must end exactly at `end`.
    function _signatureData(bytes calldata q, TdxQuoteLayout memory layout, uint256 p, uint256 end) private pure {
        _within(p, 128 + 6, end);
        layout.sigR = bytes32(q[p:p + 32]);
        layout.sigS = bytes32(q[p + 32:p + 64]);
        layout.keyX = bytes32(q[p + 64:p + 96]);
        layout.keyY = bytes32(q[p + 96:p + 128]);
        p += 128;
        uint16 certType = le16(q, p);
        if (certType != CERT_DATA_QE_REPORT) {
            revert ITdxAttestationVerifier.TdxUnsupportedCertificationDataType(certType, CERT_DATA_QE_REPORT);
        }
        uint256 size = le32(q, p + 2);
        p += 6;
        if (size != end - p) revert ITdxAttestationVerifier.TdxQuoteLengthMismatch(p - 4, size, end - p);
        _within(p, QE_REPORT_LENGTH + 64 + 2, end);
        layout.qeReport = p;
        layout.qeSigR = bytes32(q[p + QE_REPORT_LENGTH:p + QE_REPORT_LENGTH + 32]);
        layout.qeSigS = bytes32(q[p + QE_REPORT_LENGTH + 32:p + QE_REPORT_LENGTH + 64]);
        p += QE_REPORT_LENGTH + 64;
        layout.authDataLength = le16(q, p);
        layout.authData = p + 2;
        p += 2;
        _within(p, layout.authDataLength + 6, end);
        p += layout.authDataLength;
        certType = le16(q, p);
        if (certType != CERT_DATA_PCK_CHAIN) {
            revert ITdxAttestationVerifier.TdxUnsupportedCertificationDataType(certType, CERT_DATA_PCK_CHAIN);
        }
        size = le32(q, p + 2);
        p += 6;
        if (size != end - p) revert ITdxAttestationVerifier.TdxQuoteLengthMismatch(p - 4, size, end - p);
        layout.pem = p;
        layout.pemLength = size;
    }

    function le16(bytes calldata q, uint256 p) internal pure returns (uint16) {
        return uint16(uint8(q[p])) | (uint16(uint8(q[p + 1])) << 8);
    }

    function le32(bytes calldata q, uint256 p) internal pure returns (uint32) {
        return uint32(le16(q, p)) | (uint32(le16(q, p + 2)) << 16);
    }

    function _need(bytes calldata q, uint256 required) private pure {
        if (q.length < required) revert ITdxAttestationVerifier.TdxQuoteTooShort(q.length, required);
    }

    /// `count` bytes from `p` must lie before `end` (a field that a length field said was there).
    function _within(uint256 p, uint256 count, uint256 end) private pure {
        if (p + count > end) revert ITdxAttestationVerifier.TdxQuoteLengthMismatch(p, count, end - p);
    }
}
