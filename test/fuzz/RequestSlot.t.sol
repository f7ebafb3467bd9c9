// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RequestStatus} from "../../contracts/libraries/VerityTypes.sol";
import {RequestSlot, RequestSlotLib} from "../../contracts/types/RequestSlot.sol";

import {VM} from "./Vm.sol";

/// @notice Fuzz of the per-request word: state words and output hashes never read as each other, and
/// every field survives the transitions the coordinator makes.
contract RequestSlotTest {
    error AssertionFailed(string what);

    function testFuzz_requestSlot_openThenAcceptedKeepsVerifierAndRecordsEpoch(
        address verifier,
        uint16 epoch
    ) public pure {
        RequestSlot open = RequestSlotLib.open(verifier);
        _assert(open.status() == RequestStatus.Open, "open status");
        _assert(open.isPending() && !open.isAccepted() && open.exists(), "open is pending, not accepted");
        _assert(open.verifier() == verifier, "open keeps the verifier");
        _assert(open.outputHash() == bytes32(0), "open has no output hash");

        RequestSlot accepted = open.accepted(epoch);
        _assert(accepted.status() == RequestStatus.Accepted, "accepted status");
        _assert(accepted.isPending() && accepted.isAccepted(), "accepted is pending and accepted");
        _assert(accepted.verifier() == verifier, "accepted keeps the verifier");
        _assert(accepted.acceptedEpoch() == epoch, "accepted records the epoch");
        _assert(RequestSlotLib.isReservedHash(RequestSlot.unwrap(accepted)), "a state word is in the reserved range");
    }

    function testFuzz_requestSlot_outputHashNeverReadsAsPending(bytes32 outputHash) public pure {
        VM.assume(!RequestSlotLib.isReservedHash(outputHash));
        RequestSlot fulfilled = RequestSlotLib.fulfilled(outputHash);
        _assert(fulfilled.status() == RequestStatus.Fulfilled, "fulfilled status");
        _assert(!fulfilled.isPending() && !fulfilled.isAccepted(), "fulfilled is not pending");
        _assert(fulfilled.outputHash() == outputHash, "fulfilled keeps the output hash");
    }

    function test_requestSlot_refundedAndNone() public pure {
        _assert(RequestSlotLib.REFUNDED.status() == RequestStatus.Refunded, "refunded status");
        _assert(!RequestSlotLib.REFUNDED.isPending(), "refunded is not pending");
        _assert(RequestSlotLib.NONE.status() == RequestStatus.None && !RequestSlotLib.NONE.exists(), "none");
        // The largest state word (all verifier and epoch bits set, accepted) is still below the limit.
        RequestSlot top = RequestSlotLib.open(address(type(uint160).max)).accepted(type(uint16).max);
        uint256 word = uint256(RequestSlot.unwrap(top));
        _assert(word == RequestSlotLib.STATE_WORD_LIMIT - 256 + 3, "largest state word");
        _assert(top.isPending() && top.acceptedEpoch() == type(uint16).max, "largest state word is pending");
    }

    function _assert(bool ok, string memory what) private pure {
        if (!ok) revert AssertionFailed(what);
    }
}
