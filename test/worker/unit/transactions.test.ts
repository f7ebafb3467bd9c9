/** The chain-transaction layer against a scripted JSON-RPC: nonces, fees, journal, broadcast, follow, replace. */
import { expect } from "chai";
import { Transaction, Wallet, keccak256 } from "ethers";

import { RpcNoAnswerError, RpcRejectedError } from "../../../worker/chain/rpc.ts";
import {
  TransactionSender,
  type Journal,
  type JournalState,
  type JournalTx,
} from "../../../worker/chain/transactions.ts";
import { ScriptedRpc, silent } from "./fixtures.ts";

class MemoryJournal implements Journal {
  readonly rows: (JournalTx & { state: JournalState })[] = [];
  record(txs: readonly JournalTx[]): void {
    for (const tx of txs) this.rows.push({ ...tx, state: "pending" });
  }
  pending() {
    return this.rows.filter((r) => r.state === "pending");
  }
  raw(hash: string): string | undefined {
    return this.rows.find((r) => r.hash === hash)?.raw;
  }
  pendingCount(): number {
    return this.pending().length;
  }
  setState(hashes: readonly string[], state: JournalState): void {
    for (const r of this.rows) if (hashes.includes(r.hash)) r.state = state;
  }
}

const TO = "0x00000000000000000000000000000000000000aa";
const wallet = new Wallet(keccak256("0x02"));
const payload = (n: number) => ({ to: TO, data: "0x" + "ab".repeat(n), gasLimit: 100_000n, requestIds: [`r${n}`] });
const receipt = (hash: string, block: number, status = 1) => ({
  transactionHash: hash,
  blockNumber: "0x" + block.toString(16),
  blockHash: "0x" + "99".repeat(32),
  status: "0x" + status.toString(16),
  gasUsed: "0x5208",
  effectiveGasPrice: "0x1",
  logs: [],
});

function setup(over: { now?: () => number } = {}) {
  const rpc = new ScriptedRpc()
    .on("eth_getBlockByNumber", () => ({ baseFeePerGas: "0x64" })) // 100
    .on("eth_maxPriorityFeePerGas", () => "0xa") // 10
    .on("eth_getTransactionCount", () => "0x5");
  const journal = new MemoryJournal();
  const sent: string[] = [];
  const txs = new TransactionSender({
    rpc,
    wallet,
    chainId: 31337n,
    journal,
    fees: { bumpPercent: 25, stuckAfterMs: 1000 },
    log: silent,
    clock: over.now,
  });
  return { rpc, journal, sent, txs };
}

describe("chain-transaction layer (scripted RPC)", function () {
  it("signs consecutive nonces at 2 × base fee + tip and journals the round's transactions in one write before broadcasting any", async function () {
    const { rpc, journal, txs } = setup();
    const journaledAtBroadcast: number[] = [];
    const writes: number[] = [];
    const record = journal.record.bind(journal);
    journal.record = (list) => {
      writes.push(list.length);
      record(list);
    };
    rpc.on("eth_sendRawTransaction", (p) => {
      journaledAtBroadcast.push(journal.rows.length);
      return Transaction.from(p[0] as string).hash;
    });
    const r = await txs.send([payload(1), payload(2)]);
    expect(r.unsent).to.deep.equal([]);
    expect(r.sent.map((t) => t.nonce)).to.deep.equal([5, 6]);
    expect(journaledAtBroadcast).to.deep.equal([2, 2]); // both written before the first broadcast
    expect(writes).to.deep.equal([2]);
    for (const t of r.sent) {
      const parsed = Transaction.from(t.raw);
      expect(parsed.from).to.equal(wallet.address);
      expect(parsed.maxFeePerGas).to.equal(210n);
      expect(parsed.maxPriorityFeePerGas).to.equal(10n);
      expect(parsed.hash).to.equal(t.hash);
      expect(parsed.chainId).to.equal(31337n);
    }
    // With transactions in flight the local counter goes on (no second nonce read).
    await txs.send([payload(3)]);
    expect(journal.rows.map((t) => t.nonce)).to.deep.equal([5, 6, 7]);
    expect(writes).to.deep.equal([2, 1]);
    expect(rpc.count("eth_getTransactionCount")).to.equal(1);
  });

  it("drops a refused broadcast and does not broadcast the ones after it", async function () {
    const { rpc, journal, txs } = setup();
    rpc.on("eth_sendRawTransaction", () => {
      throw new RpcRejectedError("eth_sendRawTransaction", -32003, "insufficient funds", undefined);
    });
    const r = await txs.send([payload(1), payload(2)]);
    expect(r.sent).to.deep.equal([]);
    expect(r.unsent.map((t) => t.requestIds)).to.deep.equal([["r1"], ["r2"]]);
    expect(rpc.count("eth_sendRawTransaction")).to.equal(1);
    expect(journal.rows.map((t) => t.state)).to.deep.equal(["dropped", "dropped"]);
  });

  it("keeps a transaction whose broadcast reply was lost, and reports it final once its receipt is deep enough", async function () {
    const { rpc, journal, txs } = setup();
    rpc.on("eth_sendRawTransaction", () => {
      throw new RpcNoAnswerError("eth_sendRawTransaction", "socket hang up");
    });
    const r = await txs.send([payload(1)]);
    expect(r.sent.length).to.equal(1);
    expect(journal.rows[0]!.state).to.equal("pending");
    const hash = r.sent[0]!.hash;
    rpc.on("eth_getTransactionReceipt", () => receipt(hash, 20));
    // confirmations 2: final when two blocks are on top of block 20 (head 22), not before.
    expect((await txs.follow(21, 2)).final).to.deep.equal([]);
    expect(journal.rows[0]!.state).to.equal("pending");
    const f = await txs.follow(22, 2);
    expect(f.final.map((x) => [x.tx.hash, x.receipt.blockNumber, x.receipt.gasUsed])).to.deep.equal([
      [hash, 20, 21000n],
    ]);
    expect(journal.rows[0]!.state).to.equal("mined");
  });

  it("rebroadcasts a transaction the node forgot, and drops it once its nonce was used by another", async function () {
    const { rpc, journal, txs } = setup();
    const broadcasts: string[] = [];
    rpc.on("eth_sendRawTransaction", (p) => broadcasts.push(p[0] as string));
    await txs.send([payload(1)]);
    rpc.on("eth_getTransactionReceipt", () => null).on("eth_getTransactionByHash", () => null);
    rpc.on("eth_getTransactionCount", () => "0x5"); // nonce 5 still free
    await txs.follow(30, 1);
    expect(broadcasts.length).to.equal(2);
    expect(broadcasts[1]).to.equal(broadcasts[0]);
    rpc.on("eth_getTransactionCount", () => "0x6"); // nonce 5 used elsewhere
    const f = await txs.follow(31, 1);
    expect(f.dropped.map((t) => t.requestIds)).to.deep.equal([["r1"]]);
    expect(journal.rows[0]!.state).to.equal("dropped");
  });

  it("replaces a stuck transaction: same nonce and calldata, fees bumped; the mined one settles and the other is replaced", async function () {
    let now = 10_000;
    const { rpc, journal, txs } = setup({ now: () => now });
    rpc.on("eth_sendRawTransaction", () => "0x");
    const [first] = (await txs.send([payload(40)])).sent;
    rpc.on("eth_getTransactionReceipt", () => null).on("eth_getTransactionByHash", () => ({}));
    now += 500;
    await txs.follow(5, 1);
    expect(journal.rows.length).to.equal(1); // not stuck yet
    now += 1000;
    await txs.follow(6, 1);
    expect(journal.rows.length).to.equal(2);
    const second = journal.rows[1]!;
    const a = Transaction.from(first!.raw);
    const b = Transaction.from(second.raw);
    expect(b.nonce).to.equal(a.nonce);
    expect(b.data).to.equal(a.data);
    expect(b.to).to.equal(a.to);
    expect(b.gasLimit).to.equal(a.gasLimit);
    expect(b.maxFeePerGas).to.equal((210n * 125n) / 100n + 1n);
    expect(b.maxPriorityFeePerGas).to.equal((10n * 125n) / 100n + 1n);
    expect(b.from).to.equal(wallet.address);
    rpc.on("eth_getTransactionReceipt", (p) => (p[0] === second.hash ? receipt(second.hash, 7) : null));
    const f = await txs.follow(8, 1);
    expect(f.final.map((x) => x.tx.hash)).to.deep.equal([second.hash]);
    expect(journal.rows.map((r) => r.state)).to.deep.equal(["replaced", "mined"]);
  });
});
