/** The hand-written calldata encoder and transaction signer agree with ethers byte for byte. */
import { expect } from "chai";
import { Transaction, Wallet, hexlify, keccak256 } from "ethers";

import { encodeFulfillBatch, signEip1559 } from "../../../worker/chain/encoding.ts";
import { KECCAK_BACKEND, keccakBytes } from "../../../worker/chain/keccak.ts";
import { coordinatorInterface } from "../../../worker/events.ts";
import { request } from "./fixtures.ts";

describe("node encoders", function () {
  it("hashes whole transactions with the native keccak on these machines, equal to ethers' keccak256", function () {
    expect(KECCAK_BACKEND).to.equal("native");
    for (const n of [0, 1, 135, 136, 137, 75_000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 255);
      expect(hexlify(keccakBytes(data))).to.equal(keccak256(data));
    }
  });

  it("encodeFulfillBatch equals the ABI encoder (mixed flags, odd-length bytes, empty proof)", function () {
    const args: [ReturnType<typeof request>[], string[], string[]] = [
      [request(7, { inputHash: "0x" + "EF".repeat(32) }), request(8, { storeOutput: false, mode: 2n })],
      ["0x" + "01".repeat(32), "0x" + "02".repeat(33)],
      ["0x" + "11".repeat(65), "0x"],
    ];
    expect(encodeFulfillBatch(...args)).to.equal(coordinatorInterface.encodeFunctionData("fulfillBatch", args));
  });

  it("encodeFulfillBatch refuses values that do not fit their ABI type", function () {
    expect(() => encodeFulfillBatch([request(1, { requester: "0x12" })], ["0x"], ["0x"])).to.throw(
      TypeError,
      "requester: not an address",
    );
    expect(() => encodeFulfillBatch([request(1, { fee: -1n })], ["0x"], ["0x"])).to.throw(RangeError);
    expect(() => encodeFulfillBatch([request(1)], ["0x0"], ["0x"])).to.throw(TypeError, "not hex bytes");
  });

  it("signEip1559 equals ethers' serialisation and hash (short and long calldata)", function () {
    const w = new Wallet(keccak256("0x01"));
    for (const data of ["0x" + "5a".repeat(70), "0x" + "00".repeat(70_000), "0x"]) {
      const f = {
        chainId: 31337n,
        nonce: 300,
        to: "0x00000000000000000000000000000000000000aa",
        data,
        gasLimit: 4_700_000n,
        maxFeePerGas: 2_000_000_000n,
        maxPriorityFeePerGas: 0n,
      };
      const mine = signEip1559(w, f);
      const tx = Transaction.from({ type: 2, ...f, value: 0n, accessList: [] });
      tx.signature = w.signingKey.sign(tx.unsignedHash);
      expect(mine.raw).to.equal(tx.serialized);
      expect(mine.hash).to.equal(tx.hash);
    }
  });
});
