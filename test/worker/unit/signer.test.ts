/** The result-signing thread: the same signatures as the main thread, and nothing lost when it fails. */
import { expect } from "chai";
import { Wallet, hexlify, keccak256, randomBytes } from "ethers";

import { claimFor } from "@verity-ai/sdk";

import { Attester } from "../../../worker/attester.ts";
import { SignerPool } from "../../../worker/signer.ts";
import { request } from "./fixtures.ts";

const COORDINATOR = "0x00000000000000000000000000000000000000c0";
const OPERATOR = "0x00000000000000000000000000000000000000d0";

describe("signing thread", function () {
  const key = keccak256("0x05");
  const items = Array.from({ length: 40 }, (_, i) => ({
    requestId: BigInt(keccak256("0x" + (i + 1).toString(16).padStart(2, "0"))),
    request: request(i + 1),
    output: hexlify(randomBytes(32)),
  }));

  it("signs a batch in the thread with exactly the bytes the main thread makes, each recovering to the enclave key", async function () {
    const attester = new Attester(key, 31337n, COORDINATOR, OPERATOR);
    try {
      // On these Linux x64 machines the optional native binding loads; elsewhere @noble/curves signs.
      expect(await attester.warm()).to.equal("libsecp256k1 (native)");
      const errors: Error[] = [];
      const signatures = await attester.signMany(items, (err) => errors.push(err));
      expect(errors).to.deep.equal([]);
      expect(signatures).to.deep.equal(items.map((it) => attester.sign(it.requestId, it.request, it.output)));
      const enclave = new Wallet(key).address;
      for (const [i, it] of items.entries())
        expect(attester.recover(claimFor(it.requestId, it.request, it.output, OPERATOR), signatures[i]!)).to.equal(
          enclave,
        );
    } finally {
      await attester.close();
    }
  });

  it("signs in the main thread when the thread is gone, and says why", async function () {
    const attester = new Attester(key, 31337n, COORDINATOR, OPERATOR);
    await attester.close();
    const errors: Error[] = [];
    const signatures = await attester.signMany(items.slice(0, 3), (err) => errors.push(err));
    expect(errors.map((e) => e.message)).to.deep.equal(["the signing thread is closed"]);
    expect(signatures).to.deep.equal(items.slice(0, 3).map((it) => attester.sign(it.requestId, it.request, it.output)));
  });

  it("splits a batch over its threads and returns the signatures in order", async function () {
    const one = new Attester(key, 31337n, COORDINATOR, OPERATOR, 1);
    const three = new Attester(key, 31337n, COORDINATOR, OPERATOR, 3);
    try {
      expect(await three.signMany(items)).to.deep.equal(await one.signMany(items));
    } finally {
      await Promise.all([one.close(), three.close()]);
    }
  });

  it("rejects a malformed batch with the reason and keeps serving the next one", async function () {
    const pool = new SignerPool(key, new Uint8Array(34), 2);
    try {
      let err: Error | undefined;
      await pool.sign(new Uint8Array(40), 32).catch((e: Error) => (err = e));
      expect(err?.message).to.equal("40 bytes are not a whole number of 32-byte structs");
      expect(await pool.sign(new Uint8Array(64 * 3), 32)).to.have.length(6);
    } finally {
      await pool.close();
    }
  });
});
