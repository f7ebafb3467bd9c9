// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IFieldDisclosureVerifier
/// @notice Selective disclosure of a committed record, field by field. A record of `fieldCount` fields is
/// committed as the root of a 4-ary Poseidon Merkle tree: leaf_i = Poseidon(value_i, salt_i), a node is
/// Poseidon of its four children, leaves past the last field are 0, and the depth is max(1, ⌈log4 F⌉).
/// That root is the ZK circuit's public commitment and the request's `inputHash`. A disclosure opens any
/// subset of the fields; everything else stays hidden. The SDK's `checkFieldDisclosure`
/// (sdk/src/fields) applies the same rules in the same order.
interface IFieldDisclosureVerifier {
    /// @notice One disclosed field.
    struct FieldOpening {
        /// Position of the field in the record (its index in the circuit descriptor's input fields).
        uint256 index;
        /// The committed value (a fixed-point integer for model inputs).
        uint256 value;
        /// The field's own salt.
        uint256 salt;
        /// Poseidon(value, salt), as committed.
        uint256 leaf;
        /// At each level from the bottom, the node's three siblings in order (the node left out).
        uint256[3][] path;
    }

    /// @notice Thrown when a constructor address is zero; `parameter` names it.
    error FieldDisclosureInvalidAddress(string parameter);
    /// @notice Thrown when the record's field count is 0 or above the maximum.
    error FieldDisclosureBadFieldCount(uint256 fieldCount, uint256 maxFields);
    /// @notice Thrown when a disclosure opens no field.
    error FieldDisclosureEmpty();
    /// @notice Thrown when a field index is not below the record's field count.
    error FieldDisclosureIndexOutOfRange(uint256 index, uint256 fieldCount);
    /// @notice Thrown when the indices are not strictly ascending (a field repeated or out of order).
    error FieldDisclosureIndexNotAscending(uint256 previous, uint256 index);
    /// @notice Thrown when a disclosed value is not a field element.
    error FieldDisclosureValueOutOfField(uint256 index, uint256 value);
    /// @notice Thrown when a disclosed salt is not a field element.
    error FieldDisclosureSaltOutOfField(uint256 index, uint256 salt);
    /// @notice Thrown when a path does not have one level per tree level.
    error FieldDisclosurePathLength(uint256 index, uint256 length, uint256 depth);
    /// @notice Thrown when a sibling in a path is not a field element.
    error FieldDisclosureSiblingOutOfField(uint256 index, uint256 level);
    /// @notice Thrown when Poseidon(value, salt) is not the leaf: the value or the salt is wrong.
    error FieldDisclosureOpeningMismatch(uint256 index, uint256 leaf);
    /// @notice Thrown when the leaf and path lead to the commitment from another index: the index is wrong.
    error FieldDisclosureWrongIndex(uint256 index, uint256 provenIndex);
    /// @notice Thrown when the leaf and path lead to another root from every index: the path is wrong.
    error FieldDisclosurePathMismatch(uint256 index, bytes32 root, bytes32 commitment);

    /// @notice Checks that every opening in `fields` (strictly ascending indices) is a field of the record
    /// committed to by `commitment`; returns true or reverts with the first problem found.
    function verifyDisclosure(
        bytes32 commitment,
        uint256 fieldCount,
        FieldOpening[] calldata fields
    ) external view returns (bool);

    /// @notice The tree depth for a record of `fieldCount` fields: max(1, ⌈log4 fieldCount⌉).
    function depthOf(uint256 fieldCount) external pure returns (uint256);
}
