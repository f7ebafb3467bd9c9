// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITdxAttestationVerifier} from "../../interfaces/ITdxAttestationVerifier.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";

import {DerNode, TdxDer} from "./TdxDer.sol";

/// @notice The parts of an X.509 certificate (ECDSA-P256, SHA-256) the verifier checks.
struct X509Cert {
    /// sha256 of the DER tbsCertificate: what the issuer signed.
    bytes32 tbsHash;
    /// keccak256 of the serial number's DER content bytes (how CRLs name it).
    bytes32 serialHash;
    uint64 notBefore;
    uint64 notAfter;
    /// The subject's P-256 public key.
    bytes32 keyX;
    bytes32 keyY;
    /// The issuer's signature.
    bytes32 sigR;
    bytes32 sigS;
    /// The extensions' content range in the DER ([0, 0) when absent).
    uint256 extStart;
    uint256 extEnd;
}

uint8 constant ROLE_CA = 1;
uint8 constant ROLE_SIGNER = 2;

/// @notice The parts of an X.509 CRL the verifier checks.
struct X509Crl {
    bytes32 tbsHash;
    uint64 thisUpdate;
    uint64 nextUpdate;
    bytes32 sigR;
    bytes32 sigS;
    /// The revoked-certificates list's content range ([0, 0) when no certificate is revoked).
    uint256 revokedStart;
    uint256 revokedEnd;
}

/// @notice What the PCK certificate's SGX extension (OID 1.2.840.113741.1.13.1) says of the platform.
struct SgxExtension {
    bytes6 fmspc;
    /// SGX TCB components 1..16, one byte each.
    bytes16 cpuSvn;
    uint16 pceSvn;
    /// The PCE's identifier, compared with the TCB info's `pceId`.
    bytes2 pceId;
}

/// @title TdxX509
/// @notice X.509 certificate, CRL and Intel SGX extension parsing over `TdxDer`.
library TdxX509 {
    /// DER content of OID 1.2.840.113741.1.13.1 (Intel SGX extensions).
    bytes9 private constant _SGX_OID = 0x2a864886f84d010d01;
    bytes32 private constant _PEM_BEGIN = keccak256("-----BEGIN CERTIFICATE-----\n");
    bytes32 private constant _PEM_END = keccak256("-----END CERTIFICATE-----");

    /// Exactly three PEM certificates (leaf first), then only newlines or NUL bytes.
    function pemChain(bytes memory pem) public pure returns (bytes[3] memory ders) {
        uint256 p;
        for (uint256 i = 0; i < 3; ++i) {
            if (p + 28 > pem.length || TdxDer.keccakRange(pem, p, p + 28) != _PEM_BEGIN)
                revert ITdxAttestationVerifier.TdxMalformedPemChain(p);
            p += 28;
            bytes memory b64 = new bytes(pem.length - p);
            bool ok;
            (p, ok) = _base64Body(pem, p, b64);
            if (!ok) revert ITdxAttestationVerifier.TdxMalformedPemChain(p);
            if (p + 25 > pem.length || TdxDer.keccakRange(pem, p, p + 25) != _PEM_END)
                revert ITdxAttestationVerifier.TdxMalformedPemChain(p);
            p += 25;
            if (p < pem.length && pem[p] == "\n") ++p;
            ders[i] = Base64.decode(string(b64));
        }
        for (; p < pem.length; ++p) {
            if (pem[p] != "\n" && pem[p] != 0x00) revert ITdxAttestationVerifier.TdxMalformedPemChain(p);
        }
    }

    /// @notice Parses a certificate; the DER must be exactly one certificate.
    function parseCert(bytes memory der) public view returns (X509Cert memory c) {
        DerNode memory cert = TdxDer.expect(der, 0, der.length, TdxDer.SEQUENCE);
        if (cert.end != der.length) revert ITdxAttestationVerifier.TdxMalformedDer(cert.end);
        DerNode memory tbs = TdxDer.expect(der, cert.content, cert.end, TdxDer.SEQUENCE);
        c.tbsHash = TdxDer.sha256Range(der, tbs.start, tbs.end);
        DerNode memory n = TdxDer.read(der, tbs.content, tbs.end);
        if (n.tag == 0xa0) n = TdxDer.read(der, n.end, tbs.end); // [0] version
        if (n.tag != TdxDer.INTEGER) revert ITdxAttestationVerifier.TdxMalformedDer(n.start);
        c.serialHash = TdxDer.keccakRange(der, n.content, n.end);
        n = TdxDer.expect(der, n.end, tbs.end, TdxDer.SEQUENCE); // signature algorithm
        n = TdxDer.expect(der, n.end, tbs.end, TdxDer.SEQUENCE); // issuer
        DerNode memory validity = TdxDer.expect(der, n.end, tbs.end, TdxDer.SEQUENCE);
        n = TdxDer.read(der, validity.content, validity.end);
        c.notBefore = TdxDer.timeOf(der, n);
        n = TdxDer.read(der, n.end, validity.end);
        c.notAfter = TdxDer.timeOf(der, n);
        n = TdxDer.expect(der, validity.end, tbs.end, TdxDer.SEQUENCE); // subject
        DerNode memory spki = TdxDer.expect(der, n.end, tbs.end, TdxDer.SEQUENCE);
        n = TdxDer.expect(der, spki.content, spki.end, TdxDer.SEQUENCE); // algorithm
        n = TdxDer.expect(der, n.end, spki.end, TdxDer.BIT_STRING);
        // An uncompressed P-256 point: 0 unused bits, 0x04, x, y.
        if (n.end - n.content != 66 || der[n.content] != 0x00 || der[n.content + 1] != 0x04) {
            revert ITdxAttestationVerifier.TdxMalformedDer(n.start);
        }
        c.keyX = TdxDer.word(der, n.content + 2, n.content + 34);
        c.keyY = TdxDer.word(der, n.content + 34, n.content + 66);
        if (spki.end < tbs.end) {
            n = TdxDer.read(der, spki.end, tbs.end);
            if (n.tag == 0xa3) (c.extStart, c.extEnd) = (n.content, n.end);
        }
        (c.sigR, c.sigS) = _signature(der, tbs.end, cert.end);
    }

    /// @notice Parses a CRL; the DER must be exactly one CRL with a next-update time.
    function parseCrl(bytes memory der) public view returns (X509Crl memory c) {
        DerNode memory crl = TdxDer.expect(der, 0, der.length, TdxDer.SEQUENCE);
        if (crl.end != der.length) revert ITdxAttestationVerifier.TdxMalformedDer(crl.end);
        DerNode memory tbs = TdxDer.expect(der, crl.content, crl.end, TdxDer.SEQUENCE);
        c.tbsHash = TdxDer.sha256Range(der, tbs.start, tbs.end);
        DerNode memory n = TdxDer.read(der, tbs.content, tbs.end);
        if (n.tag == TdxDer.INTEGER) n = TdxDer.read(der, n.end, tbs.end); // version
        if (n.tag != TdxDer.SEQUENCE) revert ITdxAttestationVerifier.TdxMalformedDer(n.start); // algorithm
        n = TdxDer.expect(der, n.end, tbs.end, TdxDer.SEQUENCE); // issuer
        n = TdxDer.read(der, n.end, tbs.end);
        c.thisUpdate = TdxDer.timeOf(der, n);
        n = TdxDer.read(der, n.end, tbs.end);
        c.nextUpdate = TdxDer.timeOf(der, n);
        if (n.end < tbs.end) {
            n = TdxDer.read(der, n.end, tbs.end);
            if (n.tag == TdxDer.SEQUENCE) (c.revokedStart, c.revokedEnd) = (n.content, n.end);
        }
        (c.sigR, c.sigS) = _signature(der, tbs.end, crl.end);
    }

    /// @notice The serial hash of the revoked entry at `p` in a CRL's revoked list, and where the next starts.
    function revokedEntry(
        bytes memory der,
        uint256 p,
        uint256 end
    ) internal pure returns (bytes32 serial, uint256 next) {
        DerNode memory entry = TdxDer.expect(der, p, end, TdxDer.SEQUENCE);
        DerNode memory n = TdxDer.expect(der, entry.content, entry.end, TdxDer.INTEGER);
        return (TdxDer.keccakRange(der, n.content, n.end), entry.end);
    }

    /// @notice `parseCert`, then requires the certificate's basic constraints and key usage to allow
    /// `role` (`ROLE_CA`: cA, keyCertSign and cRLSign; `ROLE_SIGNER`: not cA, digitalSignature), else
    /// reverts `TdxCertificateUsageInvalid(index)`.
    function parseCertAs(bytes memory der, uint8 role, uint256 index) public view returns (X509Cert memory c) {
        c = parseCert(der);
        (bool isCa, bytes1 keyUsage) = c.extEnd == 0 ? (false, bytes1(0)) : _usage(der, c.extStart, c.extEnd);
        bool ok = role == ROLE_CA ? isCa && keyUsage & 0x06 == 0x06 : !isCa && keyUsage & 0x80 == 0x80;
        if (!ok) revert ITdxAttestationVerifier.TdxCertificateUsageInvalid(index);
    }

    /// Basic constraints (2.5.29.19) and key usage (2.5.29.15) from the extensions' content range.
    function _usage(bytes memory der, uint256 start, uint256 end) private pure returns (bool isCa, bytes1 keyUsage) {
        DerNode memory list = TdxDer.expect(der, start, end, TdxDer.SEQUENCE);
        for (uint256 p = list.content; p < list.end;) {
            DerNode memory ext = TdxDer.expect(der, p, list.end, TdxDer.SEQUENCE);
            p = ext.end;
            DerNode memory oid = TdxDer.expect(der, ext.content, ext.end, TdxDer.OID);
            if (oid.end - oid.content != 3 || der[oid.content] != 0x55 || der[oid.content + 1] != 0x1d) continue;
            bytes1 arc = der[oid.content + 2];
            DerNode memory value = TdxDer.read(der, oid.end, ext.end);
            if (value.tag == 0x01) value = TdxDer.read(der, value.end, ext.end); // critical flag
            if (value.tag != TdxDer.OCTET_STRING) revert ITdxAttestationVerifier.TdxMalformedDer(value.start);
            if (arc == 0x13) {
                // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }
                DerNode memory bc = TdxDer.expect(der, value.content, value.end, TdxDer.SEQUENCE);
                if (bc.end > bc.content) {
                    DerNode memory flag = TdxDer.read(der, bc.content, bc.end);
                    isCa = flag.tag == 0x01 && flag.end - flag.content == 1 && der[flag.content] != 0;
                }
            } else if (arc == 0x0f) {
                // KeyUsage ::= BIT STRING: unused-bit count, then the bits from digitalSignature on.
                DerNode memory bits = TdxDer.expect(der, value.content, value.end, TdxDer.BIT_STRING);
                if (bits.end - bits.content >= 2) keyUsage = der[bits.content + 1];
            }
        }
    }

    /// @notice Reads FMSPC, the SGX TCB components, PCE SVN and PCE ID from a PCK certificate's SGX extension.
    function sgxExtension(bytes memory der, X509Cert memory c) public pure returns (SgxExtension memory x) {
        if (c.extEnd == 0) revert ITdxAttestationVerifier.TdxMissingSgxExtension();
        DerNode memory list = TdxDer.expect(der, c.extStart, c.extEnd, TdxDer.SEQUENCE);
        for (uint256 p = list.content; p < list.end;) {
            DerNode memory ext = TdxDer.expect(der, p, list.end, TdxDer.SEQUENCE);
            p = ext.end;
            DerNode memory oid = TdxDer.expect(der, ext.content, ext.end, TdxDer.OID);
            if (oid.end - oid.content != 9 || bytes9(TdxDer.word(der, oid.content, oid.end)) != _SGX_OID) continue;
            DerNode memory value = TdxDer.read(der, oid.end, ext.end);
            if (value.tag == 0x01) value = TdxDer.read(der, value.end, ext.end); // critical flag
            if (value.tag != TdxDer.OCTET_STRING) revert ITdxAttestationVerifier.TdxMissingSgxExtension();
            return _sgxFields(der, TdxDer.expect(der, value.content, value.end, TdxDer.SEQUENCE));
        }
        revert ITdxAttestationVerifier.TdxMissingSgxExtension();
    }

    function _sgxFields(bytes memory der, DerNode memory seq) private pure returns (SgxExtension memory x) {
        bool haveFmspc;
        bool haveTcb;
        bool havePceId;
        for (uint256 p = seq.content; p < seq.end;) {
            DerNode memory item = TdxDer.expect(der, p, seq.end, TdxDer.SEQUENCE);
            p = item.end;
            DerNode memory oid = TdxDer.expect(der, item.content, item.end, TdxDer.OID);
            if (oid.end - oid.content != 10) continue;
            uint8 arc = uint8(der[oid.end - 1]);
            DerNode memory value = TdxDer.read(der, oid.end, item.end);
            if (arc == 4) {
                // FMSPC: an OCTET STRING of 6 bytes.
                if (value.tag != TdxDer.OCTET_STRING || value.end - value.content != 6) {
                    revert ITdxAttestationVerifier.TdxMissingSgxExtension();
                }
                x.fmspc = bytes6(TdxDer.word(der, value.content, value.end));
                haveFmspc = true;
            } else if (arc == 3) {
                // PCE ID: an OCTET STRING of 2 bytes.
                if (value.tag != TdxDer.OCTET_STRING || value.end - value.content != 2) {
                    revert ITdxAttestationVerifier.TdxMissingSgxExtension();
                }
                x.pceId = bytes2(TdxDer.word(der, value.content, value.end));
                havePceId = true;
            } else if (arc == 2) {
                if (value.tag != TdxDer.SEQUENCE) revert ITdxAttestationVerifier.TdxMissingSgxExtension();
                (x.cpuSvn, x.pceSvn) = _tcb(der, value);
                haveTcb = true;
            }
        }
        if (!haveFmspc || !haveTcb || !havePceId) revert ITdxAttestationVerifier.TdxMissingSgxExtension();
    }

    /// TCB: SEQUENCE of (OID …13.1.2.k, value); k 1..16 are the SGX TCB components, 17 the PCE SVN.
    function _tcb(bytes memory der, DerNode memory seq) private pure returns (bytes16 cpuSvn, uint16 pceSvn) {
        uint256 seen;
        for (uint256 p = seq.content; p < seq.end;) {
            DerNode memory item = TdxDer.expect(der, p, seq.end, TdxDer.SEQUENCE);
            p = item.end;
            DerNode memory oid = TdxDer.expect(der, item.content, item.end, TdxDer.OID);
            if (oid.end - oid.content != 11) continue;
            uint256 k = uint8(der[oid.end - 1]);
            if (k == 0 || k > 17) continue;
            uint256 v = TdxDer.uintOf(der, TdxDer.read(der, oid.end, item.end));
            if (k == 17) {
                if (v > type(uint16).max) revert ITdxAttestationVerifier.TdxMissingSgxExtension();
                pceSvn = uint16(v);
            } else {
                if (v > type(uint8).max) revert ITdxAttestationVerifier.TdxMissingSgxExtension();
                cpuSvn |= bytes16(bytes1(uint8(v))) >> ((k - 1) * 8);
            }
            seen |= 1 << k;
        }
        // All of components 1..16 and the PCE SVN must be present.
        if (seen != 0x3fffe) revert ITdxAttestationVerifier.TdxMissingSgxExtension();
    }

    /// The signature algorithm and the BIT STRING holding SEQUENCE { r INTEGER, s INTEGER }.
    function _signature(bytes memory der, uint256 p, uint256 end) private pure returns (bytes32 r, bytes32 s) {
        DerNode memory n = TdxDer.expect(der, p, end, TdxDer.SEQUENCE);
        n = TdxDer.expect(der, n.end, end, TdxDer.BIT_STRING);
        if (n.end != end || n.end == n.content || der[n.content] != 0x00) {
            revert ITdxAttestationVerifier.TdxMalformedDer(n.start);
        }
        DerNode memory rs = TdxDer.expect(der, n.content + 1, n.end, TdxDer.SEQUENCE);
        DerNode memory rn = TdxDer.expect(der, rs.content, rs.end, TdxDer.INTEGER);
        DerNode memory sn = TdxDer.expect(der, rn.end, rs.end, TdxDer.INTEGER);
        r = bytes32(TdxDer.uintOf(der, rn));
        s = bytes32(TdxDer.uintOf(der, sn));
    }

    /// Copies the base64 characters from `p` up to the next "-" (or the end) into `out`, skipping
    /// newlines, and shrinks `out` to them. Returns where it stopped, and false (stopping there) at a
    /// character outside the base64 alphabet. Assembly: a Solidity loop cost ~750 gas per character,
    /// this ~40, on ~3,700 characters per quote; reads stay below `pem.length` and writes below
    /// `out.length` (`out` was allocated with at least as many bytes as remain).
    function _base64Body(bytes memory pem, uint256 p, bytes memory out) private pure returns (uint256, bool) {
        // Bit c set for each character c of A–Z, a–z, 0–9, "+", "/" and "=".
        uint256 alphabet = 0x7fffffe07fffffe23ff880000000000;
        uint256 n;
        bool ok = true;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let src := add(pem, 0x20)
            let dst := add(out, 0x20)
            let end := mload(pem)
            for {} lt(p, end) {
                p := add(p, 1)
            } {
                let c := byte(0, mload(add(src, p)))
                if eq(c, 0x2d) {
                    break
                } // "-"
                if eq(c, 0x0a) {
                    continue
                } // "\n"
                if iszero(and(shr(c, alphabet), 1)) {
                    ok := 0
                    break
                }
                mstore8(add(dst, n), c)
                n := add(n, 1)
            }
            mstore(out, n)
        }
        return (p, ok);
    }
}
