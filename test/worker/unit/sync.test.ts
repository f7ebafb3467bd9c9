/** The sync stage on scripted event batches: new jobs, others' and own completions, the ranking of open requests. */
import { expect } from "chai";

import type { EventBatch, EventSource, PollResult } from "../../../worker/events.ts";
import { Metrics } from "../../../worker/metrics.ts";
import { rankOf } from "../../../worker/stages/ranking.ts";
import { SyncStage } from "../../../worker/stages/sync.ts";
import { JobStore } from "../../../worker/store.ts";
import type { OperatorSet } from "../../../worker/stages/ranking.ts";
import { ScriptedRpc, idOf, newJob, silent } from "./fixtures.ts";

const ME = "0x00000000000000000000000000000000000000A1";
const RIVAL = "0x00000000000000000000000000000000000000B2";

/** An event source that hands out the given batches, one per poll. */
function source(batches: EventBatch[]): EventSource {
  return {
    async poll(onBatch: (b: EventBatch) => Promise<void> | void): Promise<PollResult> {
      const b = batches.shift();
      if (b !== undefined) await onBatch(b);
      return { head: 100, batches: b === undefined ? 0 : 1 };
    },
  } as unknown as EventSource;
}

const requested = (i: number, blockTime = 1_000) => {
  const j = newJob(i);
  return { ...j, request: j.request, input: j.inputHex, blockTime };
};
const batch = (over: Partial<EventBatch>): EventBatch => ({
  fromBlock: 1,
  toBlock: 2,
  requested: [],
  completed: [],
  staked: [],
  ...over,
});
const done = (i: number, operator: string | null) => ({
  requestId: idOf(i),
  kind: operator === null ? ("refunded" as const) : ("fulfilled" as const),
  operator,
  txHash: "0x" + "77".repeat(32),
  blockNumber: 2,
});

function stage(store: JobStore, batches: EventBatch[], operators?: string[], graceSec = 0, now = 5_000) {
  const set =
    operators === undefined
      ? undefined
      : ({ add: () => undefined, eligible: async () => operators } as unknown as OperatorSet);
  return new SyncStage({
    operators: set,
    graceSec,
    clock: () => now,
    rpc: new ScriptedRpc(),
    store,
    events: source(batches),
    coordinator: "0x00000000000000000000000000000000000000c0",
    operator: ME,
    reorgDepth: 64,
    metrics: new Metrics(false),
    log: silent,
  });
}

describe("sync stage (scripted events)", function () {
  it("records new requests, skips those others completed, confirms its own completions the journal gave up on, leaves submitted ones to their receipts", async function () {
    const store = new JobStore(":memory:");
    store.insertSeen([newJob(3)]);
    store.markExecuting([idOf(3)]);
    store.attest([{ id: idOf(3), output: "0xaa", proof: "0xbb" }]); // its transaction was dropped by mistake
    store.insertSeen([newJob(4)]);
    store.markExecuting([idOf(4)]);
    store.attest([{ id: idOf(4), output: "0xaa", proof: "0xbb" }]);
    store.markSubmitted({
      hash: "0x" + "44".repeat(32),
      nonce: 1,
      raw: "0x02",
      requestIds: [idOf(4)],
      sentAt: 1,
      maxFeePerGas: "1",
      maxPriorityFeePerGas: "1",
    });
    const s = stage(store, [
      batch({ requested: [requested(1), requested(2)] }),
      batch({ completed: [done(1, RIVAL), done(2, null), done(3, ME), done(4, ME), done(4, RIVAL)] }),
    ]);
    await s.run();
    expect(store.get(idOf(1))!.state).to.equal("seen");
    await s.run();
    expect(store.get(idOf(1))).to.include({
      state: "skipped",
      error: `already-fulfilled: fulfilled by ${RIVAL} in tx 0x${"77".repeat(32)}`,
    });
    expect(store.get(idOf(2))).to.include({ state: "skipped", error: `refunded: refunded in tx 0x${"77".repeat(32)}` });
    // fee 10e18 - royalty 2e18 - protocol fee 0.5e18
    // Submitted: its receipt (followed by the receipts stage) settles it, not the scan.
    expect(store.get(idOf(4))).to.include({ state: "submitted", txHash: "0x" + "44".repeat(32) });
    expect(store.get(idOf(3))).to.include({
      state: "confirmed",
      earnings: "7500000000000000000",
      txHash: "0x" + "77".repeat(32),
    });
  });

  it("ranks open requests among the eligible operators: notBefore = max(block time, now) + rank × graceSec", async function () {
    const store = new JobStore(":memory:");
    const ops = [ME, RIVAL];
    const reqs = Array.from({ length: 12 }, (_, i) => requested(i + 1, 4_000));
    await stage(store, [batch({ requested: reqs })], ops, 15, 5_000).run();
    const ranks = reqs.map((r) => rankOf(r.requestId, ops, ME));
    expect(ranks.includes(0) && ranks.includes(1)).to.equal(true);
    // At 5,000 the first-ranked ones are ready, the others 15 s later.
    const ready = (t: number) => store.ready(t).map((j) => j.requestId);
    expect(ready(5_000)).to.deep.equal(reqs.filter((_, i) => ranks[i] === 0).map((r) => r.requestId));
    expect(ready(5_014).length).to.equal(ranks.filter((r) => r === 0).length);
    expect(ready(5_015).length).to.equal(12);
  });

  it("ranks alike on every node and whatever the order of the operator list", function () {
    const ops = [ME, RIVAL, "0x00000000000000000000000000000000000000c3"];
    for (let i = 1; i <= 20; i++) {
      const ranks = ops.map((op) => rankOf(idOf(i), [...ops].reverse(), op));
      expect([...ranks].sort()).to.deep.equal([0, 1, 2]);
      expect(ops.map((op) => rankOf(idOf(i), ops, op.toLowerCase()))).to.deep.equal(ranks);
    }
  });
});
