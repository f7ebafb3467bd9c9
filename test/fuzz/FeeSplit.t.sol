// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IInferenceCoordinator} from "../../contracts/interfaces/IInferenceCoordinator.sol";
import {BPS, Request, RequestStatus} from "../../contracts/libraries/VerityTypes.sol";

import {VM} from "./Vm.sol";
import {VerityFixture} from "./VerityFixture.sol";

/// @notice End-to-end fuzz of the fee split against the real contracts: request with a fuzzed price,
/// tip, royalty and protocol fee, fulfil with a real enclave signature, and check that operator +
/// model (royalties accrued to it) + protocol receive exactly the fee, no more and no less, and that
/// the coordinator ends up holding nothing once the owner claimed and everyone withdrew.
contract FeeSplitTest is VerityFixture {
    bytes internal constant INPUT = hex"0102030405060708";
    bytes internal constant OUTPUT = hex"00000000000000000000000000000000000000000000000000000000000000a5";

    function setUp() public {
        _deployVerity();
    }

    function testFuzz_feeSplit_neverCreatesOrLosesAWei(
        uint96 price,
        uint16 royaltyBps,
        uint16 protocolFeeBps,
        uint96 tip,
        bool assigned
    ) public {
        royaltyBps = uint16(_bound(royaltyBps, 0, BPS));
        protocolFeeBps = uint16(_bound(protocolFeeBps, 0, coordinator.MAX_PROTOCOL_FEE_BPS()));
        tip = uint96(_bound(tip, 0, type(uint96).max - price));
        uint256 fee = uint256(price) + tip;

        coordinator.setProtocolFee(protocolFeeBps);
        VM.prank(modelOwner);
        registry.setPricing(modelId, price, royaltyBps);
        _fund(requester, fee);

        (Request memory req, uint256 requestId) = _request(
            requester,
            _params(assigned ? operator1 : address(0), tip, 600, INPUT)
        );

        // The split pinned at request time.
        uint256 expectedProtocolFee = (fee * protocolFeeBps) / BPS;
        uint256 expectedRoyalty = (uint256(price) * royaltyBps) / BPS;
        if (expectedRoyalty > fee - expectedProtocolFee) expectedRoyalty = fee - expectedProtocolFee;
        _assertEq(req.fee, fee, "pinned fee");
        _assertEq(req.protocolFee, expectedProtocolFee, "pinned protocol fee");
        _assertEq(req.royalty, expectedRoyalty, "pinned royalty");
        _assertTrue(uint256(req.royalty) + req.protocolFee <= req.fee, "royalty + protocol fee <= fee");
        _assertEq(token.balanceOf(address(coordinator)), fee, "escrow pulled");
        _assertEq(token.balanceOf(requester), 0, "requester paid everything");
        _assertEq(coordinator.balanceOf(requester), 0, "requester internal balance");

        _fulfil(req, OUTPUT, operator1, ENCLAVE_PK_1);
        _assertTrue(coordinator.requestStatus(requestId) == RequestStatus.Fulfilled, "fulfilled");

        uint256 toOperator = coordinator.balanceOf(operator1);
        uint256 toOwner = coordinator.royaltiesOf(modelId);
        uint256 toProtocol = coordinator.protocolFeesAccrued();
        _assertEq(toOperator + toOwner + toProtocol, fee, "operator + royalties + protocol == fee");
        _assertEq(toOwner, expectedRoyalty, "royalty accrued to the model");
        _assertEq(coordinator.balanceOf(modelOwner), 0, "owner balance untouched by fulfil");
        _assertEq(toProtocol, expectedProtocolFee, "protocol fee accrued");
        _assertEq(toOperator, fee - expectedRoyalty - expectedProtocolFee, "operator credited the rest");
        _assertEq(token.balanceOf(address(coordinator)), fee, "fulfil moves no tokens");

        // The owner claims the royalties into their balance (nothing to claim reverts).
        if (toOwner == 0) {
            _assertClaimReverts(
                modelOwner,
                _ids(modelId),
                abi.encodeWithSelector(IInferenceCoordinator.CoordinatorNothingToWithdraw.selector)
            );
        } else {
            VM.prank(modelOwner);
            _assertEq(coordinator.claimRoyalties(_ids(modelId)), toOwner, "claimed == accrued");
        }
        _assertEq(coordinator.balanceOf(modelOwner), toOwner, "owner credited the royalty");
        _assertEq(coordinator.royaltiesOf(modelId), 0, "royalties reset");
        _assertEq(token.balanceOf(address(coordinator)), fee, "claim moves no tokens");

        // Everyone takes their share out: the coordinator is left with exactly nothing.
        if (toOperator != 0) {
            VM.prank(operator1);
            coordinator.withdraw(toOperator, operator1);
        }
        if (toOwner != 0) {
            VM.prank(modelOwner);
            coordinator.withdraw(toOwner, modelOwner);
        }
        if (toProtocol != 0) coordinator.withdrawProtocolFees();
        _assertEq(token.balanceOf(operator1), toOperator, "operator token balance");
        _assertEq(token.balanceOf(modelOwner), toOwner, "owner token balance");
        _assertEq(token.balanceOf(treasury), toProtocol, "treasury token balance");
        _assertEq(token.balanceOf(address(coordinator)), 0, "coordinator drained exactly");
    }

    /// @dev Same property when the fee is paid partly from a deposit and partly pulled, and the
    /// model owner is the operator itself (its claim lands on the balance its payout went to).
    function testFuzz_feeSplit_partialDepositAndOwnerIsOperator(
        uint96 price,
        uint16 royaltyBps,
        uint16 protocolFeeBps,
        uint96 tip,
        uint96 deposited
    ) public {
        royaltyBps = uint16(_bound(royaltyBps, 0, BPS));
        protocolFeeBps = uint16(_bound(protocolFeeBps, 0, coordinator.MAX_PROTOCOL_FEE_BPS()));
        tip = uint96(_bound(tip, 0, type(uint96).max - price));
        uint256 fee = uint256(price) + tip;
        deposited = uint96(_bound(deposited, 1, type(uint96).max));

        coordinator.setProtocolFee(protocolFeeBps);
        VM.prank(modelOwner);
        registry.setPricing(modelId, price, royaltyBps);
        VM.prank(modelOwner);
        registry.transferModelOwnership(modelId, operator2);
        VM.prank(operator2);
        registry.acceptModelOwnership(modelId);

        _fund(requester, uint256(deposited) + fee);
        VM.prank(requester);
        coordinator.deposit(deposited);

        (Request memory req, ) = _request(requester, _params(address(0), tip, 600, INPUT));
        uint256 expectedRequesterBalance = deposited >= fee ? deposited - fee : 0;
        _assertEq(coordinator.balanceOf(requester), expectedRequesterBalance, "requester balance after request");
        _assertEq(
            token.balanceOf(address(coordinator)),
            expectedRequesterBalance + fee,
            "coordinator holds balance + escrow"
        );

        _fulfil(req, OUTPUT, operator2, ENCLAVE_PK_2);
        _assertEq(coordinator.royaltiesOf(modelId), req.royalty, "royalty accrued to the model");
        _assertEq(
            coordinator.balanceOf(operator2),
            uint256(req.fee) - req.royalty - req.protocolFee,
            "operator credited its payout only"
        );
        _assertEq(
            coordinator.balanceOf(operator2) + coordinator.royaltiesOf(modelId) + coordinator.protocolFeesAccrued(),
            fee,
            "operator + royalties + protocol == fee"
        );
        _assertEq(coordinator.protocolFeesAccrued(), req.protocolFee, "protocol fee");
        _assertEq(
            token.balanceOf(address(coordinator)),
            coordinator.balanceOf(requester) +
                coordinator.balanceOf(operator2) +
                coordinator.royaltiesOf(modelId) +
                coordinator.protocolFeesAccrued(),
            "coordinator tokens == internal balances + royalties + accrued fees"
        );

        // The previous owner cannot claim; the operator-owner claims onto its payout.
        _assertClaimReverts(
            modelOwner,
            _ids(modelId),
            abi.encodeWithSelector(
                IInferenceCoordinator.CoordinatorNotModelOwner.selector,
                modelId,
                operator2,
                modelOwner
            )
        );
        if (req.royalty == 0) {
            _assertClaimReverts(
                operator2,
                _ids(modelId),
                abi.encodeWithSelector(IInferenceCoordinator.CoordinatorNothingToWithdraw.selector)
            );
        } else {
            VM.prank(operator2);
            _assertEq(coordinator.claimRoyalties(_ids(modelId)), req.royalty, "claimed == accrued");
        }
        _assertEq(coordinator.balanceOf(operator2), fee - req.protocolFee, "operator-owner holds fee - protocol fee");
        _assertEq(coordinator.royaltiesOf(modelId), 0, "royalties reset");
    }
}
