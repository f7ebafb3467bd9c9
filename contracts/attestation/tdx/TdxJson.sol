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
        if (obj.start >= end || _at(j, obj.start) != "{")
            revert ITdxAttestationVerifier.TdxCollateralMalformed(k, obj.start);
        bytes32 want = keccak256(bytes(key));
        uint256 p = _ws(j, obj.start + 1, end);
        if (p < end && _at(j, p) == "}") return (false, v);
        while (p < end) {
            if (_at(j, p) != _QUOTE) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
            uint256 keyStart = p + 1;
            uint256 keyEnd = _skip(j, p, end, k) - 1; // the closing quote
            p = _ws(j, keyEnd + 1, end);
            if (p >= end || _at(j, p) != ":") revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
            v.start = _ws(j, p + 1, end);
            v.end = _skip(j, v.start, end, k);
            if (TdxDer.keccakRange(j, keyStart, keyEnd) == want) return (true, v);
            p = _ws(j, v.end, end);
            if (p < end && _at(j, p) == ",") {
                p = _ws(j, p + 1, end);
            } else if (p < end && _at(j, p) == "}") {
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
        if (arr.start >= arr.end || _at(j, arr.start) != "[")
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
        if (p < arr.end && _at(j, p) == "]") return (false, e);
        if (p >= arr.end || _at(j, p) != ",") revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
        (has, e) = _elementAt(j, _ws(j, p + 1, arr.end), arr.end, k);
        if (!has) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
    }

    /// @notice keccak256 of a string value's characters (no escapes are interpreted).
    function stringHash(
        bytes memory j,
        JsonValue memory v,
        ITdxAttestationVerifier.CollateralKind k
    ) internal pure returns (bytes32) {
        if (v.end - v.start < 2 || _at(j, v.start) != _QUOTE)
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
            uint8 c = uint8(_at(j, p));
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
        if (byteCount > 32 || v.end - v.start != 2 * byteCount + 2 || _at(j, v.start) != _QUOTE) {
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
        if (v.end - v.start != 2 * byteCount + 2 || _at(j, v.start) != _QUOTE) {
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
            _at(j, v.start) != _QUOTE ||
            _at(j, p + 4) != "-" ||
            _at(j, p + 7) != "-" ||
            _at(j, p + 10) != "T" ||
            _at(j, p + 13) != ":" ||
            _at(j, p + 16) != ":" ||
            _at(j, p + 19) != "Z"
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
        if (p < end && _at(j, p) == "]") return (false, e);
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
        bytes1 c = _at(j, p);
        if (c == _QUOTE) return _skipString(j, p, end, k);
        if (c == "{" || c == "[") {
            bool closed;
            (p, closed) = _skipContainer(j, p, end);
            if (!closed) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
            return p;
        }
        uint256 s = p;
        while (p < end) {
            c = _at(j, p);
            if (c == "," || c == "}" || c == "]" || c == " " || c == "\n" || c == "\r" || c == "\t") break;
            ++p;
        }
        if (p == s) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
        return p;
    }

    /// The end of the object or array opening at `p` (brackets counted outside strings), and whether
    /// it closed before `end`. Assembly: this scan is most of the work of reading Intel's JSON, and
    /// a Solidity loop cost several hundred gas per byte; reads stay below `end` ≤ j.length.
    function _skipContainer(bytes memory j, uint256 p, uint256 end) private pure returns (uint256, bool closed) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let src := add(j, 0x20)
            let depth := 0
            let inString := 0
            // Bit c set for the bytes that change the state: " \ { } [ ]. Others are passed over
            // with one test, which is most of the bytes.
            let special := 0x28000000380000000000000400000000
            for {} lt(p, end) {
                p := add(p, 1)
            } {
                let c := byte(0, mload(add(src, p)))
                if iszero(and(shr(c, special), 1)) {
                    continue
                }
                switch inString
                case 1 {
                    switch c
                    // A backslash escapes the next byte; a quote closes the string.
                    case 0x5c {
                        p := add(p, 1)
                    }
                    case 0x22 {
                        inString := 0
                    }
                }
                default {
                    // A quote opens a string; { and [ open a level, } and ] close one (depth ≥ 1
                    // when they do: the byte at the start opened the first).
                    switch c
                    case 0x22 {
                        inString := 1
                    }
                    case 0x7b {
                        depth := add(depth, 1)
                    }
                    case 0x5b {
                        depth := add(depth, 1)
                    }
                    case 0x7d {
                        depth := sub(depth, 1)
                    }
                    case 0x5d {
                        depth := sub(depth, 1)
                    }
                    if iszero(depth) {
                        p := add(p, 1)
                        closed := 1
                        break
                    }
                }
            }
        }
        return (p, closed);
    }

    /// The end of the string opening at `p`. Assembly for the same reason as `_skipContainer`
    /// (keys and hex strings are most of the bytes `find` walks past); reads stay below `end`.
    function _skipString(
        bytes memory j,
        uint256 p,
        uint256 end,
        ITdxAttestationVerifier.CollateralKind k
    ) private pure returns (uint256) {
        bool closed;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let src := add(j, 0x20)
            for {
                p := add(p, 1)
            } lt(p, end) {
                p := add(p, 1)
            } {
                let c := byte(0, mload(add(src, p)))
                if eq(c, 0x5c) {
                    p := add(p, 1) // a backslash escapes the next byte
                    continue
                }
                if eq(c, 0x22) {
                    p := add(p, 1)
                    closed := 1
                    break
                }
            }
        }
        if (!closed) revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
        return p;
    }

    function _ws(bytes memory j, uint256 p, uint256 end) private pure returns (uint256) {
        while (p < end && (_at(j, p) == " " || _at(j, p) == "\n" || _at(j, p) == "\r" || _at(j, p) == "\t")) ++p;
        return p;
    }

    function _nibble(
        bytes memory j,
        uint256 p,
        ITdxAttestationVerifier.CollateralKind k
    ) private pure returns (uint256) {
        uint8 c = uint8(_at(j, p));
        if (c >= 0x30 && c <= 0x39) return c - 0x30;
        if (c >= 0x61 && c <= 0x66) return c - 0x57;
        if (c >= 0x41 && c <= 0x46) return c - 0x37;
        revert ITdxAttestationVerifier.TdxCollateralMalformed(k, p);
    }

    /// The byte at `p`. Every caller has checked p < end ≤ j.length first (each value's end lies
    /// within its parent's, and the root's is j.length), so the read skips Solidity's bounds check,
    /// which was most of the cost of scanning Intel's JSON.
    function _at(bytes memory j, uint256 p) private pure returns (bytes1 c) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            c := shl(248, byte(0, mload(add(add(j, 0x20), p))))
        }
    }
}
