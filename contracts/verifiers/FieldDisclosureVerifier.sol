// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IFieldDisclosureVerifier} from "../interfaces/IFieldDisclosureVerifier.sol";
import {IPoseidon2} from "../interfaces/IPoseidon2.sol";
import {IPoseidon4} from "../interfaces/IPoseidon4.sol";
import {BN254_SCALAR_FIELD} from "../libraries/VerityTypes.sol";

/// @title FieldDisclosureVerifier
/// @notice On-chain check of a selective field disclosure against a record's commitment, with circomlibjs's
/// generated Poseidon contracts (PoseidonT3 for leaves, PoseidonT5 for nodes). Stateless: any contract (an
/// insurer, an auditor's registry) can call it with the commitment it trusts, e.g. a fulfilled request's
/// `inputHash`.
contract FieldDisclosureVerifier is IFieldDisclosureVerifier {
    /// @notice Children per tree node.
    uint256 public constant ARITY = 4;
    /// @notice Most fields a record may have (a depth-4 tree).
    uint256 public constant MAX_FIELDS = 256;

    /// @notice Poseidon of two inputs: the leaf hash.
    IPoseidon2 public immutable leafHash;
    /// @notice Poseidon of four inputs: the node hash.
    IPoseidon4 public immutable nodeHash;

    constructor(IPoseidon2 leafHash_, IPoseidon4 nodeHash_) {
        if (address(leafHash_) == address(0)) revert FieldDisclosureInvalidAddress("leafHash");
        if (address(nodeHash_) == address(0)) revert FieldDisclosureInvalidAddress("nodeHash");
        leafHash = leafHash_;
        nodeHash = nodeHash_;
    }

    /// @inheritdoc IFieldDisclosureVerifier
    /// @dev On a path that fails from its own index, every other index is tried (at most fieldCount × depth
    /// node hashes, on the failure path only) so that a wrong index is told apart from a wrong path.
    function verifyDisclosure(
        bytes32 commitment,
        uint256 fieldCount,
        FieldOpening[] calldata fields
    ) external view returns (bool) {
        uint256 depth = depthOf(fieldCount);
        if (fields.length == 0) revert FieldDisclosureEmpty();
        uint256 previous;
        for (uint256 i; i < fields.length; ++i) {
            FieldOpening calldata f = fields[i];
            uint256 index = f.index;
            if (index >= fieldCount) revert FieldDisclosureIndexOutOfRange(index, fieldCount);
            if (i > 0 && index <= previous) revert FieldDisclosureIndexNotAscending(previous, index);
            previous = index;
            if (f.value >= BN254_SCALAR_FIELD) revert FieldDisclosureValueOutOfField(index, f.value);
            if (f.salt >= BN254_SCALAR_FIELD) revert FieldDisclosureSaltOutOfField(index, f.salt);
            uint256[3][] calldata path = f.path;
            if (path.length != depth) revert FieldDisclosurePathLength(index, path.length, depth);
            for (uint256 level; level < depth; ++level) {
                for (uint256 s; s < ARITY - 1; ++s) {
                    if (path[level][s] >= BN254_SCALAR_FIELD) revert FieldDisclosureSiblingOutOfField(index, level);
                }
            }
            if (leafHash.poseidon([f.value, f.salt]) != f.leaf) revert FieldDisclosureOpeningMismatch(index, f.leaf);
            uint256 root = _rootFrom(f.leaf, index, path);
            if (root != uint256(commitment)) {
                for (uint256 j; j < fieldCount; ++j) {
                    if (j != index && _rootFrom(f.leaf, j, path) == uint256(commitment)) {
                        revert FieldDisclosureWrongIndex(index, j);
                    }
                }
                revert FieldDisclosurePathMismatch(index, bytes32(root), commitment);
            }
        }
        return true;
    }

    /// @inheritdoc IFieldDisclosureVerifier
    function depthOf(uint256 fieldCount) public pure returns (uint256 depth) {
        if (fieldCount == 0 || fieldCount > MAX_FIELDS) revert FieldDisclosureBadFieldCount(fieldCount, MAX_FIELDS);
        depth = 1;
        // ARITY ** depth ≤ 4^4 = MAX_FIELDS here: no overflow.
        while (ARITY ** depth < fieldCount) ++depth;
    }

    /// @dev The root reached from `leaf` at `index`: base-4 digit `level` of the index is the node's
    /// position among its three siblings at that level.
    function _rootFrom(uint256 leaf, uint256 index, uint256[3][] calldata path) private view returns (uint256 node) {
        node = leaf;
        for (uint256 level; level < path.length; ++level) {
            uint256 digit = index % ARITY;
            index /= ARITY;
            uint256[4] memory children;
            uint256 s;
            for (uint256 c; c < ARITY; ++c) {
                if (c == digit) {
                    children[c] = node;
                } else {
                    children[c] = path[level][s];
                    ++s;
                }
            }
            node = nodeHash.poseidon(children);
        }
    }
}
