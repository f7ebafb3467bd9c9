// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IResultVerifier} from "../interfaces/IResultVerifier.sol";
import {IGroth16Verifier3, IPoseidon5, IZkVerifier} from "../interfaces/IZkVerifier.sol";
import {MODE_ZK, ResultClaim} from "../libraries/VerityTypes.sol";

/// @title ZkVerifier
/// @notice ZK mode. The proof is `abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256
/// outputClass)`; it must verify under the Groth16 verifier the registry pins for the request's model
/// version, with public signals [outputClass, inputHash, operator], where `inputHash` is the
/// requester's Poseidon commitment to the private input and `operator` the submitter. The output
/// bytes must be `abi.encode(outputClass)`. The input itself never reaches the chain.
contract ZkVerifier is IZkVerifier {
    /// @notice BN254 scalar field order: public signals and Poseidon values are below it.
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Circuit inputs are range-checked to [0, INPUT_LIMIT).
    uint256 public constant INPUT_LIMIT = 1 << 16;
    uint256 private constant _PROOF_BYTES = 9 * 32;

    IModelRegistry public immutable registry;
    IPoseidon5 public immutable poseidon;

    constructor(IModelRegistry registry_, IPoseidon5 poseidon_) {
        if (address(registry_) == address(0)) revert ZkInvalidAddress("registry");
        if (address(poseidon_) == address(0)) revert ZkInvalidAddress("poseidon");
        registry = registry_;
        poseidon = poseidon_;
    }

    /// @inheritdoc IResultVerifier
    /// @return record The Groth16 verifier that accepted the proof.
    function verify(ResultClaim calldata claim, bytes calldata proof) external view returns (bytes32 record) {
        address groth16 = registry.zkVerifierOf(claim.modelId, claim.version);
        if (groth16 == address(0)) revert ZkNoVerifier(claim.modelId, claim.version);
        if (proof.length != _PROOF_BYTES) revert ZkMalformedProof(claim.requestId, proof.length);
        (uint256[2] memory a, uint256[2][2] memory b, uint256[2] memory c, uint256 outputClass) = abi.decode(
            proof,
            (uint256[2], uint256[2][2], uint256[2], uint256)
        );
        if (keccak256(abi.encode(outputClass)) != claim.outputHash) {
            revert ZkOutputMismatch(claim.requestId, outputClass, claim.outputHash);
        }
        uint256 commitment = uint256(claim.inputHash);
        if (commitment >= SNARK_SCALAR_FIELD) revert ZkCommitmentOutOfField(claim.requestId, claim.inputHash);
        uint256[3] memory signals = [outputClass, commitment, uint256(uint160(claim.operator))];
        if (!IGroth16Verifier3(groth16).verifyProof(a, b, c, signals)) revert ZkInvalidProof(claim.requestId);
        return bytes32(uint256(uint160(groth16)));
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
