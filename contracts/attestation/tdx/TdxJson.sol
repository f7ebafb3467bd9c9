// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITdxAttestationVerifier} from "../../interfaces/ITdxAttestationVerifier.sol";
import {TdxDer} from "./TdxDer.sol";

/// @notice A JSON value's range in a buffer: [start, end).
struct JsonValue {
    uint256 start;
    uint256 end;
}

/// @title TdxJson
/// @notice Just enough JSON for Intel's signed collateral: find a key in an object, walk an array,
/// and read strings, unsigned numbers, hex strings and dates. It runs only on JSON whose signature
/// has been checked, yet every index is bounded: a malformed document reverts with
/// `TdxCollateralMalformed`, never reads out of range and never loops forever (each step advances).
library TdxJson {
    bytes1 private constant _QUOTE = 0x22; // the double quote character

    /// @notice The whole buffer as one value (the top-level object), with nothing but space around it.
    function root(bytes memory j, ITdxAttestationVerifier.CollateralKind k) internal pure returns (JsonValue memory v) {
        v.start = _ws(j, 0, j.length);
        v.end = _skip(j, v.start, j.length, k);
        if (_ws(j, v.end, j.length) != j.length) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, v.end);
    }

    /// @notice The value of `key` in object `obj`; reverts when absent.
    function get(
        bytes memory j,
        JsonValue memory obj,
        string memory key,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (JsonValue memory v) {
        bool found;
        (found, v) = find(j, obj, key, k);
        if (!found) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, obj.start);
    }

    /// @notice The value of `key` in object `obj`, if present.
    function find(
        bytes memory j,
        JsonValue memory obj,
        string memory key,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (bool found, JsonValue memory v) {
        uint256 end = obj.end;
        if (obj.start >= end || j[obj.start] != "{")
            revert ITdxAttestationVerifier.TdxCollateralMalformed(k, obj.start);
        bytes32 want = keccak256(bytes(key));
        uint256 p = _ws(j, obj.start + 1, end);
        if (p < end && j[p] == "}") return (false, v);
        while (p < end) {
            if (j[p] != _QUOTE) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
            uint256 keyStart = p + 1;
            uint256 keyEnd = _skip(j, p, end, k) - 1; // the closing quote
            p = _ws(j, keyEnd + 1, end);
            if (p >= end || j[p] != ":") revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
            v.start = _ws(j, p + 1, end);
            v.end = _skip(j, v.start, end, k);
            if (TdxDer.keccakRange(j, keyStart, keyEnd) == want) return (true, v);
            p = _ws(j, v.end, end);
            if (p < end && j[p] == ",") {
                p = _ws(j, p + 1, end);
            } else if (p < end && j[p] == "}") {
                return (false, v);
            } else {
                revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
            }
        }
        revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
    }

    /// @notice The first element of array `arr` (`has` false when empty).
    function first(
        bytes memory j,
        JsonValue memory arr,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (bool has, JsonValue memory e) {
        if (arr.start >= arr.end || j[arr.start] != "[")
            revert ITdxAttestationVerifier.TdxCollateralMalformed(k, arr.start);
        return _elementAt(j, _ws(j, arr.start + 1, arr.end), arr.end, k);
    }

    /// @notice The element of array `arr` after `prev` (`has` false after the last).
    function next(
        bytes memory j,
        JsonValue memory arr,
        JsonValue memory prev,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (bool has, JsonValue memory e) {
        uint256 p = _ws(j, prev.end, arr.end);
        if (p < arr.end && j[p] == "]") return (false, e);
        if (p >= arr.end || j[p] != ",") revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
        (has, e) = _elementAt(j, _ws(j, p + 1, arr.end), arr.end, k);
        if (!has) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
    }

    /// @notice keccak256 of a string value's characters (no escapes are interpreted).
    function stringHash(
        bytes memory j,
        JsonValue memory v,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (bytes32) {
        if (v.end - v.start < 2 || j[v.start] != _QUOTE)
            revert ITdxAttestationVerifier.TdxCollateralMalformed(k, v.start);
        return TdxDer.keccakRange(j, v.start + 1, v.end - 1);
    }

    /// @notice An unsigned integer value of at most `maxDigits` digits.
    function uintOf(
        bytes memory j,
        JsonValue memory v,
        uint256 maxDigits,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (uint256 n) {
        if (v.end == v.start || v.end - v.start > maxDigits)
            revert ITdxAttestationVerifier.TdxCollateralMalformed(k, v.start);
        for (uint256 p = v.start; p < v.end; ++p) {
            uint8 c = uint8(j[p]);
            if (c < 0x30 || c > 0x39) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
            n = n * 10 + (c - 0x30);
        }
    }

    /// @notice A string value of exactly `byteCount` ≤ 32 bytes in hex, left-aligned in a word.
    function hexOf(
        bytes memory j,
        JsonValue memory v,
        uint256 byteCount,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (bytes32 w) {
        if (byteCount > 32 || v.end - v.start != 2 * byteCount + 2 || j[v.start] != _QUOTE) {
            revert ITdxAttestationVerifier.TdxCollateralMalformed(k, v.start);
        }
        for (uint256 i = 0; i < byteCount; ++i) {
            uint256 hi = _nibble(j, v.start + 1 + 2 * i, k);
            uint256 lo = _nibble(j, v.start + 2 + 2 * i, k);
            w |= bytes32((hi << 4) | lo) << (8 * (31 - i));
        }
    }

    /// @notice The four bytes at `p` (which must be in range).
    function word4(bytes memory j, uint256 p) internal pure returns (bytes4 w) {
        return bytes4(TdxDer.word(j, p, p + 4));
    }

    /// @notice The byte written as two hex digits at `p`.
    function hexByteAt(
        bytes memory j,
        uint256 p,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (uint8) {
        return uint8((_nibble(j, p, k) << 4) | _nibble(j, p + 1, k));
    }

    /// @notice A hex string of `byteCount` bytes (any length), as bytes.
    function hexBytes(
        bytes memory j,
        JsonValue memory v,
        uint256 byteCount,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (bytes memory out) {
        if (v.end - v.start != 2 * byteCount + 2 || j[v.start] != _QUOTE) {
            revert ITdxAttestationVerifier.TdxCollateralMalformed(k, v.start);
        }
        out = new bytes(byteCount);
        for (uint256 i = 0; i < byteCount; ++i) {
            out[i] = bytes1(uint8((_nibble(j, v.start + 1 + 2 * i, k) << 4) | _nibble(j, v.start + 2 + 2 * i, k)));
        }
    }

    /// @notice A date string "YYYY-MM-DDTHH:MM:SSZ" as Unix seconds.
    function dateOf(
        bytes memory j,
        JsonValue memory v,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (uint64 t) {
        uint256 p = v.start + 1;
        if (
            v.end - v.start != 22 ||
            j[v.start] != _QUOTE ||
            j[p + 4] != "-" ||
            j[p + 7] != "-" ||
            j[p + 10] != "T" ||
            j[p + 13] != ":" ||
            j[p + 16] != ":" ||
            j[p + 19] != "Z"
        ) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, v.start);
        bool ok;
        (ok, t) = TdxDer.toUnix(
            _num(j, p, 4, k),
            _num(j, p + 5, 2, k),
            _num(j, p + 8, 2, k),
            _num(j, p + 11, 2, k),
            _num(j, p + 14, 2, k),
            _num(j, p + 17, 2, k)
        );
        if (!ok) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, v.start);
    }

    function _num(
        bytes memory j,
        uint256 p,
        uint256 digits,
        ITdxAttestationVerifier.CollateralKind k
    ) private pure returns (uint256) {
        return uintOf(j, JsonValue(p, p + digits), digits, k);
    }

    function _elementAt(
        bytes memory j,
        uint256 p,
        uint256 end,
        ITdxAttestationVerifier.CollateralKind k
    ) private pure returns (bool has, JsonValue memory e) {
        if (p < end && j[p] == "]") return (false, e);
        e.start = p;
        e.end = _skip(j, p, end, k);
        return (true, e);
    }

    /// The end of the value starting at `p` (a string, object, array or bare literal).
    function _skip(
        bytes memory j,
        uint256 p,
        uint256 end,
        ITdxAttestationVerifier.CollateralKind k
    ) private pure returns (uint256) {
        if (p >= end) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
        bytes1 c = j[p];
        if (c == _QUOTE) return _skipString(j, p, end, k);
        if (c == "{" || c == "[") {
            uint256 depth;
            while (p < end) {
                c = j[p];
                if (c == _QUOTE) {
                    p = _skipString(j, p, end, k);
                    continue;
                }
                if (c == "{" || c == "[") ++depth;
                else if (c == "}" || c == "]") --depth; // depth ≥ 1 here: the first byte opened it
                ++p;
                if (depth == 0) return p;
            }
            revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
        }
        uint256 s = p;
        while (p < end) {
            c = j[p];
            if (c == "," || c == "}" || c == "]" || c == " " || c == "\n" || c == "\r" || c == "\t") break;
            ++p;
        }
        if (p == s) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
        return p;
    }

    function _skipString(
        bytes memory j,
        uint256 p,
        uint256 end,
        ITdxAttestationVerifier.CollateralKind k
    ) private pure returns (uint256) {
        for (++p; p < end; ++p) {
            bytes1 c = j[p];
            if (c == "\\") ++p;
            else if (c == _QUOTE) return p + 1;
        }
        revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
    }

    function _ws(bytes memory j, uint256 p, uint256 end) private pure returns (uint256) {
        while (p < end && (j[p] == " " || j[p] == "\n" || j[p] == "\r" || j[p] == "\t")) ++p;
        return p;
    }

    function _nibble(
        bytes memory j,
        uint256 p,
        ITdxAttestationVerifier.CollateralKind k
    ) private pure returns (uint256) {
        uint8 c = uint8(j[p]);
        if (c >= 0x30 && c <= 0x39) return c - 0x30;
        if (c >= 0x61 && c <= 0x66) return c - 0x57;
        if (c >= 0x41 && c <= 0x46) return c - 0x37;
        revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
    }
}
