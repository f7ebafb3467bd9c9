// SPDX-License-Identifier: MIT
// TEST ONLY. Generated once with scripts/zk/artefacts.ts groth16VerifierSource from the iris verification key with
// delta replaced by gamma: a valid Groth16 verifier for a key that is not the iris circuit's, standing for another
// model version's circuit in tests (a proof of the iris circuit must not verify under it).
pragma solidity ^0.8.28;

import {Groth16ResultVerifier} from "../verifiers/Groth16ResultVerifier.sol";

/// @title OtherKeyGroth16Verifier
/// @notice Groth16 (BN254) verification key of one circuit with public signals [class, commitment].
/// T[k] = IC0 + k·IC1 is precomputed for each of the 3 classes, so vk_x = T[class] + commitment·IC2
/// takes one ecMul and one ecAdd, followed by one pairing check
/// e(-A, B)·e(alpha, beta)·e(vk_x, gamma)·e(C, delta) = 1.
contract OtherKeyGroth16Verifier is Groth16ResultVerifier {
    /// BN254 base field order: proof coordinates must lie below it.
    uint256 private constant _Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 private constant _CLASSES = 3;

    // T[k] = IC0 + k·IC1 (affine G1).
    uint256 private constant _T0_X = 18137385459312369736067023149315260106375176125272651844815346792130275337293;
    uint256 private constant _T0_Y = 4125313191903443506576250331658718703747968631768119506585452985784043586749;
    uint256 private constant _T1_X = 4453700839317160207986293647864719857716965402186338386781138185903976982524;
    uint256 private constant _T1_Y = 3231884040068810128218756336174861254737803392029710650537452300169662643645;
    uint256 private constant _T2_X = 1878710445820221560097816531681466436510755422098493836246395209144718722654;
    uint256 private constant _T2_Y = 15942412341996504205105988275647134006454726335523060610432799293387970859223;
    // IC2, the commitment's base (affine G1).
    uint256 private constant _IC2_X = 13530213796313820814227710919085343389077638841329476864829153210635811720737;
    uint256 private constant _IC2_Y = 370742291663886511529072877044752457987657614837709905560803600602835749879;
    // alpha (G1); beta, gamma, delta (G2, imaginary part first as the pairing precompile takes them).
    uint256 private constant _ALPHA_X = 20196962439868392748589618655117421918458616115758820423795591007332334045515;
    uint256 private constant _ALPHA_Y = 16863020922466461504052635241659497364916513731114649533333029738941646760992;
    uint256 private constant _BETA_X_IM = 6287453327743545767182389003360858250837956079926712246889643748286816519393;
    uint256 private constant _BETA_X_RE = 7293309718224788536438973025192446689793241542342458126516959459892937263814;
    uint256 private constant _BETA_Y_IM = 17293211960463298733019463594650099499958711671775521563108243173106027770908;
    uint256 private constant _BETA_Y_RE = 5333302166466232967901372604220645750120326222730388121052959811184348633915;
    uint256 private constant _GAMMA_X_IM =
        11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 private constant _GAMMA_X_RE =
        10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 private constant _GAMMA_Y_IM = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 private constant _GAMMA_Y_RE = 8495653923123431417604973247489272438418190587263600148770280649306958101930;
    uint256 private constant _DELTA_X_IM =
        11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 private constant _DELTA_X_RE =
        10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 private constant _DELTA_Y_IM = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 private constant _DELTA_Y_RE = 8495653923123431417604973247489272438418190587263600148770280649306958101930;

    function _classes() internal pure override returns (uint256) {
        return _CLASSES;
    }

    /// @dev Pairing input at m (free memory, not claimed): four (G1, G2) pairs of 0xc0 bytes each,
    /// (-A, B) at 0x000, (alpha, beta) at 0x0c0, (vk_x, gamma) at 0x180, (C, delta) at 0x240.
    /// vk_x is computed in place: commitment·IC2 at 0x1c0 (ecMul), then T[class] + it at 0x180 (ecAdd).
    function _verifyGroth16(
        uint256 proofOffset,
        uint256 outputClass,
        uint256 commitment
    ) internal view override returns (bool valid) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            valid := lt(outputClass, _CLASSES)
            valid := and(valid, lt(calldataload(proofOffset), _Q))
            valid := and(valid, lt(calldataload(add(proofOffset, 0x20)), _Q))
            valid := and(valid, lt(calldataload(add(proofOffset, 0x40)), _Q))
            valid := and(valid, lt(calldataload(add(proofOffset, 0x60)), _Q))
            valid := and(valid, lt(calldataload(add(proofOffset, 0x80)), _Q))
            valid := and(valid, lt(calldataload(add(proofOffset, 0xa0)), _Q))
            valid := and(valid, lt(calldataload(add(proofOffset, 0xc0)), _Q))
            valid := and(valid, lt(calldataload(add(proofOffset, 0xe0)), _Q))
            if valid {
                let m := mload(0x40)
                // vk_x = T[class] + commitment·IC2
                mstore(add(m, 0x1c0), _IC2_X)
                mstore(add(m, 0x1e0), _IC2_Y)
                mstore(add(m, 0x200), commitment)
                valid := staticcall(gas(), 0x07, add(m, 0x1c0), 0x60, add(m, 0x1c0), 0x40)
                switch outputClass
                case 0 {
                    mstore(add(m, 0x180), _T0_X)
                    mstore(add(m, 0x1a0), _T0_Y)
                }
                case 1 {
                    mstore(add(m, 0x180), _T1_X)
                    mstore(add(m, 0x1a0), _T1_Y)
                }
                case 2 {
                    mstore(add(m, 0x180), _T2_X)
                    mstore(add(m, 0x1a0), _T2_Y)
                }
                valid := and(valid, staticcall(gas(), 0x06, add(m, 0x180), 0x80, add(m, 0x180), 0x40))
                // (-A, B): -A = (A.x, (q - A.y) mod q); B is already in the precompile's order.
                mstore(m, calldataload(proofOffset))
                mstore(add(m, 0x20), mod(sub(_Q, calldataload(add(proofOffset, 0x20))), _Q))
                calldatacopy(add(m, 0x40), add(proofOffset, 0x40), 0x80)
                // (alpha, beta)
                mstore(add(m, 0xc0), _ALPHA_X)
                mstore(add(m, 0xe0), _ALPHA_Y)
                mstore(add(m, 0x100), _BETA_X_IM)
                mstore(add(m, 0x120), _BETA_X_RE)
                mstore(add(m, 0x140), _BETA_Y_IM)
                mstore(add(m, 0x160), _BETA_Y_RE)
                // (vk_x, gamma)
                mstore(add(m, 0x1c0), _GAMMA_X_IM)
                mstore(add(m, 0x1e0), _GAMMA_X_RE)
                mstore(add(m, 0x200), _GAMMA_Y_IM)
                mstore(add(m, 0x220), _GAMMA_Y_RE)
                // (C, delta)
                calldatacopy(add(m, 0x240), add(proofOffset, 0xc0), 0x40)
                mstore(add(m, 0x280), _DELTA_X_IM)
                mstore(add(m, 0x2a0), _DELTA_X_RE)
                mstore(add(m, 0x2c0), _DELTA_Y_IM)
                mstore(add(m, 0x2e0), _DELTA_Y_RE)
                // The product of the four pairings is 1: the precompile returns 1 in scratch space.
                valid := and(valid, staticcall(gas(), 0x08, m, 0x300, 0x00, 0x20))
                valid := and(valid, mload(0x00))
            }
        }
    }
}
