// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITdxAttestationVerifier} from "../../interfaces/ITdxAttestationVerifier.sol";

/// @notice A DER element: its tag, and where its content starts and ends in the enclosing buffer.
struct DerNode {
    uint8 tag;
    /// Offset of the element's first (tag) byte.
    uint256 start;
    /// Offset of its content's first byte.
    uint256 content;
    /// Offset one past its content's last byte.
    uint256 end;
}

/// @title TdxDer
/// @notice Bounded DER reading for X.509 certificates and CRLs: every length is checked against the
/// enclosing element before it is used, and times are converted to Unix seconds.
library TdxDer {
    uint8 internal constant SEQUENCE = 0x30;
    uint8 internal constant INTEGER = 0x02;
    uint8 internal constant BIT_STRING = 0x03;
    uint8 internal constant OCTET_STRING = 0x04;
    uint8 internal constant OID = 0x06;
    uint8 internal constant UTC_TIME = 0x17;
    uint8 internal constant GENERALIZED_TIME = 0x18;

    /// @notice Reads the element at `p`, which must end at or before `limit`.
    function read(bytes memory b, uint256 p, uint256 limit) internal pure returns (DerNode memory n) {
        if (p + 2 > limit || limit > b.length) revert ITdxAttestationVerifier.TdxMalformedDer(p);
        n.tag = uint8(b[p]);
        n.start = p;
        uint256 first = uint8(b[p + 1]);
        uint256 len;
        if (first < 0x80) {
            len = first;
            n.content = p + 2;
        } else if (first == 0x81 || first == 0x82) {
            // Certificates, CRLs and Intel's extensions stay far below 64 KiB: longer forms are refused.
            uint256 count = first - 0x80;
            if (p + 2 + count > limit) revert ITdxAttestationVerifier.TdxMalformedDer(p);
            for (uint256 i = 0; i < count; ++i) len = (len << 8) | uint8(b[p + 2 + i]);
            n.content = p + 2 + count;
        } else {
            revert ITdxAttestationVerifier.TdxMalformedDer(p);
        }
        n.end = n.content + len;
        if (n.end > limit) revert ITdxAttestationVerifier.TdxMalformedDer(p);
    }

    /// @notice `read`, requiring tag `tag`.
    function expect(bytes memory b, uint256 p, uint256 limit, uint8 tag) internal pure returns (DerNode memory n) {
        n = read(b, p, limit);
        if (n.tag != tag) revert ITdxAttestationVerifier.TdxMalformedDer(p);
    }

    /// @notice A non-negative INTEGER of at most 32 significant bytes, right-aligned.
    function uintOf(bytes memory b, DerNode memory n) internal pure returns (uint256 v) {
        if (n.tag != INTEGER || n.end == n.content) revert ITdxAttestationVerifier.TdxMalformedDer(n.start);
        uint256 p = n.content;
        if (uint8(b[p]) == 0 && n.end - p > 1) ++p; // the sign byte before a high bit
        if (n.end - p > 32 || uint8(b[n.content]) >= 0x80) revert ITdxAttestationVerifier.TdxMalformedDer(n.start);
        for (; p < n.end; ++p) v = (v << 8) | uint8(b[p]);
    }

    /// @notice keccak256 of the bytes [from, to) of `b`.
    function keccakRange(bytes memory b, uint256 from, uint256 to) internal pure returns (bytes32 h) {
        if (to < from || to > b.length) revert ITdxAttestationVerifier.TdxMalformedDer(from);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            h := keccak256(add(add(b, 0x20), from), sub(to, from))
        }
    }

    /// @notice sha256 of the bytes [from, to) of `b`, through the precompile.
    function sha256Range(bytes memory b, uint256 from, uint256 to) internal view returns (bytes32 h) {
        if (to < from || to > b.length) revert ITdxAttestationVerifier.TdxMalformedDer(from);
        bool ok;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x02, add(add(b, 0x20), from), sub(to, from), 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert ITdxAttestationVerifier.TdxMalformedDer(from);
    }

    /// @notice The first 32 bytes at `from` (zero-padded past `to`).
    function word(bytes memory b, uint256 from, uint256 to) internal pure returns (bytes32 w) {
        if (to < from || to > b.length || to - from > 32) revert ITdxAttestationVerifier.TdxMalformedDer(from);
        for (uint256 i = from; i < to; ++i) w |= bytes32(b[i]) >> ((i - from) * 8);
    }

    /// @notice A UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as Unix seconds.
    function timeOf(bytes memory b, DerNode memory n) internal pure returns (uint64) {
        uint256 p = n.content;
        uint256 year;
        if (n.tag == UTC_TIME && n.end - p == 13) {
            year = _digits(b, p, 2);
            // RFC 5280: UTCTime years 50..99 are 19xx, 00..49 are 20xx.
            year += year >= 50 ? 1900 : 2000;
            p += 2;
        } else if (n.tag == GENERALIZED_TIME && n.end - p == 15) {
            year = _digits(b, p, 4);
            p += 4;
        } else {
            revert ITdxAttestationVerifier.TdxMalformedDer(n.start);
        }
        if (b[p + 10] != "Z") revert ITdxAttestationVerifier.TdxMalformedDer(n.start);
        (bool ok, uint64 t) = toUnix(
            year,
            _digits(b, p, 2),
            _digits(b, p + 2, 2),
            _digits(b, p + 4, 2),
            _digits(b, p + 6, 2),
            _digits(b, p + 8, 2)
        );
        if (!ok) revert ITdxAttestationVerifier.TdxMalformedDer(n.start);
        return t;
    }

    /// @notice A calendar date and time (UTC) as Unix seconds; `ok` false when a field is out of range.
    function toUnix(
        uint256 year,
        uint256 month,
        uint256 day,
        uint256 hour,
        uint256 minute,
        uint256 second
    ) internal pure returns (bool ok, uint64 t) {
        if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
            return (false, 0);
        }
        // Days from civil (H. Hinnant), shifted so that the year starts in March; no term can go
        // negative for year ≥ 1970, and all stay far below 2^64.
        uint256 y = month <= 2 ? year - 1 : year;
        uint256 era = y / 400;
        uint256 yoe = y - era * 400;
        uint256 mp = month > 2 ? month - 3 : month + 9;
        uint256 doy = (153 * mp + 2) / 5 + day - 1;
        uint256 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        uint256 dayCount = era * 146097 + doe - 719468;
        return (true, uint64(dayCount * 86400 + hour * 3600 + minute * 60 + second));
    }

    function _digits(bytes memory b, uint256 p, uint256 count) private pure returns (uint256 v) {
        for (uint256 i = 0; i < count; ++i) {
            uint8 c = uint8(b[p + i]);
            if (c < 0x30 || c > 0x39) revert ITdxAttestationVerifier.TdxMalformedDer(p);
            v = v * 10 + (c - 0x30);
        }
    }
}
