import { expect } from "chai";
import { Signature, ZeroAddress } from "ethers";
import { network } from "hardhat";

const conn = await network.create();
const { ethers, networkHelpers } = conn;

async function fixture() {
  const [owner, alice, bob] = await ethers.getSigners();
  const token = await ethers.deployContract("VerityTestToken", [owner.address, false]);
  return { token, owner, alice, bob };
}

describe("VerityTestToken", function () {
  it("has its name, symbol, decimals and owner", async function () {
    const { token, owner } = await networkHelpers.loadFixture(fixture);
    expect(await token.name()).to.equal("Verity Test USD");
    expect(await token.symbol()).to.equal("vUSD");
    expect(await token.decimals()).to.equal(18n);
    expect(await token.totalSupply()).to.equal(0n);
    expect(await token.owner()).to.equal(owner.address);
    expect(await token.pendingOwner()).to.equal(ZeroAddress);
  });

  it("the owner mints", async function () {
    const { token, owner, alice } = await networkHelpers.loadFixture(fixture);
    await expect(token.connect(owner).mint(alice.address, 123n))
      .to.emit(token, "Transfer")
      .withArgs(ZeroAddress, alice.address, 123n);
    expect(await token.balanceOf(alice.address)).to.equal(123n);
    expect(await token.totalSupply()).to.equal(123n);
  });

  it("mint reverts OwnableUnauthorizedAccount for anyone else", async function () {
    const { token, alice } = await networkHelpers.loadFixture(fixture);
    await expect(token.connect(alice).mint(alice.address, 1n))
      .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
      .withArgs(alice.address);
    await expect(token.mint(ZeroAddress, 1n))
      .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
      .withArgs(ZeroAddress);
  });

  it("moves ownership in two steps", async function () {
    const { token, owner, alice, bob } = await networkHelpers.loadFixture(fixture);
    await expect(token.connect(owner).transferOwnership(alice.address))
      .to.emit(token, "OwnershipTransferStarted")
      .withArgs(owner.address, alice.address);
    expect(await token.owner()).to.equal(owner.address);
    await expect(token.connect(bob).acceptOwnership())
      .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
      .withArgs(bob.address);
    await expect(token.connect(alice).acceptOwnership())
      .to.emit(token, "OwnershipTransferred")
      .withArgs(owner.address, alice.address);
    await expect(token.connect(owner).mint(owner.address, 1n))
      .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
      .withArgs(owner.address);
    await expect(token.connect(alice).mint(bob.address, 5n)).to.changeTokenBalances(ethers, token, [bob], [5n]);
  });

  it("supports EIP-2612 permit", async function () {
    const { token, owner, alice, bob } = await networkHelpers.loadFixture(fixture);
    const deadline = BigInt(await networkHelpers.time.latest()) + 3_600n;
    const domain = {
      name: "Verity Test USD",
      version: "1",
      chainId: (await ethers.provider.getNetwork()).chainId,
      verifyingContract: await token.getAddress(),
    };
    const types = {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    };
    const value = 77n;
    const sig = Signature.from(
      await alice.signTypedData(domain, types, {
        owner: alice.address,
        spender: bob.address,
        value,
        nonce: 0n,
        deadline,
      }),
    );
    await expect(token.connect(owner).permit(alice.address, bob.address, value, deadline, sig.v, sig.r, sig.s))
      .to.emit(token, "Approval")
      .withArgs(alice.address, bob.address, value);
    expect(await token.allowance(alice.address, bob.address)).to.equal(value);
    expect(await token.nonces(alice.address)).to.equal(1n);
    // Replaying it fails: the nonce moved on.
    await expect(
      token.permit(alice.address, bob.address, value, deadline, sig.v, sig.r, sig.s),
    ).to.be.revertedWithCustomError(token, "ERC2612InvalidSigner");
  });
});
