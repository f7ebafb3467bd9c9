// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

import {IAttestationVerifier} from "../../interfaces/IAttestationVerifier.sol";
import {ITdxAttestationVerifier} from "../../interfaces/ITdxAttestationVerifier.sol";
import {TdxCollateral, TdxModuleIdentity, TdxQeIdentity, TdxTcbInfo, TdxTcbLevel} from "./TdxCollateral.sol";
import {JsonValue} from "./TdxJson.sol";
import {TdxQuote, TdxQuoteLayout} from "./TdxQuote.sol";
import {ROLE_CA, ROLE_SIGNER, SgxExtension, TdxX509, X509Cert, X509Crl} from "./TdxX509.sol";

/// @title TdxAttestationVerifier
/// @notice Verifies Intel TDX DCAP quotes on-chain against a pinned Intel SGX Root CA and Intel-signed
/// collateral that anyone may push. See `ITdxAttestationVerifier` for the checks and DESIGN.md for the
/// report-data binding. P-256 signatures go through OpenZeppelin's `P256` (the RIP-7212 / EIP-7951
/// precompile at 0x100 where the chain has it, Solidity elsewhere).
contract TdxAttestationVerifier is ITdxAttestationVerifier, AccessControlDefaultAdminRules {
    bytes32 public constant MEASUREMENT_MANAGER_ROLE = keccak256("MEASUREMENT_MANAGER_ROLE");
    /// @notice Domain tag of the report data binding (see `reportDataFor`).
    bytes32 public constant REPORT_DATA_TYPEHASH = keccak256(
        "VerityTdxEnclave(uint256 chainId,address verifier,address consumer,address operator,address enclaveKey)"
    );

    uint8 private constant _REVOKED_BIT = uint8(1) << uint8(TcbStatus.Revoked);

    bytes32 private immutable _rootCertHash;
    bytes32 private immutable _rootKeyHash;
    bytes32 private immutable _rootX;
    bytes32 private immutable _rootY;
    uint64 private immutable _rootNotBefore;
    uint64 private immutable _rootNotAfter;

    /// @notice A CRL held for one CA. `epoch` counts accepted CRLs, so a newer CRL's revocations
    /// replace the older ones without deleting them one by one.
    struct CrlRecord {
        uint64 thisUpdate;
        uint64 nextUpdate;
        uint64 epoch;
    }

    uint8 private _acceptedTcbStatuses;
    mapping(bytes32 measurement => bool) private _approved;
    mapping(bytes32 issuerKeyHash => CrlRecord) private _crls;
    /// keccak256(abi.encode(issuerKeyHash, epoch, serialHash)) of each revoked certificate.
    mapping(bytes32 entry => bool) private _revoked;
    mapping(bytes6 fmspc => TdxTcbInfo) private _tcbInfos;
    TdxQeIdentity private _qeIdentity;

    /// @param rootCert The DER Intel SGX Root CA certificate to pin (self-signed; checked here).
    /// @param acceptedTcbStatuses_ Bit i accepts `TcbStatus(i)`.
    constructor(
        address admin,
        bytes memory rootCert,
        uint8 acceptedTcbStatuses_
    ) AccessControlDefaultAdminRules(1 days, admin) {
        X509Cert memory root = TdxX509.parseCertAs(rootCert, ROLE_CA, 2);
        if (!_p256(root.tbsHash, root.sigR, root.sigS, root.keyX, root.keyY)) {
            revert TdxCertificateSignatureInvalid(2);
        }
        _rootCertHash = keccak256(rootCert);
        _rootKeyHash = keccak256(abi.encode(root.keyX, root.keyY));
        (_rootX, _rootY) = (root.keyX, root.keyY);
        (_rootNotBefore, _rootNotAfter) = (root.notBefore, root.notAfter);
        _grantRole(MEASUREMENT_MANAGER_ROLE, admin);
        _setAcceptedTcbStatuses(acceptedTcbStatuses_);
    }

    // ---------------------------------------------------------------- verification

    /// @inheritdoc IAttestationVerifier
    /// @dev Reverts with the failed check's error rather than returning false; the consumer is the caller.
    /// `validUntil` is the quote's `expiry` (see `TdxAttestation.expiry`).
    function verifyAttestation(
        address operator,
        address enclaveKey,
        bytes32 measurement,
        bytes calldata report
    ) external view returns (bool accepted, uint64 validUntil) {
        TdxAttestation memory a = verifyEnclave(msg.sender, operator, enclaveKey, report);
        if (measurement != a.measurement) revert TdxMeasurementMismatch(measurement, a.measurement);
        return (true, a.expiry);
    }

    /// @inheritdoc ITdxAttestationVerifier
    function verifyEnclave(
        address consumer,
        address operator,
        address enclaveKey,
        bytes calldata quote
    ) public view returns (TdxAttestation memory a) {
        a = verifyQuote(quote);
        if (!_approved[a.measurement]) revert TdxMeasurementNotApproved(a.measurement);
        bytes32 expected = _binding(consumer, operator, enclaveKey);
        bytes memory rd = a.reportData;
        bytes32 actual;
        bytes32 tail;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            actual := mload(add(rd, 0x20))
            tail := mload(add(rd, 0x40))
        }
        if (actual != expected || tail != 0) revert TdxReportDataMismatch(expected, actual);
    }

    /// @inheritdoc ITdxAttestationVerifier
    function verifyQuote(bytes calldata quote) public view returns (TdxAttestation memory a) {
        TdxQuoteLayout memory layout = TdxQuote.parse(quote);
        if (!_p256(sha256(quote[:layout.signedLength]), layout.sigR, layout.sigS, layout.keyX, layout.keyY))
            revert TdxQuoteSignatureInvalid();
        a.version = layout.version;
        a.bodyType = layout.bodyType;
        a.expiry = type(uint64).max;
        (X509Cert memory pck, bytes memory pckDer) = _verifyChain(quote[layout.pem:layout.pem + layout.pemLength], a);
        _verifyQe(quote, layout, pck, a);
        _readBody(quote[layout.body:layout.body + TdxQuote.REPORT_DATA + 64], a);
        _verifyTcb(quote[layout.body:layout.body + TdxQuote.REPORT_DATA], TdxX509.sgxExtension(pckDer, pck), a);
    }

    /// @inheritdoc ITdxAttestationVerifier
    function reportDataFor(
        address consumer,
        address operator,
        address enclaveKey
    ) external view returns (bytes memory) {
        return abi.encodePacked(_binding(consumer, operator, enclaveKey), bytes32(0));
    }

    // ---------------------------------------------------------------- collateral

    /// @inheritdoc ITdxAttestationVerifier
    function pushCrl(bytes calldata crl, bytes calldata issuerCert) external {
        X509Crl memory c = TdxX509.parseCrl(crl);
        (bytes32 x, bytes32 y) = (_rootX, _rootY);
        if (issuerCert.length != 0) {
            X509Cert memory ca = _rootSigned(issuerCert, 1, ROLE_CA);
            (x, y) = (ca.keyX, ca.keyY);
        }
        bytes32 issuerKeyHash = keccak256(abi.encode(x, y));
        if (!_p256(c.tbsHash, c.sigR, c.sigS, x, y)) revert TdxCrlSignatureInvalid(issuerKeyHash);
        if (c.thisUpdate > block.timestamp || c.nextUpdate <= block.timestamp) {
            revert TdxCrlOutsideValidity(c.thisUpdate, c.nextUpdate);
        }
        CrlRecord storage rec = _crls[issuerKeyHash];
        if (c.thisUpdate <= rec.thisUpdate) revert TdxCrlNotNewer(issuerKeyHash, c.thisUpdate, rec.thisUpdate);
        uint64 epoch = rec.epoch + 1;
        (rec.thisUpdate, rec.nextUpdate, rec.epoch) = (c.thisUpdate, c.nextUpdate, epoch);
        bytes memory der = crl;
        uint256 count;
        for (uint256 p = c.revokedStart; p < c.revokedEnd; ++count) {
            bytes32 serialHash;
            (serialHash, p) = TdxX509.revokedEntry(der, p, c.revokedEnd);
            _revoked[keccak256(abi.encode(issuerKeyHash, epoch, serialHash))] = true;
        }
        emit TdxCrlAccepted(issuerKeyHash, c.thisUpdate, c.nextUpdate, count);
    }

    /// @inheritdoc ITdxAttestationVerifier
    function pushTcbInfo(bytes calldata tcbInfo, bytes calldata signature, bytes calldata signingCert) external {
        uint64 signerNotAfter = _verifyCollateralSignature(CollateralKind.TcbInfo, tcbInfo, signature, signingCert);
        bytes memory j = tcbInfo;
        (JsonValue memory obj, bytes6 fmspc, uint64 issueDate, uint64 nextUpdate, uint32 evalNumber) = TdxCollateral
            .tcbInfoHead(j);
        _checkCollateralDates(CollateralKind.TcbInfo, issueDate, nextUpdate);
        TdxTcbInfo storage r = _tcbInfos[fmspc];
        if (issueDate <= r.issueDate) revert TdxCollateralNotNewer(CollateralKind.TcbInfo, issueDate, r.issueDate);
        delete r.levels;
        delete r.modules;
        r.issueDate = issueDate;
        r.validUntil = _min(nextUpdate, signerNotAfter);
        r.evaluationDataNumber = evalNumber;
        TdxCollateral.storeTcbInfo(j, obj, r);
        emit TdxTcbInfoAccepted(fmspc, issueDate, nextUpdate, evalNumber);
    }

    /// @inheritdoc ITdxAttestationVerifier
    function pushQeIdentity(bytes calldata qeIdentity_, bytes calldata signature, bytes calldata signingCert) external {
        uint64 signerNotAfter = _verifyCollateralSignature(
            CollateralKind.QeIdentity,
            qeIdentity_,
            signature,
            signingCert
        );
        bytes memory j = qeIdentity_;
        (JsonValue memory obj, uint64 issueDate, uint64 nextUpdate, uint32 evalNumber) = TdxCollateral.qeIdentityHead(
            j
        );
        _checkCollateralDates(CollateralKind.QeIdentity, issueDate, nextUpdate);
        TdxQeIdentity storage r = _qeIdentity;
        if (issueDate <= r.issueDate) revert TdxCollateralNotNewer(CollateralKind.QeIdentity, issueDate, r.issueDate);
        delete r.levels;
        r.issueDate = issueDate;
        r.validUntil = _min(nextUpdate, signerNotAfter);
        r.evaluationDataNumber = evalNumber;
        TdxCollateral.storeQeIdentity(j, obj, r);
        emit TdxQeIdentityAccepted(issueDate, nextUpdate, evalNumber);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc ITdxAttestationVerifier
    function setMeasurementApproval(bytes32 measurement, bool approved) external onlyRole(MEASUREMENT_MANAGER_ROLE) {
        if (measurement == bytes32(0)) revert TdxInvalidMeasurement(measurement);
        _approved[measurement] = approved;
        emit TdxMeasurementApprovalUpdated(measurement, approved);
    }

    /// @inheritdoc ITdxAttestationVerifier
    function setAcceptedTcbStatuses(uint8 mask) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setAcceptedTcbStatuses(mask);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IAttestationVerifier
    function isMeasurementApproved(bytes32 measurement) external view returns (bool) {
        return _approved[measurement];
    }

    /// @inheritdoc ITdxAttestationVerifier
    function acceptedTcbStatuses() external view returns (uint8) {
        return _acceptedTcbStatuses;
    }

    /// @inheritdoc ITdxAttestationVerifier
    function pinnedRoot() external view returns (bytes32 certificateHash, bytes32 keyHash) {
        return (_rootCertHash, _rootKeyHash);
    }

    /// @inheritdoc ITdxAttestationVerifier
    function crlOf(bytes32 issuerKeyHash) external view returns (uint64 thisUpdate, uint64 nextUpdate) {
        CrlRecord storage rec = _crls[issuerKeyHash];
        return (rec.thisUpdate, rec.nextUpdate);
    }

    /// @inheritdoc ITdxAttestationVerifier
    function tcbInfoOf(
        bytes6 fmspc
    ) external view returns (uint64 issueDate, uint64 validUntil, uint32 evaluationDataNumber, uint256 levels) {
        TdxTcbInfo storage r = _tcbInfos[fmspc];
        return (r.issueDate, r.validUntil, r.evaluationDataNumber, r.levels.length);
    }

    /// @inheritdoc ITdxAttestationVerifier
    function qeIdentity() external view returns (uint64 issueDate, uint64 validUntil, uint32 evaluationDataNumber) {
        return (_qeIdentity.issueDate, _qeIdentity.validUntil, _qeIdentity.evaluationDataNumber);
    }

    // ---------------------------------------------------------------- internal: chain

    /// PCK → intermediate CA → pinned root, each valid now and not revoked by a current CRL.
    function _verifyChain(
        bytes calldata pem,
        TdxAttestation memory a
    ) private view returns (X509Cert memory pck, bytes memory pckDer) {
        bytes[3] memory ders = TdxX509.pemChain(pem);
        bytes32 rootHash = keccak256(ders[2]);
        if (rootHash != _rootCertHash) revert TdxUntrustedRoot(rootHash);
        X509Cert memory ca = _rootSigned(ders[1], 1, ROLE_CA);
        pckDer = ders[0];
        pck = TdxX509.parseCertAs(pckDer, ROLE_SIGNER, 0);
        if (!_p256(pck.tbsHash, pck.sigR, pck.sigS, ca.keyX, ca.keyY)) revert TdxCertificateSignatureInvalid(0);
        _checkValidity(0, pck.notBefore, pck.notAfter);
        bytes32 caKeyHash = keccak256(abi.encode(ca.keyX, ca.keyY));
        uint64 pckCrlNext = _checkNotRevoked(caKeyHash, 0, pck.serialHash);
        uint64 rootCrlNext = _crls[_rootKeyHash].nextUpdate; // checked current by `_rootSigned`
        a.pckSerialHash = pck.serialHash;
        a.expiry = _min(
            _min(_min(a.expiry, _rootNotAfter), _min(ca.notAfter, pck.notAfter)),
            _min(pckCrlNext, rootCrlNext)
        );
    }

    /// A CA certificate (`index` 1) signed by the pinned root, valid now, and not in the root's CRL.
    /// A certificate signed by the pinned root, current and not revoked, and a CA when `ca` (else a signer).
    function _rootSigned(bytes memory der, uint256 index, uint8 role) private view returns (X509Cert memory c) {
        c = TdxX509.parseCertAs(der, role, index);
        if (!_p256(c.tbsHash, c.sigR, c.sigS, _rootX, _rootY)) revert TdxCertificateSignatureInvalid(index);
        _checkValidity(2, _rootNotBefore, _rootNotAfter);
        _checkValidity(index, c.notBefore, c.notAfter);
        _checkNotRevoked(_rootKeyHash, index, c.serialHash);
    }

    function _checkValidity(uint256 index, uint64 notBefore, uint64 notAfter) private view {
        if (block.timestamp < notBefore) revert TdxCertificateNotYetValid(index, notBefore);
        if (block.timestamp > notAfter) revert TdxCertificateExpired(index, notAfter);
    }

    /// Requires a current CRL of the issuer and the serial's absence from it; returns its next update.
    function _checkNotRevoked(bytes32 issuerKeyHash, uint256 index, bytes32 serialHash) private view returns (uint64) {
        CrlRecord storage rec = _crls[issuerKeyHash];
        (uint64 nextUpdate, uint64 epoch) = (rec.nextUpdate, rec.epoch);
        if (epoch == 0) revert TdxCrlMissing(issuerKeyHash);
        if (block.timestamp >= nextUpdate) revert TdxCrlExpired(issuerKeyHash, nextUpdate);
        if (_revoked[keccak256(abi.encode(issuerKeyHash, epoch, serialHash))]) {
            revert TdxCertificateRevoked(index, serialHash);
        }
        return nextUpdate;
    }

    // ---------------------------------------------------------------- internal: QE and TCB

    /// QE report signed by the PCK key, binding the attestation key, and matching the QE identity.
    function _verifyQe(
        bytes calldata quote,
        TdxQuoteLayout memory layout,
        X509Cert memory pck,
        TdxAttestation memory a
    ) private view {
        bytes calldata rep = quote[layout.qeReport:layout.qeReport + TdxQuote.QE_REPORT_LENGTH];
        if (!_p256(sha256(rep), layout.qeSigR, layout.qeSigS, pck.keyX, pck.keyY)) revert TdxQeReportSignatureInvalid();
        bytes32 expected = sha256(
            abi.encodePacked(layout.keyX, layout.keyY, quote[layout.authData:layout.authData + layout.authDataLength])
        );
        bytes32 actual = bytes32(rep[TdxQuote.QE_REPORT_DATA:TdxQuote.QE_REPORT_DATA + 32]);
        if (actual != expected || bytes32(rep[TdxQuote.QE_REPORT_DATA + 32:]) != 0) {
            revert TdxQeReportDataMismatch(expected, actual);
        }
        TdxQeIdentity storage id = _qeIdentity;
        if (id.issueDate == 0) revert TdxCollateralMissing(CollateralKind.QeIdentity);
        if (block.timestamp >= id.validUntil) revert TdxCollateralExpired(CollateralKind.QeIdentity, id.validUntil);
        if (
            (TdxQuote.le32(rep, TdxQuote.QE_MISC_SELECT) & id.miscSelectMask) != id.miscSelect ||
            (bytes16(rep[TdxQuote.QE_ATTRIBUTES:TdxQuote.QE_ATTRIBUTES + 16]) & id.attributesMask) != id.attributes ||
            bytes32(rep[TdxQuote.QE_MR_SIGNER:TdxQuote.QE_MR_SIGNER + 32]) != id.mrSigner ||
            TdxQuote.le16(rep, TdxQuote.QE_ISV_PROD_ID) != id.isvProdId
        ) revert TdxQeIdentityMismatch();
        uint16 isvSvn = TdxQuote.le16(rep, TdxQuote.QE_ISV_SVN);
        uint256 count = id.levels.length;
        for (uint256 i = 0; i < count; ++i) {
            if (isvSvn >= id.levels[i].isvSvn) {
                a.qeTcbStatus = _accepted(id.levels[i].status);
                a.expiry = _min(a.expiry, id.validUntil);
                return;
            }
        }
        revert TdxQeTcbNotFound(isvSvn);
    }

    /// The TD's fields, its measurement, and the refusal of debug TDs.
    function _readBody(bytes calldata body, TdxAttestation memory a) private pure {
        a.teeTcbSvn = bytes16(body[TdxQuote.TEE_TCB_SVN:TdxQuote.TEE_TCB_SVN + 16]);
        a.tdAttributes = bytes8(body[TdxQuote.TD_ATTRIBUTES:TdxQuote.TD_ATTRIBUTES + 8]);
        // TD attributes are a little-endian u64 whose bit 0 is DEBUG.
        if (uint8(a.tdAttributes[0]) & 1 != 0) revert TdxDebugTd(a.tdAttributes);
        a.mrTd = body[TdxQuote.MR_TD:TdxQuote.MR_TD + 48];
        a.rtmrs = body[TdxQuote.RTMR0:TdxQuote.RTMR3_END];
        a.reportData = body[TdxQuote.REPORT_DATA:TdxQuote.REPORT_DATA + 64];
        a.measurement = keccak256(body[TdxQuote.TD_ATTRIBUTES:TdxQuote.RTMR3_END]);
    }

    /// Platform TCB level (PCK SGX TCB + TEE TCB SVN) and TDX module identity, under the policy.
    function _verifyTcb(bytes calldata body, SgxExtension memory ext, TdxAttestation memory a) private view {
        (a.fmspc, a.cpuSvn, a.pceSvn) = (ext.fmspc, ext.cpuSvn, ext.pceSvn);
        TdxTcbInfo storage t = _tcbInfos[ext.fmspc];
        if (t.issueDate == 0) revert TdxTcbInfoMissing(ext.fmspc);
        if (block.timestamp >= t.validUntil) revert TdxCollateralExpired(CollateralKind.TcbInfo, t.validUntil);
        a.expiry = _min(a.expiry, t.validUntil);
        if (t.pceId != ext.pceId) revert TdxPceIdMismatch(t.pceId, ext.pceId);
        bytes16 svn = a.teeTcbSvn;
        uint8 major = uint8(svn[1]);
        bytes32 signerHash = keccak256(body[TdxQuote.MR_SIGNER_SEAM:TdxQuote.SEAM_ATTRIBUTES]);
        bytes8 seamAttributes = bytes8(body[TdxQuote.SEAM_ATTRIBUTES:TdxQuote.SEAM_ATTRIBUTES + 8]);
        // Module version 0 is judged by "tdxModule"; a later version by its module identity
        // ("TDX_XX") and that identity's levels, with TDX components 0 and 1 (the module's SVN and
        // version) then left out of the platform level match (Intel PCS, TDX TCB info, step 3-c).
        if (major == 0) {
            if (signerHash != t.moduleSignerHash || (seamAttributes & t.moduleAttributesMask) != t.moduleAttributes) {
                revert TdxModuleMismatch(major);
            }
            a.moduleTcbStatus = TcbStatus.UpToDate;
        } else {
            a.moduleTcbStatus = _moduleStatus(t, major, uint8(svn[0]), signerHash, seamAttributes);
        }
        uint256 from = major == 0 ? 0 : 2;
        // The first level the PCK's SGX TCB and PCE SVN meet fixes the platform; if Intel revoked
        // it, nothing below counts. From there, the first level the TD's TEE TCB SVN meets.
        bool sgxFound;
        uint256 count = t.levels.length;
        for (uint256 i = 0; i < count; ++i) {
            TdxTcbLevel storage level = t.levels[i];
            if (!sgxFound) {
                if (ext.pceSvn < level.pceSvn || !_atLeast(ext.cpuSvn, level.sgxSvns, 0)) continue;
                sgxFound = true;
                if (level.status == TcbStatus.Revoked) _accepted(TcbStatus.Revoked);
            }
            if (_atLeast(svn, level.tdxSvns, from)) {
                a.tcbStatus = _accepted(level.status);
                return;
            }
        }
        revert TdxTcbLevelNotFound(ext.fmspc);
    }

    function _moduleStatus(
        TdxTcbInfo storage t,
        uint8 major,
        uint8 minorSvn,
        bytes32 signerHash,
        bytes8 seamAttributes
    ) private view returns (TcbStatus) {
        uint256 count = t.modules.length;
        for (uint256 i = 0; i < count; ++i) {
            TdxModuleIdentity storage m = t.modules[i];
            if (m.majorVersion != major) continue;
            if (signerHash != m.signerHash || (seamAttributes & m.attributesMask) != m.attributes) {
                revert TdxModuleMismatch(major);
            }
            uint256 levels = m.levels.length;
            for (uint256 k = 0; k < levels; ++k) {
                if (minorSvn >= m.levels[k].isvSvn) return _accepted(m.levels[k].status);
            }
            break;
        }
        revert TdxModuleTcbNotFound(major, minorSvn);
    }

    function _atLeast(bytes16 have, bytes16 need, uint256 from) private pure returns (bool) {
        for (uint256 i = from; i < 16; ++i) {
            if (uint8(have[i]) < uint8(need[i])) return false;
        }
        return true;
    }

    function _accepted(TcbStatus status) private view returns (TcbStatus) {
        if (_acceptedTcbStatuses & (uint8(1) << uint8(status)) == 0) revert TdxTcbStatusNotAccepted(status);
        return status;
    }

    // ---------------------------------------------------------------- internal: collateral

    /// The TCB signing certificate is root-signed, valid and unrevoked, and signed `json`; returns its not-after.
    function _verifyCollateralSignature(
        CollateralKind kind,
        bytes calldata json,
        bytes calldata signature,
        bytes calldata signingCert
    ) private view returns (uint64) {
        X509Cert memory signer = _rootSigned(signingCert, 1, ROLE_SIGNER);
        if (signature.length != 64) revert TdxCollateralSignatureInvalid(kind);
        if (!_p256(sha256(json), bytes32(signature[:32]), bytes32(signature[32:]), signer.keyX, signer.keyY)) {
            revert TdxCollateralSignatureInvalid(kind);
        }
        return signer.notAfter;
    }

    function _checkCollateralDates(CollateralKind kind, uint64 issueDate, uint64 nextUpdate) private view {
        if (issueDate > block.timestamp || nextUpdate <= block.timestamp) {
            revert TdxCollateralOutsideValidity(kind, issueDate, nextUpdate);
        }
    }

    // ---------------------------------------------------------------- internal: helpers

    function _binding(address consumer, address operator, address enclaveKey) private view returns (bytes32) {
        return
            keccak256(abi.encode(REPORT_DATA_TYPEHASH, block.chainid, address(this), consumer, operator, enclaveKey));
    }

    /// P-256 verification accepting either of a signature's two valid s values: Intel does not
    /// normalise s, while OpenZeppelin's `P256` only takes the low one. (r, s) verifies exactly when
    /// (r, N − s) does, and nothing here uses a signature as an identifier, so malleability is moot.
    function _p256(bytes32 h, bytes32 r, bytes32 s, bytes32 x, bytes32 y) private view returns (bool) {
        uint256 sv = uint256(s);
        if (sv >= P256.N) return false;
        if (sv > P256.N / 2) sv = P256.N - sv;
        return P256.verify(h, r, bytes32(sv), x, y);
    }

    function _min(uint64 a, uint64 b) private pure returns (uint64) {
        return a < b ? a : b;
    }

    function _setAcceptedTcbStatuses(uint8 mask) private {
        if (mask & _REVOKED_BIT != 0 || mask >= uint8(1) << 7) revert TdxInvalidTcbPolicy(mask);
        _acceptedTcbStatuses = mask;
        emit TdxAcceptedTcbStatusesUpdated(mask);
    }
}
