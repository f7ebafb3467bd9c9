// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IrisMlpGroth16Verifier} from "../generated/IrisMlpGroth16Verifier.sol";

/// @title OtherKeyGroth16Verifier
/// @notice TEST ONLY. The iris verification key with delta replaced by gamma: a valid Groth16 key that is
/// not the iris circuit's, standing for another model version's circuit (an iris proof must fail here).
contract OtherKeyGroth16Verifier is IrisMlpGroth16Verifier {
    function _key() internal pure override returns (uint256[16] memory key) {
        key = super._key();
        for (uint256 i = 0; i < 4; ++i) key[12 + i] = key[8 + i];
    }
}
