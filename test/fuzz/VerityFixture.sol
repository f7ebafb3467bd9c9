// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IInferenceCoordinator} from "../../contracts/interfaces/IInferenceCoordinator.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {InferenceCoordinator} from "../../contracts/inference/InferenceCoordinator.sol";
import {ModelRegistry} from "../../contracts/registry/ModelRegistry.sol";
import {OperatorStaking} from "../../contracts/staking/OperatorStaking.sol";
import {VerityTestToken} from "../../contracts/token/VerityTestToken.sol";
import {DevApprovedMeasurementAttestationVerifier} from "../../contracts/verifiers/DevApprovedMeasurementAttestationVerifier.sol";
import {TeeVerifier} from "../../contracts/verifiers/TeeVerifier.sol";
import {BPS, MODE_TEE, Request, RequestParams, ResultClaim} from "../../contracts/libraries/VerityTypes.sol";

import {VM, Vm} from "./Vm.sol";

/// @notice Deploys the real protocol (token, registry, staking, coordinator, TEE verifier with the dev
/// attestation verifier), one model and two staked operators with registered enclaves, and offers
/// helpers to request and fulfil with real EIP-712 enclave signatures (`vm.sign`).
abstract contract VerityFixture {
    error AssertionFailed(string what, uint256 actual, uint256 expected);
    error AssertionFailedBytes32(string what, bytes32 actual, bytes32 expected);

    uint256 internal constant MIN_STAKE = 1_000e18;
    uint256 internal constant OPERATOR_STAKE = 1_500e18;
    uint256 internal constant UNBONDING = 8 days + 1 hours;
    uint256 internal constant BENEFICIARY_SHARE_BPS = 5_000;
    uint256 internal constant EQUIVOCATION_PENALTY = 1_000e18;
    uint96 internal constant PRICE = 10e18;
    uint16 internal constant ROYALTY_BPS = 2_000;
    uint256 internal constant PROTOCOL_FEE_BPS = 500;
    bytes32 internal constant MEASUREMENT = keccak256("verity-dev-enclave-v1");
    bytes32 internal constant WEIGHTS_HASH = keccak256("model weights v1");

    uint256 internal constant ENCLAVE_PK_1 = 0xE1C1A7E1;
    uint256 internal constant ENCLAVE_PK_2 = 0xE1C1A7E2;

    address internal immutable treasury = _actor("treasury");
    address internal immutable modelOwner = _actor("modelOwner");
    address internal immutable operator1 = _actor("operator1");
    address internal immutable operator2 = _actor("operator2");
    address internal immutable requester = _actor("requester");

    VerityTestToken internal token;
    ModelRegistry internal registry;
    OperatorStaking internal staking;
    InferenceCoordinator internal coordinator;
    DevApprovedMeasurementAttestationVerifier internal attestation;
    TeeVerifier internal tee;
    bytes32 internal modelId;

    function _deployVerity() internal {
        token = new VerityTestToken(address(this), false);
        registry = new ModelRegistry(address(this));
        staking = new OperatorStaking(token, address(this), treasury, MIN_STAKE, UNBONDING, BENEFICIARY_SHARE_BPS);
        coordinator = new InferenceCoordinator(token, registry, staking, address(this), treasury, PROTOCOL_FEE_BPS);
        bytes32[] memory measurements = new bytes32[](1);
        measurements[0] = MEASUREMENT;
        attestation = new DevApprovedMeasurementAttestationVerifier(address(this), measurements, false);
        tee = new TeeVerifier(address(coordinator), staking, attestation, address(this), EQUIVOCATION_PENALTY);
        coordinator.setVerifier(MODE_TEE, address(tee));
        staking.grantRole(staking.SLASHER_ROLE(), address(coordinator));
        staking.grantRole(staking.SLASHER_ROLE(), address(tee));
        staking.grantRole(staking.LOCKER_ROLE(), address(coordinator));
        coordinator.setTimeouts(60, 7 days);

        VM.prank(modelOwner);
        modelId = registry.registerModel(
            "fuzz-model",
            PRICE,
            ROYALTY_BPS,
            uint8(1 << MODE_TEE),
            IModelRegistry.VersionInput({
                weightsHash: WEIGHTS_HASH,
                zkVerifier: address(0),
                uri: "verity://models/fuzz",
                runtime: "onnx",
                encoding: "bytes/bytes"
            })
        );

        _stakeAndRegister(operator1, ENCLAVE_PK_1);
        _stakeAndRegister(operator2, ENCLAVE_PK_2);
    }

    function _stakeAndRegister(address operator, uint256 enclavePk) internal {
        _stake(operator, OPERATOR_STAKE);
        address enclaveKey = VM.addr(enclavePk);
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(enclavePk, tee.registrationDigest(operator, enclaveKey));
        VM.prank(operator);
        tee.registerEnclave(enclaveKey, MEASUREMENT, "", abi.encodePacked(r, s, v));
    }

    function _stake(address operator, uint256 amount) internal {
        token.mint(operator, amount);
        VM.prank(operator);
        token.approve(address(staking), amount);
        VM.prank(operator);
        staking.stake(amount);
    }

    /// @dev Funds `account` with `amount` tokens and an unlimited allowance to the coordinator.
    function _fund(address account, uint256 amount) internal {
        token.mint(account, amount);
        VM.prank(account);
        token.approve(address(coordinator), type(uint256).max);
    }

    function _params(
        address operator,
        uint96 tip,
        uint64 timeout,
        bytes memory input
    ) internal view returns (RequestParams memory) {
        return
            RequestParams({
                modelId: modelId,
                version: 0,
                mode: MODE_TEE,
                operator: operator,
                callback: address(0),
                callbackGasLimit: 0,
                storeOutput: false,
                timeout: timeout,
                tip: tip,
                maxFee: 0,
                inputCommitment: bytes32(0),
                input: input
            });
    }

    /// @dev Requests as `from` and reads the pinned request back from `InferenceRequested`.
    function _request(address from, RequestParams memory p) internal returns (Request memory req, uint256 requestId) {
        VM.recordLogs();
        VM.prank(from);
        requestId = coordinator.requestInference(p);
        Vm.Log[] memory logs = VM.getRecordedLogs();
        bool found;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (
                logs[i].emitter == address(coordinator) &&
                logs[i].topics[0] == IInferenceCoordinator.InferenceRequested.selector
            ) {
                (req, ) = abi.decode(logs[i].data, (Request, bytes));
                found = true;
            }
        }
        _assertTrue(found, "InferenceRequested emitted");
        _assertEq(coordinator.requestIdOf(req), requestId, "requestId == keccak256(abi.encode(request))");
    }

    function _claim(
        Request memory req,
        bytes memory output,
        address operator
    ) internal pure returns (ResultClaim memory) {
        return
            ResultClaim({
                requestId: uint256(keccak256(abi.encode(req))),
                modelId: req.modelId,
                version: req.version,
                weightsHash: req.weightsHash,
                inputHash: req.inputHash,
                outputHash: keccak256(output),
                operator: operator
            });
    }

    function _sign(uint256 enclavePk, ResultClaim memory claim) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(enclavePk, tee.resultDigest(claim));
        return abi.encodePacked(r, s, v);
    }

    function _fulfil(Request memory req, bytes memory output, address operator, uint256 enclavePk) internal {
        bytes memory proof = _sign(enclavePk, _claim(req, output, operator));
        VM.prank(operator);
        coordinator.fulfill(req, output, proof);
    }

    function _ids(bytes32 id) internal pure returns (bytes32[] memory ids) {
        ids = new bytes32[](1);
        ids[0] = id;
    }

    /// @dev `from` claims the royalties of `ids`; checks that it reverts with exactly `expected`.
    function _assertClaimReverts(address from, bytes32[] memory ids, bytes memory expected) internal {
        VM.prank(from);
        (bool ok, bytes memory reason) = address(coordinator).call(
            abi.encodeCall(IInferenceCoordinator.claimRoyalties, (ids))
        );
        _assertTrue(!ok, "claimRoyalties reverts");
        _assertEqBytes32(keccak256(reason), keccak256(expected), "claimRoyalties revert data");
    }

    // ---------------------------------------------------------------- assertions and bounds

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (max < min) revert AssertionFailed("bound: max < min", max, min);
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    function _assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailed(what, actual, expected);
    }

    function _assertEqBytes32(bytes32 actual, bytes32 expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailedBytes32(what, actual, expected);
    }

    function _assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what, 0, 1);
    }

    function _actor(string memory name) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("verity.actor", name)))));
    }
}
