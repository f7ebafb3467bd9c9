// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IResultVerifier} from "../interfaces/IResultVerifier.sol";
import {IZkVerifier} from "../interfaces/IZkVerifier.sol";
import {MODE_ZK, ResultClaim} from "../libraries/VerityTypes.sol";

/// @title ZkVerifier
/// @notice ZK mode's entry in the coordinator: registering it enables the mode. Each request's result is
/// checked by the verifier of its model version (an `IGroth16ResultVerifier`, generated per circuit), which
/// the coordinator pins when the request is made; `verify` here routes a claim to that same verifier
/// through the registry, for integrators re-checking a result. A ZK request's input commitment is the
/// root of its record's per-field Poseidon tree: fields are disclosed against it by FieldDisclosureVerifier.
contract ZkVerifier is IZkVerifier {
    IModelRegistry public immutable registry;

    constructor(IModelRegistry registry_) {
        if (address(registry_) == address(0)) revert ZkInvalidAddress("registry");
        registry = registry_;
    }

    /// @inheritdoc IResultVerifier
    /// @return record The version's verifier that accepted the proof (its errors are passed through).
    function verify(ResultClaim calldata claim, bytes calldata proof) external returns (bytes32 record) {
        address verifier = registry.zkVerifierOf(claim.modelId, claim.version);
        if (verifier == address(0)) revert ZkNoVerifier(claim.modelId, claim.version);
        return IResultVerifier(verifier).verify(claim, proof);
    }

    /// @inheritdoc IResultVerifier
    function mode() external pure returns (uint8) {
        return MODE_ZK;
    }
}
