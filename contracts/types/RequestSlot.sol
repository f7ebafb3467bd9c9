// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RequestStatus} from "../libraries/VerityTypes.sol";

/// @notice The one storage word the coordinator keeps per request.
///
/// While a request is pending the word is a state word below `2^184`:
///
///     bits 0..7     state: 1 open, 3 accepted (2 is the refunded word, which carries nothing else)
///     bits 8..167   the result verifier pinned when the request was made
///     bits 168..183 the coordinator's pause epoch when the operator accepted (accepted only)
///
/// Once fulfilled the word is the keccak256 output hash. A keccak256 hash below 2^184 (odds 2^-72) is
/// refused by `fulfill`, so a fulfilled word can never read as a state word.
type RequestSlot is bytes32;

using RequestSlotLib for RequestSlot global;

/// @title RequestSlotLib
/// @notice Builds and reads `RequestSlot` words, so the coordinator reads as protocol logic.
library RequestSlotLib {
    /// @dev Words below this are state words; a fulfilled request's output hash is at or above it.
    uint256 internal constant STATE_WORD_LIMIT = 1 << 184;
    uint256 private constant _STATE_MASK = 0xff;
    uint256 private constant _VERIFIER_MASK = (1 << 160) - 1;
    uint256 private constant _OPEN = 1;
    uint256 private constant _REFUNDED = 2;
    uint256 private constant _ACCEPTED = 3;

    /// @notice The word of a request nobody has made.
    RequestSlot internal constant NONE = RequestSlot.wrap(bytes32(0));
    /// @notice The word of a refunded request.
    RequestSlot internal constant REFUNDED = RequestSlot.wrap(bytes32(_REFUNDED));

    /// @notice An open request that the `pinned` verifier will check.
    function open(address pinned) internal pure returns (RequestSlot) {
        return RequestSlot.wrap(bytes32((uint256(uint160(pinned)) << 8) | _OPEN));
    }

    /// @notice The same pending request, accepted by its operator while the pause epoch was `epoch`.
    function accepted(RequestSlot self, uint16 epoch) internal pure returns (RequestSlot) {
        uint256 verifierBits = uint256(RequestSlot.unwrap(self)) & (_VERIFIER_MASK << 8);
        return RequestSlot.wrap(bytes32((uint256(epoch) << 168) | verifierBits | _ACCEPTED));
    }

    /// @notice A fulfilled request's word: its output hash (the caller has checked `isReservedHash`).
    function fulfilled(bytes32 hash) internal pure returns (RequestSlot) {
        return RequestSlot.wrap(hash);
    }

    /// @notice Whether `outputHash` falls in the state-word range, so it cannot be stored as a result.
    function isReservedHash(bytes32 hash) internal pure returns (bool) {
        return uint256(hash) < STATE_WORD_LIMIT;
    }

    /// @notice Open or accepted: the request can still be fulfilled or refunded.
    function isPending(RequestSlot self) internal pure returns (bool) {
        uint256 word = uint256(RequestSlot.unwrap(self));
        uint256 state = word & _STATE_MASK;
        return word < STATE_WORD_LIMIT && (state == _OPEN || state == _ACCEPTED);
    }

    /// @notice Pending and accepted by its operator (missing the deadline may be slashed).
    function isAccepted(RequestSlot self) internal pure returns (bool) {
        uint256 word = uint256(RequestSlot.unwrap(self));
        return word < STATE_WORD_LIMIT && (word & _STATE_MASK) == _ACCEPTED;
    }

    /// @notice Whether the request was ever made (any word but zero).
    function exists(RequestSlot self) internal pure returns (bool) {
        return RequestSlot.unwrap(self) != bytes32(0);
    }

    /// @notice The verifier pinned in a pending request's word.
    function verifier(RequestSlot self) internal pure returns (address) {
        return address(uint160(uint256(RequestSlot.unwrap(self)) >> 8));
    }

    /// @notice The pause epoch recorded when an accepted request was accepted.
    function acceptedEpoch(RequestSlot self) internal pure returns (uint16) {
        return uint16(uint256(RequestSlot.unwrap(self)) >> 168);
    }

    /// @notice The output hash of a fulfilled request, zero otherwise.
    function outputHash(RequestSlot self) internal pure returns (bytes32) {
        bytes32 word = RequestSlot.unwrap(self);
        return uint256(word) >= STATE_WORD_LIMIT ? word : bytes32(0);
    }

    /// @notice The lifecycle status the word stands for.
    function status(RequestSlot self) internal pure returns (RequestStatus) {
        uint256 word = uint256(RequestSlot.unwrap(self));
        if (word == 0) return RequestStatus.None;
        if (word >= STATE_WORD_LIMIT) return RequestStatus.Fulfilled;
        uint256 state = word & _STATE_MASK;
        if (state == _OPEN) return RequestStatus.Open;
        if (state == _ACCEPTED) return RequestStatus.Accepted;
        return RequestStatus.Refunded;
    }
}
