// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IFieldRangeVerifier} from "../interfaces/IFieldRangeVerifier.sol";
import {IInferenceCoordinator} from "../interfaces/IInferenceCoordinator.sol";
import {BN254_SCALAR_FIELD, Request, RequestStatus} from "../libraries/VerityTypes.sol";

/// @title FieldRangeVerifier
/// @notice The hand-written half of a field-range verifier: it checks a claim's shape, maps signed bounds to
/// field elements and runs the Groth16 pairing check; the generated half
/// (contracts/generated/FieldRangeD<depth>Groth16Verifier) holds only the verification key and the depth.
/// Beside FieldDisclosureVerifier: that one opens fields, this one proves a predicate over a field that stays
/// hidden. Stateless apart from the coordinator it asks whether a request exists.
abstract contract FieldRangeVerifier is IFieldRangeVerifier {
    /// @notice Signed 32-bit bounds: the record's int32 encoding, and what the circuit range-checks.
    int256 public constant MIN_BOUND = type(int32).min;
    int256 public constant MAX_BOUND = type(int32).max;
    /// @notice Most fields a record may have (a depth-4 tree), as in FieldDisclosureVerifier.
    uint256 public constant MAX_FIELDS = 256;
    /// @dev BN254 base field order: proof coordinates must lie below it.
    uint256 private constant _BASE_FIELD =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;

    /// @notice The coordinator whose requests `proveRange` accepts.
    IInferenceCoordinator public immutable coordinator;

    constructor(IInferenceCoordinator coordinator_) {
        if (address(coordinator_) == address(0)) revert FieldRangeInvalidAddress("coordinator");
        coordinator = coordinator_;
    }

    /// @inheritdoc IFieldRangeVerifier
    function verifyRange(
        bytes32 commitment,
        uint256 fieldCount,
        uint256 index,
        int256 min,
        int256 max,
        uint256[8] calldata proof
    ) public view returns (bool) {
        uint256 circuitDepth = _depth();
        uint256 recordDepth = _depthOf(fieldCount);
        if (recordDepth != circuitDepth) revert FieldRangeDepthMismatch(fieldCount, recordDepth, circuitDepth);
        if (index >= fieldCount) revert FieldRangeIndexOutOfRange(index, fieldCount);
        if (min < MIN_BOUND || min > MAX_BOUND) revert FieldRangeBoundOutOfRange(min);
        if (max < MIN_BOUND || max > MAX_BOUND) revert FieldRangeBoundOutOfRange(max);
        if (min > max) revert FieldRangeEmptyRange(min, max);
        if (uint256(commitment) >= BN254_SCALAR_FIELD) revert FieldRangeCommitmentOutOfField(commitment);
        uint256[4] memory signals = [uint256(commitment), index, _toField(min), _toField(max)];
        if (!_verifyGroth16(proof, signals)) revert FieldRangeInvalidProof(commitment, index, min, max);
        return true;
    }

    /// @inheritdoc IFieldRangeVerifier
    function proveRange(
        Request calldata request,
        uint256 fieldCount,
        uint256 index,
        int256 min,
        int256 max,
        uint256[8] calldata proof
    ) external returns (uint256 requestId) {
        requestId = coordinator.requestIdOf(request);
        if (coordinator.requestStatus(requestId) == RequestStatus.None) revert FieldRangeUnknownRequest(requestId);
        verifyRange(request.inputHash, fieldCount, index, min, max, proof);
        emit FieldRangeProved(requestId, request.inputHash, index, min, max, msg.sender);
    }

    /// @inheritdoc IFieldRangeVerifier
    function depth() external pure returns (uint256) {
        return _depth();
    }

    /// @dev The tree depth of a record of `fieldCount` fields, max(1, ⌈log4 fieldCount⌉); 0 for a count
    /// outside 1 … MAX_FIELDS.
    function _depthOf(uint256 fieldCount) private pure returns (uint256 d) {
        if (fieldCount == 0 || fieldCount > MAX_FIELDS) return 0;
        d = 1;
        // 4 ** d ≤ 4^4 = MAX_FIELDS here: no overflow.
        while (4 ** d < fieldCount) ++d;
    }

    /// @dev A signed int32 bound as the circuit's field element: a negative x is p − |x|.
    function _toField(int256 x) private pure returns (uint256) {
        // x ≥ MIN_BOUND was checked, so −x fits and p − (−x) is below p.
        return x < 0 ? BN254_SCALAR_FIELD - uint256(-x) : uint256(x);
    }

    /// @dev The Groth16 check over public signals [root, index, min, max] (each below the scalar field order).
    /// False for a proof coordinate not below the base field order, a precompile failure or a failing pairing.
    ///
    /// vk_x = IC0 + Σ signal_i·IC_(i+1) (four ecMul, four ecAdd), then one pairing check
    /// e(-A, B)·e(alpha, beta)·e(vk_x, gamma)·e(C, delta) = 1. The pairing input is built at m (free memory,
    /// not claimed): four (G1, G2) pairs of 0xc0 bytes, (-A, B) at 0x000, (alpha, beta) at 0x0c0,
    /// (vk_x, gamma) at 0x180, (C, delta) at 0x240. vk_x accumulates in place at 0x180; each signal·IC term
    /// is computed at 0x1c0, right after it, so one ecAdd of the 0x80 bytes from 0x180 adds them.
    function _verifyGroth16(uint256[8] calldata proof, uint256[4] memory signals) private view returns (bool valid) {
        uint256[24] memory key = _key();
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            valid := 1
            for {
                let i := 0
            } lt(i, 0x100) {
                i := add(i, 0x20)
            } {
                valid := and(valid, lt(calldataload(add(proof, i)), _BASE_FIELD))
            }
            if valid {
                let m := mload(0x40)
                mcopy(add(m, 0x180), key, 0x40)
                for {
                    let i := 0
                } lt(i, 4) {
                    i := add(i, 1)
                } {
                    mcopy(add(m, 0x1c0), add(key, mul(add(i, 1), 0x40)), 0x40)
                    mstore(add(m, 0x200), mload(add(signals, mul(i, 0x20))))
                    valid := and(valid, staticcall(gas(), 0x07, add(m, 0x1c0), 0x60, add(m, 0x1c0), 0x40))
                    valid := and(valid, staticcall(gas(), 0x06, add(m, 0x180), 0x80, add(m, 0x180), 0x40))
                }
                // (-A, B): -A = (A.x, (q - A.y) mod q); B is already in the precompile's order.
                mstore(m, calldataload(proof))
                mstore(add(m, 0x20), mod(sub(_BASE_FIELD, calldataload(add(proof, 0x20))), _BASE_FIELD))
                calldatacopy(add(m, 0x40), add(proof, 0x40), 0x80)
                // (alpha, beta): key words 10-15; gamma after vk_x: 16-19; (C, delta): 20-23.
                mcopy(add(m, 0xc0), add(key, 0x140), 0xc0)
                mcopy(add(m, 0x1c0), add(key, 0x200), 0x80)
                calldatacopy(add(m, 0x240), add(proof, 0xc0), 0x40)
                mcopy(add(m, 0x280), add(key, 0x280), 0x80)
                // The product of the four pairings is 1: the precompile returns 1 in scratch space.
                valid := and(valid, staticcall(gas(), 0x08, m, 0x300, 0x00, 0x20))
                valid := and(valid, mload(0x00))
            }
        }
    }

    /// @dev The tree depth of the records the circuit serves.
    function _depth() internal pure virtual returns (uint256);

    /// @dev The verification key, as the precompiles take it: IC0 … IC4 (G1 x, y each), alpha (G1 x, y),
    /// then beta, gamma and delta (G2: x.im, x.re, y.im, y.re each).
    function _key() internal pure virtual returns (uint256[24] memory);
}
