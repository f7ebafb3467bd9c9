// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITdxAttestationVerifier} from "../../interfaces/ITdxAttestationVerifier.sol";
import {JsonValue, TdxJson} from "./TdxJson.sol";

/// @notice One TDX TCB level: the minimum SVNs a platform needs to reach `status`.
struct TdxTcbLevel {
    /// SGX TCB components 1..16, one byte each (compared with the PCK certificate's).
    bytes16 sgxSvns;
    /// TDX TCB components 1..16 (compared with the TD's TEE TCB SVN).
    bytes16 tdxSvns;
    uint16 pceSvn;
    ITdxAttestationVerifier.TcbStatus status;
}

/// @notice One TDX module identity level (by the module's minor SVN).
struct TdxModuleLevel {
    uint8 isvSvn;
    ITdxAttestationVerifier.TcbStatus status;
}

/// @notice A TDX module identity ("TDX_XX", XX its major version in hex).
struct TdxModuleIdentity {
    uint8 majorVersion;
    /// keccak256 of the module signer (48 bytes).
    bytes32 signerHash;
    bytes8 attributes;
    bytes8 attributesMask;
    TdxModuleLevel[] levels;
}

/// @notice TDX TCB info for one FMSPC, as Intel signed it.
struct TdxTcbInfo {
    uint64 issueDate;
    /// The earliest of next update and the signing certificate's not-after.
    uint64 validUntil;
    uint32 evaluationDataNumber;
    /// The PCE the levels are for: must equal the PCK certificate's PCE ID.
    bytes2 pceId;
    /// The TDX module (any version): keccak256 of its signer, attributes and mask.
    bytes32 moduleSignerHash;
    bytes8 moduleAttributes;
    bytes8 moduleAttributesMask;
    TdxTcbLevel[] levels;
    TdxModuleIdentity[] modules;
}

/// @notice One QE identity level: the minimum ISV SVN for `status`.
struct TdxQeLevel {
    uint16 isvSvn;
    ITdxAttestationVerifier.TcbStatus status;
}

/// @notice The TD quoting enclave's identity, as Intel signed it.
// solhint-disable-next-line gas-struct-packing
struct TdxQeIdentity {
    uint64 issueDate;
    uint64 validUntil;
    uint32 evaluationDataNumber;
    uint32 miscSelect;
    uint32 miscSelectMask;
    bytes16 attributes;
    bytes16 attributesMask;
    bytes32 mrSigner;
    uint16 isvProdId;
    TdxQeLevel[] levels;
}

/// @title TdxCollateral
/// @notice Reads Intel's signed TDX TCB info (version 3) and TD QE identity (version 2) JSON into
/// storage records. The caller has already checked the signature over exactly these bytes.
library TdxCollateral {
    using TdxJson for bytes;

    ITdxAttestationVerifier.CollateralKind private constant _TCB = ITdxAttestationVerifier.CollateralKind.TcbInfo;
    ITdxAttestationVerifier.CollateralKind private constant _QE = ITdxAttestationVerifier.CollateralKind.QeIdentity;

    /// @notice Dates and FMSPC of TCB info, checking it is TDX TCB info version 3.
    function tcbInfoHead(
        bytes memory j
    ) public pure returns (JsonValue memory obj, bytes6 fmspc, uint64 issueDate, uint64 nextUpdate, uint32 evalNumber) {
        obj = j.root(_TCB);
        if (
            j.stringHash(j.get(obj, "id", _TCB), _TCB) != keccak256("TDX") ||
            j.uintOf(j.get(obj, "version", _TCB), 3, _TCB) != 3
        ) {
            revert ITdxAttestationVerifier.TdxCollateralWrongId(_TCB);
        }
        fmspc = bytes6(j.hexOf(j.get(obj, "fmspc", _TCB), 6, _TCB));
        issueDate = j.dateOf(j.get(obj, "issueDate", _TCB), _TCB);
        nextUpdate = j.dateOf(j.get(obj, "nextUpdate", _TCB), _TCB);
        evalNumber = uint32(j.uintOf(j.get(obj, "tcbEvaluationDataNumber", _TCB), 9, _TCB));
    }

    /// @notice Stores TCB info's module and levels into `r` (whose old levels were cleared).
    function storeTcbInfo(bytes memory j, JsonValue memory obj, TdxTcbInfo storage r) public {
        r.pceId = bytes2(j.hexOf(j.get(obj, "pceId", _TCB), 2, _TCB));
        JsonValue memory m = j.get(obj, "tdxModule", _TCB);
        r.moduleSignerHash = keccak256(j.hexBytes(j.get(m, "mrsigner", _TCB), 48, _TCB));
        r.moduleAttributes = bytes8(j.hexOf(j.get(m, "attributes", _TCB), 8, _TCB));
        r.moduleAttributesMask = bytes8(j.hexOf(j.get(m, "attributesMask", _TCB), 8, _TCB));
        JsonValue memory levels = j.get(obj, "tcbLevels", _TCB);
        (bool has, JsonValue memory e) = j.first(levels, _TCB);
        for (; has; (has, e) = j.next(levels, e, _TCB)) {
            JsonValue memory tcb = j.get(e, "tcb", _TCB);
            r.levels.push(
                TdxTcbLevel({
                    sgxSvns: _svns(j, j.get(tcb, "sgxtcbcomponents", _TCB)),
                    tdxSvns: _svns(j, j.get(tcb, "tdxtcbcomponents", _TCB)),
                    pceSvn: uint16(j.uintOf(j.get(tcb, "pcesvn", _TCB), 4, _TCB)),
                    status: status(j, j.get(e, "tcbStatus", _TCB), _TCB)
                })
            );
        }
        (bool present, JsonValue memory ids) = j.find(obj, "tdxModuleIdentities", _TCB);
        if (present) _storeModules(j, ids, r);
    }

    function _storeModules(bytes memory j, JsonValue memory ids, TdxTcbInfo storage r) private {
        (bool has, JsonValue memory e) = j.first(ids, _TCB);
        for (; has; (has, e) = j.next(ids, e, _TCB)) {
            TdxModuleIdentity storage m = r.modules.push();
            JsonValue memory id = j.get(e, "id", _TCB);
            // "TDX_XX": the major version in two hex digits.
            if (
                id.end - id.start != 8 ||
                j[id.start] != bytes1(0x22) ||
                bytes4(TdxJson.word4(j, id.start + 1)) != "TDX_"
            ) {
                revert ITdxAttestationVerifier.TdxCollateralMalformed(_TCB, id.start);
            }
            m.majorVersion = j.hexByteAt(id.start + 5, _TCB);
            m.signerHash = keccak256(j.hexBytes(j.get(e, "mrsigner", _TCB), 48, _TCB));
            m.attributes = bytes8(j.hexOf(j.get(e, "attributes", _TCB), 8, _TCB));
            m.attributesMask = bytes8(j.hexOf(j.get(e, "attributesMask", _TCB), 8, _TCB));
            JsonValue memory levels = j.get(e, "tcbLevels", _TCB);
            (bool hasLevel, JsonValue memory lvl) = j.first(levels, _TCB);
            for (; hasLevel; (hasLevel, lvl) = j.next(levels, lvl, _TCB)) {
                uint256 svn = j.uintOf(j.get(j.get(lvl, "tcb", _TCB), "isvsvn", _TCB), 3, _TCB);
                if (svn > type(uint8).max) revert ITdxAttestationVerifier.TdxCollateralMalformed(_TCB, lvl.start);
                m.levels.push(
                    TdxModuleLevel({isvSvn: uint8(svn), status: status(j, j.get(lvl, "tcbStatus", _TCB), _TCB)})
                );
            }
        }
    }

    /// @notice Dates of a QE identity, checking it is the TD_QE identity version 2.
    function qeIdentityHead(
        bytes memory j
    ) public pure returns (JsonValue memory obj, uint64 issueDate, uint64 nextUpdate, uint32 evalNumber) {
        obj = j.root(_QE);
        if (
            j.stringHash(j.get(obj, "id", _QE), _QE) != keccak256("TD_QE") ||
            j.uintOf(j.get(obj, "version", _QE), 3, _QE) != 2
        ) {
            revert ITdxAttestationVerifier.TdxCollateralWrongId(_QE);
        }
        issueDate = j.dateOf(j.get(obj, "issueDate", _QE), _QE);
        nextUpdate = j.dateOf(j.get(obj, "nextUpdate", _QE), _QE);
        evalNumber = uint32(j.uintOf(j.get(obj, "tcbEvaluationDataNumber", _QE), 9, _QE));
    }

    /// @notice Stores a QE identity's fields and levels into `r` (whose old levels were cleared).
    function storeQeIdentity(bytes memory j, JsonValue memory obj, TdxQeIdentity storage r) public {
        r.miscSelect = uint32(bytes4(j.hexOf(j.get(obj, "miscselect", _QE), 4, _QE)));
        r.miscSelectMask = uint32(bytes4(j.hexOf(j.get(obj, "miscselectMask", _QE), 4, _QE)));
        r.attributes = bytes16(j.hexOf(j.get(obj, "attributes", _QE), 16, _QE));
        r.attributesMask = bytes16(j.hexOf(j.get(obj, "attributesMask", _QE), 16, _QE));
        r.mrSigner = j.hexOf(j.get(obj, "mrsigner", _QE), 32, _QE);
        uint256 prodId = j.uintOf(j.get(obj, "isvprodid", _QE), 5, _QE);
        if (prodId > type(uint16).max) revert ITdxAttestationVerifier.TdxCollateralMalformed(_QE, obj.start);
        r.isvProdId = uint16(prodId);
        JsonValue memory levels = j.get(obj, "tcbLevels", _QE);
        (bool has, JsonValue memory lvl) = j.first(levels, _QE);
        for (; has; (has, lvl) = j.next(levels, lvl, _QE)) {
            uint256 svn = j.uintOf(j.get(j.get(lvl, "tcb", _QE), "isvsvn", _QE), 5, _QE);
            if (svn > type(uint16).max) revert ITdxAttestationVerifier.TdxCollateralMalformed(_QE, lvl.start);
            r.levels.push(TdxQeLevel({isvSvn: uint16(svn), status: status(j, j.get(lvl, "tcbStatus", _QE), _QE)}));
        }
    }

    /// @notice A tcbStatus string as a `TcbStatus`.
    function status(
        bytes memory j,
        JsonValue memory v,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (ITdxAttestationVerifier.TcbStatus) {
        bytes32 h = j.stringHash(v, k);
        if (h == keccak256("UpToDate")) return ITdxAttestationVerifier.TcbStatus.UpToDate;
        if (h == keccak256("SWHardeningNeeded")) return ITdxAttestationVerifier.TcbStatus.SWHardeningNeeded;
        if (h == keccak256("ConfigurationNeeded")) return ITdxAttestationVerifier.TcbStatus.ConfigurationNeeded;
        if (h == keccak256("ConfigurationAndSWHardeningNeeded")) {
            return ITdxAttestationVerifier.TcbStatus.ConfigurationAndSWHardeningNeeded;
        }
        if (h == keccak256("OutOfDate")) return ITdxAttestationVerifier.TcbStatus.OutOfDate;
        if (h == keccak256("OutOfDateConfigurationNeeded")) {
            return ITdxAttestationVerifier.TcbStatus.OutOfDateConfigurationNeeded;
        }
        if (h == keccak256("Revoked")) return ITdxAttestationVerifier.TcbStatus.Revoked;
        revert ITdxAttestationVerifier.TdxCollateralMalformed(k, v.start);
    }

    /// Sixteen {"svn": n, ...} objects as sixteen bytes.
    function _svns(bytes memory j, JsonValue memory arr) private pure returns (bytes16 out) {
        (bool has, JsonValue memory e) = j.first(arr, _TCB);
        uint256 i;
        for (; has; (has, e) = j.next(arr, e, _TCB)) {
            uint256 svn = j.uintOf(j.get(e, "svn", _TCB), 3, _TCB);
            if (i >= 16 || svn > type(uint8).max) revert ITdxAttestationVerifier.TdxCollateralMalformed(_TCB, e.start);
            out |= bytes16(bytes1(uint8(svn))) >> (8 * i);
            ++i;
        }
        if (i != 16) revert ITdxAttestationVerifier.TdxCollateralMalformed(_TCB, arr.start);
    }
}
