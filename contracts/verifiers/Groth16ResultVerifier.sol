// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IResultVerifier} from "../interfaces/IResultVerifier.sol";
import {IGroth16ResultVerifier} from "../interfaces/IZkVerifier.sol";
import {MODE_ZK, ResultClaim} from "../libraries/VerityTypes.sol";

/// @title Groth16ResultVerifier
/// @notice The hand-written half of every per-version ZK verifier: it checks a claim against a proof
/// and leaves the pairing to the generated half (contracts/generated), which holds the verification key.
/// A claim holds when the output bytes are `abi.encode(outputClass)`, the request's input commitment is
/// a field element, and the proof verifies for public signals [outputClass, commitment].
abstract contract Groth16ResultVerifier is IGroth16ResultVerifier {
    /// @notice BN254 scalar field order: public signals are below it.
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 private constant _PROOF_BYTES = 9 * 32;
    uint256 private constant _CLASS_OFFSET = 8 * 32;

    /// @inheritdoc IResultVerifier
    /// @dev Reads the proof in place from calldata: no copy, no ABI decoding.
    function verify(ResultClaim calldata claim, bytes calldata proof) external view returns (bytes32 record) {
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

    /// @notice The mode this verifier serves.
    function mode() external pure returns (uint8) {
        return MODE_ZK;
    }

    /// @dev The Groth16 check: the eight proof words (a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y) start at
    /// calldata offset `proofOffset`; `commitment` is below the field order. Returns false for any
    /// coordinate not below the base field order, a class outside [0, _classes()) or a failing pairing.
    function _verifyGroth16(
        uint256 proofOffset,
        uint256 outputClass,
        uint256 commitment
    ) internal view virtual returns (bool);

    /// @dev Number of output classes of the circuit.
    function _classes() internal pure virtual returns (uint256);
}
