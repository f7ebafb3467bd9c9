// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IResultVerifier} from "../interfaces/IResultVerifier.sol";
import {IGroth16ResultVerifier} from "../interfaces/IGroth16ResultVerifier.sol";
import {BN254_SCALAR_FIELD, MODE_ZK, ResultClaim} from "../libraries/VerityTypes.sol";

/// @title Groth16ResultVerifier
/// @notice The hand-written half of every per-version ZK verifier: it checks a claim against a proof and
/// runs the Groth16 pairing check; the generated half (contracts/generated) only holds the verification key.
/// A claim holds when it is for the weights the circuit bakes in (`weightsHash`), the output bytes are
/// `abi.encode(outputClass)`, the request's input commitment is a field element, and the proof verifies
/// for public signals [outputClass, commitment].
abstract contract Groth16ResultVerifier is IGroth16ResultVerifier {
    /// @notice BN254 scalar field order: public signals are below it.
    uint256 public constant SNARK_SCALAR_FIELD = BN254_SCALAR_FIELD;
    /// @dev BN254 base field order: proof coordinates must lie below it.
    uint256 private constant _BASE_FIELD =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 private constant _PROOF_BYTES = 9 * 32;
    uint256 private constant _CLASS_OFFSET = 8 * 32;

    /// @inheritdoc IResultVerifier
    /// @dev Reads the proof in place from calldata: no copy, no ABI decoding.
    function verify(ResultClaim calldata claim, bytes calldata proof) external view returns (bytes32 record) {
        bytes32 circuitWeights = _weightsHash();
        if (claim.weightsHash != circuitWeights) {
            revert ZkWeightsMismatch(claim.requestId, claim.weightsHash, circuitWeights);
        }
        if (proof.length != _PROOF_BYTES) revert ZkMalformedProof(claim.requestId, proof.length);
        uint256 proofOffset;
        uint256 outputClass;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            proofOffset := proof.offset
            outputClass := calldataload(add(proof.offset, _CLASS_OFFSET))
        }
        if (keccak256(abi.encode(outputClass)) != claim.outputHash) {
            revert ZkOutputMismatch(claim.requestId, outputClass, claim.outputHash);
        }
        uint256 commitment = uint256(claim.inputHash);
        if (commitment >= SNARK_SCALAR_FIELD) revert ZkCommitmentOutOfField(claim.requestId, claim.inputHash);
        if (!_verifyGroth16(proofOffset, outputClass, commitment)) revert ZkInvalidProof(claim.requestId);
        return bytes32(uint256(uint160(address(this))));
    }

    /// @inheritdoc IGroth16ResultVerifier
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata,
        uint256[2] calldata,
        uint256[2] calldata publicSignals
    ) external view returns (bool) {
        if (publicSignals[1] >= SNARK_SCALAR_FIELD) return false;
        uint256 proofOffset;
        // a, b and c are static arrays, so their eight words follow each other from a's offset.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            proofOffset := a
        }
        return _verifyGroth16(proofOffset, publicSignals[0], publicSignals[1]);
    }

    /// @inheritdoc IGroth16ResultVerifier
    function classes() external pure returns (uint256) {
        return _classes();
    }

    /// @inheritdoc IGroth16ResultVerifier
    function weightsHash() external pure returns (bytes32) {
        return _weightsHash();
    }

    /// @notice The mode this verifier serves.
    function mode() external pure returns (uint8) {
        return MODE_ZK;
    }

    /// @dev The Groth16 check: the eight proof words (a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y) start at
    /// calldata offset `proofOffset`; `commitment` is below the scalar field order. Returns false for any
    /// coordinate not below the base field order, a class outside [0, _classes()) or a failing pairing.
    ///
    /// vk_x = T[class] + commitment·IC2 with T[class] = IC0 + class·IC1 precomputed (one ecMul, one
    /// ecAdd), then one pairing check e(-A, B)·e(alpha, beta)·e(vk_x, gamma)·e(C, delta) = 1. The
    /// pairing input is built at m (free memory, not claimed): four (G1, G2) pairs of 0xc0 bytes,
    /// (-A, B) at 0x000, (alpha, beta) at 0x0c0, (vk_x, gamma) at 0x180, (C, delta) at 0x240; vk_x is
    /// computed in place (commitment·IC2 at 0x1c0, then T[class] + it at 0x180).
    function _verifyGroth16(
        uint256 proofOffset,
        uint256 outputClass,
        uint256 commitment
    ) private view returns (bool valid) {
        if (outputClass >= _classes()) return false;
        (uint256 tX, uint256 tY) = _classPoint(outputClass);
        uint256[16] memory key = _key();
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            valid := lt(calldataload(proofOffset), _BASE_FIELD)
            valid := and(valid, lt(calldataload(add(proofOffset, 0x20)), _BASE_FIELD))
            valid := and(valid, lt(calldataload(add(proofOffset, 0x40)), _BASE_FIELD))
            valid := and(valid, lt(calldataload(add(proofOffset, 0x60)), _BASE_FIELD))
            valid := and(valid, lt(calldataload(add(proofOffset, 0x80)), _BASE_FIELD))
            valid := and(valid, lt(calldataload(add(proofOffset, 0xa0)), _BASE_FIELD))
            valid := and(valid, lt(calldataload(add(proofOffset, 0xc0)), _BASE_FIELD))
            valid := and(valid, lt(calldataload(add(proofOffset, 0xe0)), _BASE_FIELD))
            if valid {
                let m := mload(0x40)
                // vk_x = T[class] + commitment·IC2
                mcopy(add(m, 0x1c0), key, 0x40)
                mstore(add(m, 0x200), commitment)
                valid := staticcall(gas(), 0x07, add(m, 0x1c0), 0x60, add(m, 0x1c0), 0x40)
                mstore(add(m, 0x180), tX)
                mstore(add(m, 0x1a0), tY)
                valid := and(valid, staticcall(gas(), 0x06, add(m, 0x180), 0x80, add(m, 0x180), 0x40))
                // (-A, B): -A = (A.x, (q - A.y) mod q); B is already in the precompile's order.
                mstore(m, calldataload(proofOffset))
                mstore(add(m, 0x20), mod(sub(_BASE_FIELD, calldataload(add(proofOffset, 0x20))), _BASE_FIELD))
                calldatacopy(add(m, 0x40), add(proofOffset, 0x40), 0x80)
                // (alpha, beta), gamma after vk_x, (C, delta)
                mcopy(add(m, 0xc0), add(key, 0x40), 0xc0)
                mcopy(add(m, 0x1c0), add(key, 0x100), 0x80)
                calldatacopy(add(m, 0x240), add(proofOffset, 0xc0), 0x40)
                mcopy(add(m, 0x280), add(key, 0x180), 0x80)
                // The product of the four pairings is 1: the precompile returns 1 in scratch space.
                valid := and(valid, staticcall(gas(), 0x08, m, 0x300, 0x00, 0x20))
                valid := and(valid, mload(0x00))
            }
        }
    }

    /// @dev Weights hash of the model version whose weights the circuit bakes in.
    function _weightsHash() internal pure virtual returns (bytes32);

    /// @dev Number of output classes of the circuit.
    function _classes() internal pure virtual returns (uint256);

    /// @dev T[outputClass] = IC0 + outputClass·IC1 (affine G1), for outputClass < _classes().
    function _classPoint(uint256 outputClass) internal pure virtual returns (uint256 x, uint256 y);

    /// @dev The rest of the verification key, as the precompiles take it: IC2 (the commitment's base,
    /// G1 x, y), alpha (G1 x, y), then beta, gamma and delta (G2: x.im, x.re, y.im, y.re each).
    function _key() internal pure virtual returns (uint256[16] memory);
}
