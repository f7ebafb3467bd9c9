// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable2Step, Ownable} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title VerityTestToken
/// @notice Payment token for local and test networks: a plain ERC-20 with EIP-2612 permit whose owner
/// can mint. Real deployments use an existing token (e.g. a stablecoin) instead: on a chain that is not
/// local (chain id other than 31337 or 1337) the constructor refuses unless `iUnderstandThisIsNotForProduction`.
contract VerityTestToken is ERC20, ERC20Permit, Ownable2Step {
    /// @notice Thrown when deploying to chain `chainId`, which is not a local chain (31337 or 1337),
    /// without `iUnderstandThisIsNotForProduction`: its owner could mint payment money at will.
    error VerityTestTokenNotForProduction(uint256 chainId);

    constructor(
        address owner_,
        bool iUnderstandThisIsNotForProduction
    ) ERC20("Verity Test USD", "vUSD") ERC20Permit("Verity Test USD") Ownable(owner_) {
        if (block.chainid != 31337 && block.chainid != 1337 && !iUnderstandThisIsNotForProduction) {
            revert VerityTestTokenNotForProduction(block.chainid);
        }
    }

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
