// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IInferenceCoordinator} from "../../contracts/interfaces/IInferenceCoordinator.sol";
import {IOperatorStaking} from "../../contracts/interfaces/IOperatorStaking.sol";
import {Request, RequestStatus} from "../../contracts/libraries/VerityTypes.sol";

import {VM} from "./Vm.sol";
import {VerityFixture} from "./VerityFixture.sol";

/// @notice Stateful fuzz of the coordinator's money flows. Each run replays 30 actions derived from a
/// fuzzed seed (deposit, request, acceptance by the assigned operator, fulfil, batch fulfil, refund
/// after the deadline with a slash of an operator that accepted, withdraw, protocol-fee withdrawal, price / fee / ownership changes, claims of
/// slashed funds, top-ups of stake, royalty claims by the model's current owner) and after every action checks that
///   token.balanceOf(coordinator) == Σ internal balances + open escrow + accrued protocol fees + royalties of the model
///   token.balanceOf(staking)     == Σ (staked + unbonding) + Σ claimable slashed funds
///   staking.lockedOf(operator)   == Σ penalties of its accepted, unsettled requests <= its active stake
/// with every action's own effect checked exactly.
contract CoordinatorInvariantTest is VerityFixture {
    uint256 internal constant ACTIONS = 30;
    uint256 internal constant MISSED_DEADLINE_PENALTY = 700e18;
    bytes internal constant INPUT = hex"deadbeef";

    address[3] internal requesters;
    address[2] internal operators;
    uint256[2] internal enclavePks;
    /// Every account that can hold a coordinator balance or a claim on slashed funds.
    address[] internal actors;

    Request[] internal openRequests;
    uint256 internal openEscrow;
    uint256 internal outputNonce;
    /// Ghost of `coordinator.royaltiesOf(modelId)`.
    uint256 internal ghostRoyalties;
    /// How often each kind of action actually did something (see `_run`), to show the run is not vacuous.
    uint256[15] internal hits;
    /// Requests their assigned operator accepted (only those are slashed on refund).
    mapping(uint256 requestId => bool) internal accepted;
    /// Ghost of `staking.lockedOf(operator)`: the penalties its accepted, unsettled requests reserve.
    mapping(address operator => uint256) internal ghostLocked;

    function setUp() public {
        _deployVerity();
        coordinator.setMissedDeadlinePenalty(MISSED_DEADLINE_PENALTY);
        requesters = [requester, _actor("requester2"), _actor("requester3")];
        operators = [operator1, operator2];
        enclavePks = [ENCLAVE_PK_1, ENCLAVE_PK_2];
        for (uint256 i = 0; i < requesters.length; ++i) {
            _fund(requesters[i], 1_000_000e18);
            actors.push(requesters[i]);
        }
        actors.push(operator1);
        actors.push(operator2);
        actors.push(modelOwner);
        actors.push(treasury);
    }

    function testFuzz_invariant_tokensBackEveryBalance(uint256 seed) public {
        _run(seed);
    }

    /// @dev Fixed seeds: every kind of action must have taken effect at least once.
    function test_invariant_runsEveryAction() public {
        for (uint256 seed = 1; seed <= 20; ++seed) _run(seed);
        for (uint256 i = 0; i < hits.length; ++i) {
            if (hits[i] == 0) revert AssertionFailed("action never took effect", i, 1);
        }
    }

    function _run(uint256 seed) internal {
        _checkInvariants();
        for (uint256 i = 0; i < ACTIONS; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 action = r % 14;
            r >>= 8;
            if (action == 0) _deposit(r);
            else if (action <= 3) _requestAction(r);
            else if (action <= 5) _fulfilAction(r);
            else if (action == 6) _fulfilBatchAction(r);
            else if (action == 7) _refundAction(r);
            else if (action == 8) _withdrawAction(r);
            else if (action == 9) _governanceAction(r);
            else if (action == 10) _ownershipAction();
            else if (action == 11) _stakingAction(r);
            else if (action == 12) _acceptAction(r);
            else _claimRoyaltiesAction(r);
            _checkInvariants();
        }
    }

    // ---------------------------------------------------------------- actions

    function _deposit(uint256 r) internal {
        address who = requesters[r % 3];
        uint256 amount = _bound(r >> 8, 1, 500e18);
        uint256 before = coordinator.balanceOf(who);
        VM.prank(who);
        coordinator.deposit(amount);
        _assertEq(coordinator.balanceOf(who), before + amount, "deposit credited");
        ++hits[0];
    }

    function _requestAction(uint256 r) internal {
        address who = requesters[r % 3];
        uint96 tip = uint96(_bound(r >> 8, 0, 5e18));
        uint64 timeout = uint64(_bound(r >> 80, 60, 2 hours));
        uint256 pick = (r >> 120) % 3;
        address operator = pick == 0 ? address(0) : operators[pick - 1];
        if (operator != address(0) && !staking.isEligible(operator)) operator = address(0);

        uint256 balanceBefore = coordinator.balanceOf(who);
        uint256 tokensBefore = token.balanceOf(who);
        (Request memory req, uint256 requestId) = _request(who, _params(operator, tip, timeout, INPUT));
        uint256 fromBalance = balanceBefore < req.fee ? balanceBefore : req.fee;
        _assertEq(coordinator.balanceOf(who), balanceBefore - fromBalance, "request debits the balance");
        _assertEq(tokensBefore - token.balanceOf(who), req.fee - fromBalance, "request pulls the shortfall");
        _assertTrue(coordinator.requestStatus(requestId) == RequestStatus.Open, "request open");
        _assertTrue(uint256(req.royalty) + req.protocolFee <= req.fee, "split fits the fee");
        openRequests.push(req);
        openEscrow += req.fee;
        ++hits[1];
    }

    function _fulfilAction(uint256 r) internal {
        (bool found, uint256 index, address operator, uint256 pk) = _pickFulfillable(r);
        if (!found) return;
        Request memory req = openRequests[index];
        address owner = registry.ownerOf(req.modelId);
        uint256 operatorBefore = coordinator.balanceOf(operator);
        uint256 ownerBefore = coordinator.balanceOf(owner);
        uint256 royaltiesBefore = coordinator.royaltiesOf(req.modelId);
        uint256 accruedBefore = coordinator.protocolFeesAccrued();
        uint256 tokensBefore = token.balanceOf(address(coordinator));

        bytes memory output = _nextOutput();
        _fulfil(req, output, operator, pk);
        _removeOpen(index);

        _assertTrue(coordinator.checkOutput(uint256(keccak256(abi.encode(req))), output), "output recorded");
        _assertEq(coordinator.protocolFeesAccrued(), accruedBefore + req.protocolFee, "protocol fee accrued");
        // The royalty accrues to the model; the owner's balance only moves if the owner is the operator.
        _assertEq(coordinator.royaltiesOf(req.modelId), royaltiesBefore + req.royalty, "royalty accrued");
        ghostRoyalties += req.royalty;
        _assertEq(
            coordinator.balanceOf(operator),
            operatorBefore + req.fee - req.royalty - req.protocolFee,
            "operator credited"
        );
        if (owner != operator) _assertEq(coordinator.balanceOf(owner), ownerBefore, "owner balance untouched");
        _assertEq(token.balanceOf(address(coordinator)), tokensBefore, "fulfil moves no tokens");
        ++hits[2];
    }

    /// @dev Fulfils up to three open requests in one batch, with the first one repeated so the batch
    /// also skips a request that is no longer open.
    function _fulfilBatchAction(uint256 r) internal {
        address operator = operators[r % 2];
        uint256 pk = enclavePks[r % 2];
        if (!staking.isEligible(operator)) return;
        Request[] memory picked = new Request[](3);
        uint256 n;
        for (uint256 i = 0; i < openRequests.length && n < 3; ++i) {
            Request memory req = openRequests[i];
            if (block.timestamp > req.deadline) continue;
            if (req.operator != address(0) && req.operator != operator) continue;
            picked[n++] = req;
        }
        if (n == 0) return;
        Request[] memory batch = new Request[](n + 1);
        bytes[] memory outputs = new bytes[](n + 1);
        bytes[] memory proofs = new bytes[](n + 1);
        uint256 fees;
        uint256 royalties;
        for (uint256 i = 0; i < n; ++i) {
            batch[i] = picked[i];
            outputs[i] = _nextOutput();
            proofs[i] = _sign(pk, _claim(picked[i], outputs[i], operator));
            fees += picked[i].fee;
            royalties += picked[i].royalty;
        }
        batch[n] = picked[0];
        outputs[n] = outputs[0];
        proofs[n] = proofs[0];

        uint256 creditsBefore = _sumBalances() + coordinator.protocolFeesAccrued();
        uint256 royaltiesBefore = coordinator.royaltiesOf(modelId);
        VM.prank(operator);
        uint256 fulfilled = coordinator.fulfillBatch(batch, outputs, proofs);
        _assertEq(fulfilled, n, "batch fulfilled count");
        _assertEq(coordinator.royaltiesOf(modelId), royaltiesBefore + royalties, "batch royalties accrued");
        ghostRoyalties += royalties;
        _assertEq(
            _sumBalances() + coordinator.protocolFeesAccrued(),
            creditsBefore + fees - royalties,
            "batch credits == fees - royalties"
        );
        for (uint256 i = 0; i < n; ++i) {
            _removeOpen(_indexOf(picked[i]));
        }
        ++hits[3];
    }

    /// @dev The assigned operator of an open, unexpired request accepts it.
    function _acceptAction(uint256 r) internal {
        uint256 n = openRequests.length;
        for (uint256 k = 0; k < n; ++k) {
            Request memory req = openRequests[(r + k) % n];
            uint256 requestId = uint256(keccak256(abi.encode(req)));
            if (req.operator == address(0) || accepted[requestId] || block.timestamp > req.deadline) continue;
            if (!staking.isEligible(req.operator)) continue;
            // Accepting reserves the penalty: only an operator with enough free stake can accept.
            if (staking.stakeOf(req.operator).staked - staking.lockedOf(req.operator) < MISSED_DEADLINE_PENALTY) {
                continue;
            }
            VM.prank(req.operator);
            coordinator.acceptRequest(req);
            accepted[requestId] = true;
            ghostLocked[req.operator] += MISSED_DEADLINE_PENALTY;
            _assertEq(staking.lockedOf(req.operator), ghostLocked[req.operator], "penalty locked on accept");
            _assertTrue(coordinator.requestStatus(requestId) == RequestStatus.Accepted, "request accepted");
            ++hits[12];
            return;
        }
    }

    function _refundAction(uint256 r) internal {
        if (openRequests.length == 0) return;
        uint256 index = r % openRequests.length;
        Request memory req = openRequests[index];
        if (block.timestamp <= req.deadline) VM.warp(uint256(req.deadline) + 1);

        uint256 requesterBefore = coordinator.balanceOf(req.requester);
        uint256 available;
        uint256 beneficiaryClaimBefore = staking.claimableOf(req.requester);
        uint256 treasuryClaimBefore = staking.claimableOf(treasury);
        bool slashable = accepted[uint256(keccak256(abi.encode(req)))];
        if (req.operator != address(0)) {
            IOperatorStaking.OperatorStake memory s = staking.stakeOf(req.operator);
            available = uint256(s.staked) + s.unbonding;
        }
        VM.prank(requesters[(r >> 8) % 3]);
        coordinator.refund(req);
        _removeOpen(index);

        _assertEq(coordinator.balanceOf(req.requester), requesterBefore + req.fee, "refund credited");
        ++hits[4];
        if (req.operator != address(0)) {
            // Only an operator that accepted the request is slashed for missing its deadline.
            uint256 penalty = slashable ? MISSED_DEADLINE_PENALTY : 0;
            uint256 slashed = available < penalty ? available : penalty;
            IOperatorStaking.OperatorStake memory s = staking.stakeOf(req.operator);
            _assertEq(uint256(s.staked) + s.unbonding, available - slashed, "operator slashed");
            uint256 toBeneficiary = (slashed * BENEFICIARY_SHARE_BPS) / 10_000;
            _assertEq(staking.claimableOf(req.requester), beneficiaryClaimBefore + toBeneficiary, "requester claim");
            _assertEq(staking.claimableOf(treasury), treasuryClaimBefore + slashed - toBeneficiary, "treasury claim");
            if (slashed != 0) ++hits[5];
        }
    }

    function _withdrawAction(uint256 r) internal {
        if ((r & 3) == 0) {
            uint256 accrued = coordinator.protocolFeesAccrued();
            if (accrued == 0) return;
            uint256 treasuryTokens = token.balanceOf(treasury);
            coordinator.withdrawProtocolFees();
            _assertEq(token.balanceOf(treasury), treasuryTokens + accrued, "protocol fees paid");
            _assertEq(coordinator.protocolFeesAccrued(), 0, "protocol fees reset");
            ++hits[7];
            return;
        }
        address who = actors[(r >> 8) % actors.length];
        uint256 balance = coordinator.balanceOf(who);
        if (balance == 0) return;
        uint256 amount = _bound(r >> 16, 1, balance);
        uint256 tokensBefore = token.balanceOf(who);
        VM.prank(who);
        coordinator.withdraw(amount, who);
        _assertEq(coordinator.balanceOf(who), balance - amount, "withdraw debited");
        _assertEq(token.balanceOf(who), tokensBefore + amount, "withdraw paid");
        ++hits[6];
    }

    function _governanceAction(uint256 r) internal {
        if ((r & 1) == 0) {
            coordinator.setProtocolFee(_bound(r >> 8, 0, coordinator.MAX_PROTOCOL_FEE_BPS()));
        } else {
            uint96 price = uint96(_bound(r >> 8, 0, 50e18));
            uint16 royalty = uint16(_bound(r >> 112, 0, 10_000));
            VM.prank(registry.ownerOf(modelId));
            registry.setPricing(modelId, price, royalty);
        }
        ++hits[8];
    }

    /// @dev Moves the model between its creator and a requester: royalties follow the current owner.
    function _ownershipAction() internal {
        address current = registry.ownerOf(modelId);
        address next = current == modelOwner ? requesters[0] : modelOwner;
        VM.prank(current);
        registry.transferModelOwnership(modelId, next);
        VM.prank(next);
        registry.acceptModelOwnership(modelId);
        _assertEq(uint160(registry.ownerOf(modelId)), uint160(next), "ownership moved");
        ++hits[9];
    }

    function _stakingAction(uint256 r) internal {
        if ((r & 1) == 0) {
            // Top an operator back up above the minimum after slashes.
            address operator = operators[(r >> 8) % 2];
            if (!staking.isEligible(operator)) {
                _stake(operator, MIN_STAKE);
                ++hits[10];
            }
            return;
        }
        address who = actors[(r >> 8) % actors.length];
        uint256 claim = staking.claimableOf(who);
        if (claim == 0) return;
        uint256 tokensBefore = token.balanceOf(who);
        VM.prank(who);
        staking.claimSlashed(who);
        _assertEq(token.balanceOf(who), tokensBefore + claim, "slashed funds claimed");
        _assertEq(staking.claimableOf(who), 0, "claim reset");
        ++hits[11];
    }

    /// @dev The model's current owner claims its royalties (nothing accrued: reverts); a non-owner's claim
    /// reverts first.
    function _claimRoyaltiesAction(uint256 r) internal {
        address owner = registry.ownerOf(modelId);
        address stranger = actors[r % actors.length];
        if (stranger != owner) {
            _assertClaimReverts(
                stranger,
                _ids(modelId),
                abi.encodeWithSelector(
                    IInferenceCoordinator.CoordinatorNotModelOwner.selector,
                    modelId,
                    owner,
                    stranger
                )
            );
        }
        uint256 accrued = coordinator.royaltiesOf(modelId);
        if (accrued == 0) {
            _assertClaimReverts(
                owner,
                _ids(modelId),
                abi.encodeWithSelector(IInferenceCoordinator.CoordinatorNothingToWithdraw.selector)
            );
            ++hits[14];
            return;
        }
        uint256 balanceBefore = coordinator.balanceOf(owner);
        uint256 tokensBefore = token.balanceOf(address(coordinator));
        VM.prank(owner);
        _assertEq(coordinator.claimRoyalties(_ids(modelId)), accrued, "claimed == accrued");
        _assertEq(coordinator.balanceOf(owner), balanceBefore + accrued, "owner credited the royalties");
        _assertEq(coordinator.royaltiesOf(modelId), 0, "royalties reset");
        _assertEq(token.balanceOf(address(coordinator)), tokensBefore, "claim moves no tokens");
        ghostRoyalties = 0;
        ++hits[13];
    }

    // ---------------------------------------------------------------- invariants

    function _checkInvariants() internal view {
        _assertEq(
            token.balanceOf(address(coordinator)),
            _sumBalances() + openEscrow + coordinator.protocolFeesAccrued() + coordinator.royaltiesOf(modelId),
            "coordinator tokens == balances + open escrow + protocol fees + royalties"
        );
        _assertEq(coordinator.royaltiesOf(modelId), ghostRoyalties, "ghost royalties");
        uint256 escrow;
        for (uint256 i = 0; i < openRequests.length; ++i) {
            uint256 requestId = uint256(keccak256(abi.encode(openRequests[i])));
            _assertTrue(
                coordinator.requestStatus(requestId) ==
                    (accepted[requestId] ? RequestStatus.Accepted : RequestStatus.Open),
                "tracked request open or accepted"
            );
            escrow += openRequests[i].fee;
        }
        _assertEq(escrow, openEscrow, "ghost escrow");

        uint256 stakes;
        for (uint256 i = 0; i < operators.length; ++i) {
            IOperatorStaking.OperatorStake memory s = staking.stakeOf(operators[i]);
            stakes += uint256(s.staked) + s.unbonding;
            uint256 locked = staking.lockedOf(operators[i]);
            _assertEq(locked, ghostLocked[operators[i]], "locked == penalties of accepted requests");
            _assertTrue(locked <= s.staked, "locked <= active stake");
        }
        uint256 claims;
        for (uint256 i = 0; i < actors.length; ++i) claims += staking.claimableOf(actors[i]);
        _assertEq(token.balanceOf(address(staking)), stakes + claims, "staking tokens == stakes + claims");
    }

    // ---------------------------------------------------------------- helpers

    function _pickFulfillable(
        uint256 r
    ) internal view returns (bool found, uint256 index, address operator, uint256 pk) {
        uint256 n = openRequests.length;
        for (uint256 k = 0; k < n; ++k) {
            index = (r + k) % n;
            Request memory req = openRequests[index];
            if (block.timestamp > req.deadline) continue;
            uint256 which = req.operator == address(0) ? (r >> 8) % 2 : (req.operator == operator1 ? 0 : 1);
            operator = operators[which];
            pk = enclavePks[which];
            if (staking.isEligible(operator)) return (true, index, operator, pk);
        }
        return (false, 0, address(0), 0);
    }

    function _nextOutput() internal returns (bytes memory) {
        return abi.encode(++outputNonce);
    }

    function _indexOf(Request memory req) internal view returns (uint256) {
        bytes32 id = keccak256(abi.encode(req));
        for (uint256 i = 0; i < openRequests.length; ++i) {
            if (keccak256(abi.encode(openRequests[i])) == id) return i;
        }
        revert AssertionFailedBytes32("request not tracked", id, bytes32(0));
    }

    /// @dev A request leaves the open set when fulfilled or refunded: either settles its locked penalty.
    function _removeOpen(uint256 index) internal {
        Request memory req = openRequests[index];
        if (accepted[uint256(keccak256(abi.encode(req)))]) ghostLocked[req.operator] -= MISSED_DEADLINE_PENALTY;
        openEscrow -= openRequests[index].fee;
        openRequests[index] = openRequests[openRequests.length - 1];
        openRequests.pop();
    }

    function _sumBalances() internal view returns (uint256 sum) {
        for (uint256 i = 0; i < actors.length; ++i) sum += coordinator.balanceOf(actors[i]);
    }
}
