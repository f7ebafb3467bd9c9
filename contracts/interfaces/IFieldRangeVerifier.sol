// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Request} from "../libraries/VerityTypes.sol";

/// @title IFieldRangeVerifier
/// @notice A range predicate over one field of a committed record, proved in zero knowledge: "the field at
/// `index` of the record committed as `commitment` lies in [min, max]". The verifier learns the index and the
/// bounds, never the value or its salt. The commitment is the 4-ary Poseidon field tree of
/// IFieldDisclosureVerifier (a request's `inputHash`); values and bounds are signed 32-bit integers, as the
/// record's int32 fixed-point encoding holds them (e.g. worst radius 25.38 with scale 1000 → 25380).
/// One verifier serves records of one tree depth (`depth()`); its Groth16 circuit has public signals
/// [root, index, min, max] (circuits/field-range). The proof is snarkjs's (a, b, c) as eight words: a.x,
/// a.y, b.x.im, b.x.re, b.y.im, b.y.re, c.x, c.y (b in the pairing precompile's order).
interface IFieldRangeVerifier {
    /// @notice Thrown when a constructor address is zero; `parameter` names it.
    error FieldRangeInvalidAddress(string parameter);
    /// @notice Thrown when a record of `fieldCount` fields has tree depth `depth`, not the circuit's `circuitDepth`
    /// (or `fieldCount` is 0 or above 256, then `depth` is 0).
    error FieldRangeDepthMismatch(uint256 fieldCount, uint256 depth, uint256 circuitDepth);
    /// @notice Thrown when a field index is not below the record's field count.
    error FieldRangeIndexOutOfRange(uint256 index, uint256 fieldCount);
    /// @notice Thrown when a bound is not a signed 32-bit integer (the record's encoding).
    error FieldRangeBoundOutOfRange(int256 bound);
    /// @notice Thrown when `min` is above `max`: no value lies in the range.
    error FieldRangeEmptyRange(int256 min, int256 max);
    /// @notice Thrown when a commitment is not a BN254 scalar field element.
    error FieldRangeCommitmentOutOfField(bytes32 commitment);
    /// @notice Thrown when the proof does not show that field `index` of `commitment` lies in [min, max]: it was
    /// made for another record, field or bounds, or it is malformed.
    error FieldRangeInvalidProof(bytes32 commitment, uint256 index, int256 min, int256 max);
    /// @notice Thrown when the coordinator holds no request with this id: the request passed is not one it made.
    error FieldRangeUnknownRequest(uint256 requestId);

    /// @notice Emitted when `prover` proved that field `index` of request `requestId`'s committed record lies in
    /// [min, max], without revealing it. The proof binds the record, the field and the bounds, not its sender:
    /// anyone may resubmit a published proof, so `prover` is who submitted it, not who holds the record.
    event FieldRangeProved(
        uint256 indexed requestId,
        bytes32 indexed commitment,
        uint256 index,
        int256 min,
        int256 max,
        address indexed prover
    );

    /// @notice Checks a range proof against a commitment; returns true or reverts with the first problem found.
    /// @param commitment The record's commitment (the field tree's root).
    /// @param fieldCount Fields in the record (its tree depth must be this verifier's `depth()`).
    /// @param index The field's position in the record.
    /// @param min Lowest value the field may have (inclusive, signed int32).
    /// @param max Highest value the field may have (inclusive, signed int32).
    /// @param proof The Groth16 proof's eight words.
    function verifyRange(
        bytes32 commitment,
        uint256 fieldCount,
        uint256 index,
        int256 min,
        int256 max,
        uint256[8] calldata proof
    ) external view returns (bool);

    /// @notice Checks a range proof against the commitment of `request`, which the coordinator must know, and
    /// records it with FieldRangeProved; returns the request's id.
    function proveRange(
        Request calldata request,
        uint256 fieldCount,
        uint256 index,
        int256 min,
        int256 max,
        uint256[8] calldata proof
    ) external returns (uint256 requestId);

    /// @notice The tree depth of the records this verifier serves (1 to 4: up to 4, 16, 64, 256 fields).
    function depth() external pure returns (uint256);
}
