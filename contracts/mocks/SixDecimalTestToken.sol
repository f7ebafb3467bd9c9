// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice TEST ONLY: an existing 6-decimal ERC-20 (as a USD stablecoin is) that the production deployment
/// module is pointed at in tests; anyone can mint.
contract SixDecimalTestToken is ERC20 {
    constructor() ERC20("Six Decimal USD", "USD6") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
