// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IResultVerifier} from "../interfaces/IResultVerifier.sol";
import {IPoseidon5} from "../interfaces/IPoseidon5.sol";
import {IZkVerifier} from "../interfaces/IZkVerifier.sol";
import {BN254_SCALAR_FIELD, MODE_ZK, ResultClaim} from "../libraries/VerityTypes.sol";

/// @title ZkVerifier
/// @notice ZK mode's entry in the coordinator: registering it enables the mode. Each request's result is
/// checked by the verifier of its model version (an `IGroth16ResultVerifier`, generated per circuit), which
/// the coordinator pins when the request is made; `verify` here routes a claim to that same verifier
/// through the registry, for integrators re-checking a result. Also the on-chain selective-disclosure
/// check of an input commitment, with circomlibjs's generated Poseidon.
contract ZkVerifier is IZkVerifier {
    /// @notice BN254 scalar field order: public signals and Poseidon values are below it.
    uint256 public constant SNARK_SCALAR_FIELD = BN254_SCALAR_FIELD;
    /// @notice Circuit inputs are range-checked to [0, INPUT_LIMIT).
    uint256 public constant INPUT_LIMIT = 1 << 16;

    IModelRegistry public immutable registry;
    IPoseidon5 public immutable poseidon;

    constructor(IModelRegistry registry_, IPoseidon5 poseidon_) {
        if (address(registry_) == address(0)) revert ZkInvalidAddress("registry");
        if (address(poseidon_) == address(0)) revert ZkInvalidAddress("poseidon");
        registry = registry_;
        poseidon = poseidon_;
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

    /// @inheritdoc IZkVerifier
    function checkDisclosure(bytes32 commitment, uint256[4] calldata input, uint256 salt) external view returns (bool) {
        if (salt >= SNARK_SCALAR_FIELD) return false;
        uint256[5] memory preimage;
        for (uint256 i; i < 4; ++i) {
            if (input[i] >= INPUT_LIMIT) return false;
            preimage[i] = input[i];
        }
        preimage[4] = salt;
        return poseidon.poseidon(preimage) == uint256(commitment);
    }
}
