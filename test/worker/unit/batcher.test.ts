/** The submit stage (batcher) against a scripted RPC: grouping, simulation, fallback, revert classification, gas. */
import { expect } from "chai";
import { Transaction, Wallet, keccak256 } from "ethers";

import { Mode, RequestStatus, type Request } from "@verity-ai/sdk";

import { RpcRejectedError } from "../../../worker/chain/rpc.ts";
import { TransactionSender } from "../../../worker/chain/transactions.ts";
import { coordinatorInterface } from "../../../worker/events.ts";
import { Metrics } from "../../../worker/metrics.ts";
import { BATCH_RESERVE, GasModel } from "../../../worker/stages/gas.ts";
import { SubmitStage } from "../../../worker/stages/submit.ts";
import { JobStore } from "../../../worker/store.ts";
import { ScriptedRpc, idOf, newJob, silent } from "./fixtures.ts";

const COORDINATOR = "0x00000000000000000000000000000000000000c0";
const BATCH = coordinatorInterface.getFunction("fulfillBatch")!.selector;
const SINGLE = coordinatorInterface.getFunction("fulfill")!.selector;
const STATUS = coordinatorInterface.getFunction("requestStatus")!.selector;

const revert = (name: string, args: unknown[]) =>
  new RpcRejectedError("eth_call", 3, "execution reverted", coordinatorInterface.encodeErrorResult(name, args));

interface SetupOptions {
  batchSize?: number;
  request?: (i: number) => Partial<Request>;
  output?: (i: number) => string;
}

function setup(ids: number[], zk: number[] = [], o: SetupOptions = {}) {
  const store = new JobStore(":memory:");
  store.insertSeen([
    ...ids.map((i) => newJob(i, o.request?.(i))),
    ...zk.map((i) => newJob(i, { mode: BigInt(Mode.ZK) })),
  ]);
  const all = [...ids, ...zk];
  store.markExecuting(all.map(idOf));
  store.attest(
    all.map((i) => ({ id: idOf(i), output: o.output?.(i) ?? "0x" + "01".repeat(32), proof: "0x" + "02".repeat(65) })),
  );
  const rpc = new ScriptedRpc()
    .on("eth_getBlockByNumber", () => ({ baseFeePerGas: "0x1" }))
    .on("eth_maxPriorityFeePerGas", () => "0x0")
    .on("eth_getTransactionCount", () => "0x0")
    .on("eth_sendRawTransaction", () => "0x")
    .on("eth_estimateGas", () => "0x186a0"); // 100,000
  const txs = new TransactionSender({
    rpc,
    wallet: new Wallet(keccak256("0x03")),
    chainId: 31337n,
    journal: {
      record: (txs) => store.markSubmitted(txs),
      pending: () => store.pendingTxHeads(),
      raw: (hash) => store.txRaw(hash),
      pendingCount: () => store.pendingTxCount(),
      setState: (h, s) => store.setTxState(h, s),
    },
    fees: { bumpPercent: 20, stuckAfterMs: 60_000 },
    log: silent,
  });
  const gas = new GasModel(10);
  const stage = new SubmitStage({
    rpc,
    store,
    txs,
    gas,
    coordinator: COORDINATOR,
    batchSize: o.batchSize ?? 2,
    zkBatchSize: 2,
    concurrency: 8,
    maxAttempts: 3,
    metrics: new Metrics(false),
    log: silent,
  });
  const sentTxs = () =>
    rpc.calls.filter((c) => c.method === "eth_sendRawTransaction").map((c) => Transaction.from(c.params[0] as string));
  return { store, rpc, stage, gas, sentTxs };
}

describe("submit stage: batching (scripted RPC)", function () {
  it("groups by mode, cuts batches of batchSize / zkBatchSize, at most as many as free slots", function () {
    const { store, stage } = setup([1, 2, 3, 4, 5], [6, 7, 8]);
    const jobs = store.byState("attested");
    const batches = stage.batches(jobs, 8).map((b) => b.map((j) => Number(BigInt(j.requestId))));
    expect(batches).to.deep.equal([[1, 2], [3, 4], [5], [6, 7], [8]]);
    expect(stage.batches(jobs, 2).length).to.equal(2);
  });

  it("simulates each batch once and sends it with the estimate + callback budgets + reserve, plus the margin", async function () {
    const { store, rpc, stage, sentTxs } = setup([1, 2]);
    rpc.on("eth_call", () => coordinatorInterface.encodeFunctionResult("fulfillBatch", [2n]));
    expect(await stage.run(store.byState("attested"))).to.equal(2);
    expect(rpc.count("eth_call")).to.equal(1);
    const [tx] = sentTxs();
    expect(tx!.data.slice(0, 10)).to.equal(BATCH);
    expect(tx!.gasLimit).to.equal(((100_000n + BATCH_RESERVE) * 110n) / 100n);
    expect(store.byState("submitted").length).to.equal(2);
  });

  it("falls back to single simulations when a batch reverts, and settles each single by its decoded revert", async function () {
    const { store, rpc, stage, sentTxs } = setup([1, 2, 3, 4]);
    // One batch of [1, 2] and one of [3, 4]; the batches revert, singles say why.
    const verdict: Record<string, Error | undefined> = {
      [idOf(1)]: revert("CoordinatorRequestNotOpen", [1n, RequestStatus.Fulfilled]),
      [idOf(2)]: revert("CoordinatorRequestExpired", [2n, 5n]),
      [idOf(3)]: undefined,
      [idOf(4)]: revert("CoordinatorRequestNotOpen", [4n, RequestStatus.Refunded]),
    };
    const idOfSingle = (data: string) => {
      const [r] = coordinatorInterface.decodeFunctionData("fulfill", data);
      return idOf(Number((r as { nonce: bigint }).nonce));
    };
    rpc.on("eth_call", (p) => {
      if ((p[0] as { data: string }).data.startsWith(BATCH)) throw revert("CoordinatorRequestNotOpen", [1n, 2n]);
      throw new Error("unexpected eth_call");
    });
    rpc.on("eth_estimateGas", (p) => {
      const e = verdict[idOfSingle((p[0] as { data: string }).data)];
      if (e !== undefined) throw e;
      return "0x186a0";
    });
    expect(await stage.run(store.byState("attested"))).to.equal(1);
    expect(store.get(idOf(1))).to.include({
      state: "skipped",
      error: "already-fulfilled: request is Fulfilled on-chain",
    });
    expect(store.get(idOf(2))).to.include({ state: "expired", error: "expired: deadline 5 passed" });
    expect(store.get(idOf(3))!.state).to.equal("submitted");
    expect(store.get(idOf(4))).to.include({ state: "skipped", error: "refunded: request is Refunded on-chain" });
    expect(sentTxs().map((t) => t.data.slice(0, 10))).to.deep.equal([SINGLE]);
  });

  it("drops results the chain no longer has open before sending (fulfilled count below the batch)", async function () {
    const { store, rpc, stage, sentTxs } = setup([1, 2, 3]);
    rpc.on("eth_call", (p) => {
      const data = (p[0] as { data: string }).data;
      if (data.startsWith(STATUS)) {
        const [id] = coordinatorInterface.decodeFunctionData("requestStatus", data);
        return coordinatorInterface.encodeFunctionResult("requestStatus", [
          id === 2n ? RequestStatus.Fulfilled : RequestStatus.Open,
        ]);
      }
      return coordinatorInterface.encodeFunctionResult("fulfillBatch", [1n]);
    });
    // batchSize 2: [1, 2] loses 2 (then a single), [3] is a single.
    await stage.run(store.byState("attested"));
    expect(store.get(idOf(2))).to.include({ state: "skipped" });
    expect(store.byState("submitted").map((j) => j.requestId)).to.deep.equal([idOf(1), idOf(3)]);
    expect(sentTxs().length).to.equal(2);
  });

  it("blocks and sends nothing when the coordinator refuses the operator; the jobs stay attested", async function () {
    const { store, rpc, stage, sentTxs } = setup([1, 2]);
    rpc.on("eth_call", () => {
      throw revert("CoordinatorOperatorNotEligible", ["0x0000000000000000000000000000000000000001"]);
    });
    expect(await stage.run(store.byState("attested"))).to.equal(0);
    expect(stage.blocked).to.equal("CoordinatorOperatorNotEligible");
    expect(sentTxs()).to.deep.equal([]);
    expect(store.byState("attested").length).to.equal(2);
  });

  it("retries a result whose simulation reverts for an unknown reason, and fails it after maxAttempts", async function () {
    const { store, rpc, stage } = setup([1]);
    rpc.on("eth_estimateGas", () => {
      throw revert("CoordinatorFeeAboveMax", [1n, 0n]);
    });
    await stage.run(store.byState("attested"));
    expect(store.get(idOf(1))).to.include({ state: "attested", attempts: 1 });
    await stage.run(store.byState("attested"));
    expect(store.get(idOf(1))).to.include({ state: "attested", attempts: 2 });
    await stage.run(store.byState("attested"));
    expect(store.get(idOf(1))).to.include({
      state: "failed",
      error: "simulation-reverted: CoordinatorFeeAboveMax",
    });
  });

  it("sends a batch of a trusted mode without simulating it, with the gas learnt from receipts", async function () {
    const { store, rpc, stage, gas, sentTxs } = setup([1, 2]);
    gas.learn(Mode.TEE, 60_000n, 2, 0n);
    gas.trust(Mode.TEE);
    rpc.on("eth_call", () => {
      throw new Error("no simulation expected");
    });
    expect(await stage.run(store.byState("attested"))).to.equal(2);
    expect(rpc.count("eth_call") + rpc.count("eth_estimateGas")).to.equal(0);
    expect(sentTxs()[0]!.gasLimit).to.equal(((2n * 30_000n + BATCH_RESERVE) * 110n) / 100n);
    expect(stage.stats.unsimulated).to.equal(1);
  });

  it("estimates a mode's first large batch on a sample of its two costliest results, then uses that gas per result", async function () {
    // Job 4 stores its output, job 2 has the longest output: they are the sample.
    const { rpc, stage, store, sentTxs } = setup([1, 2, 3, 4, 5], [], {
      batchSize: 5,
      request: (i) => ({ storeOutput: i === 4 }),
      output: (i) => "0x" + (i === 2 ? "03".repeat(64) : "01".repeat(32)),
    });
    rpc.on("eth_call", () => coordinatorInterface.encodeFunctionResult("fulfillBatch", [5n]));
    const estimated: bigint[][] = [];
    rpc.on("eth_estimateGas", (p) => {
      const [requests] = coordinatorInterface.decodeFunctionData("fulfillBatch", (p[0] as { data: string }).data);
      estimated.push((requests as { nonce: bigint }[]).map((r) => r.nonce));
      return "0x186a1"; // 100,001
    });
    expect(await stage.run(store.byState("attested"))).to.equal(5);
    expect(estimated).to.deep.equal([[4n, 2n]]);
    // ceil(100,001 / 2) = 50,001 per result, × 5, + the reserve, + 10 % margin.
    expect(sentTxs()[0]!.gasLimit).to.equal(((5n * 50_001n + BATCH_RESERVE) * 110n) / 100n);
  });

  it("simulates only a round's first batch of a mode when it goes through whole; the others follow on its gas", async function () {
    const { rpc, stage, store, sentTxs } = setup([1, 2, 3, 4, 5, 6]); // three batches of 2
    rpc.on("eth_call", () => coordinatorInterface.encodeFunctionResult("fulfillBatch", [2n]));
    expect(await stage.run(store.byState("attested"))).to.equal(6);
    expect(rpc.count("eth_call")).to.equal(1);
    expect(rpc.count("eth_estimateGas")).to.equal(1);
    expect(stage.stats.unsimulated).to.equal(2);
    // 100,000 estimated for 2 results: 50,000 each, for every batch.
    expect(sentTxs().map((t) => t.gasLimit)).to.deep.equal(
      Array(3).fill(((2n * 50_000n + BATCH_RESERVE) * 110n) / 100n),
    );
  });

  it("simulates every batch of the round when the first one loses a result", async function () {
    const { rpc, stage, store } = setup([1, 2, 3, 4, 5, 6]);
    let calls = 0;
    rpc.on("eth_call", (p) => {
      const data = (p[0] as { data: string }).data;
      if (data.startsWith(STATUS)) {
        const [id] = coordinatorInterface.decodeFunctionData("requestStatus", data);
        return coordinatorInterface.encodeFunctionResult("requestStatus", [
          id === 1n ? RequestStatus.Fulfilled : RequestStatus.Open,
        ]);
      }
      calls++;
      return coordinatorInterface.encodeFunctionResult("fulfillBatch", [calls === 1 ? 1n : 2n]);
    });
    await stage.run(store.byState("attested"));
    expect(calls).to.equal(3); // each batch simulated
    expect(stage.stats.unsimulated).to.equal(0);
    expect(store.get(idOf(1))).to.include({ state: "skipped" });
  });
});
