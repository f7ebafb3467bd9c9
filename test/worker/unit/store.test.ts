/** The job store: every named transition, its guard, and what it writes. */
import { expect } from "chai";

import { IllegalTransitionError, JOB_STATES, TRANSITIONS, canMove } from "../../../worker/jobstate.ts";
import { JobStore } from "../../../worker/store.ts";
import { idOf, newJob, request } from "./fixtures.ts";

const tx = (hash: string, nonce: number, ids: string[]) => ({
  hash,
  nonce,
  raw: "0x02",
  requestIds: ids,
  sentAt: 1,
  maxFeePerGas: "2",
  maxPriorityFeePerGas: "1",
});

describe("job store: the state machine", function () {
  let store: JobStore;
  beforeEach(function () {
    store = new JobStore(":memory:");
    store.insertSeen([newJob(1), newJob(2), newJob(3)]);
  });
  afterEach(function () {
    store.close();
  });

  it("declares final states with no way out but a reorg", function () {
    expect(TRANSITIONS.failed).to.deep.equal([]);
    expect(TRANSITIONS.expired).to.deep.equal([]);
    expect(TRANSITIONS.confirmed).to.deep.equal(["attested", "seen", "failed"]);
    for (const s of JOB_STATES) for (const t of TRANSITIONS[s]) expect(JOB_STATES).to.include(t);
    expect(canMove("seen", "confirmed")).to.equal(false);
  });

  it("parses the request once and returns it typed", function () {
    const job = store.get(idOf(1))!;
    expect(job.state).to.equal("seen");
    expect(job.request).to.deep.equal(request(1));
    expect(job.proof).to.equal(null);
    expect(store.insertSeen([newJob(1), newJob(4)])).to.deep.equal([idOf(4)]);
  });

  it("walks seen → executing → attested → submitted → confirmed, writing output, proof, tx and earnings", function () {
    store.markExecuting([idOf(1)]);
    expect(store.get(idOf(1))!.state).to.equal("executing");
    store.attest([{ id: idOf(1), output: "0xaa", proof: "0xbb" }]);
    expect(store.get(idOf(1))).to.include({ state: "attested", output: "0xaa", proof: "0xbb" });
    store.markSubmitted(tx("0x" + "01".repeat(32), 7, [idOf(1)]));
    expect(store.get(idOf(1))).to.include({ state: "submitted", txHash: "0x" + "01".repeat(32) });
    expect(store.pendingTxs().map((t) => t.nonce)).to.deep.equal([7]);
    store.confirm([{ id: idOf(1), earnings: "75" }], 1234);
    expect(store.get(idOf(1))).to.include({ state: "confirmed", earnings: "75", confirmedAt: 1234, error: null });
  });

  it("refuses an illegal move with IllegalTransitionError and changes nothing (all or nothing)", function () {
    store.markExecuting([idOf(1)]);
    let err: unknown;
    try {
      // idOf(2) is seen: it cannot be attested without executing; idOf(1) may.
      store.attest([
        { id: idOf(1), output: "0xaa", proof: "0xbb" },
        { id: idOf(2), output: "0xaa", proof: "0xbb" },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(IllegalTransitionError);
    expect((err as IllegalTransitionError).requestId).to.equal(idOf(2));
    expect((err as IllegalTransitionError).from).to.equal("seen");
    expect((err as IllegalTransitionError).to).to.equal("attested");
    expect((err as Error).message).to.contain("attest: job");
    expect(store.get(idOf(1))!.state).to.equal("executing"); // rolled back
    expect(store.get(idOf(1))!.output).to.equal(null);
  });

  it("refuses to confirm a job that was never submitted, and to move an unknown job", function () {
    expect(() => store.confirm([{ id: idOf(1), earnings: "1" }])).to.throw(
      IllegalTransitionError,
      `confirm: job ${idOf(1)} cannot move from seen to confirmed`,
    );
    expect(() => store.markExecuting([idOf(99)])).to.throw(IllegalTransitionError, "is not in the store");
  });

  it("journals a transaction and its jobs together: a job that is not attested aborts both", function () {
    expect(() => store.markSubmitted(tx("0x" + "02".repeat(32), 1, [idOf(1)]))).to.throw(IllegalTransitionError);
    expect(store.pendingTxs()).to.deep.equal([]);
  });

  it("lets a replacement carry submitted jobs (submitted → submitted) and a dropped one return them (→ attested)", function () {
    for (const id of [idOf(1)]) {
      store.markExecuting([id]);
      store.attest([{ id, output: "0xaa", proof: "0xbb" }]);
    }
    store.markSubmitted(tx("0x" + "03".repeat(32), 1, [idOf(1)]));
    store.markSubmitted(tx("0x" + "04".repeat(32), 1, [idOf(1)]));
    expect(store.get(idOf(1))!.txHash).to.equal("0x" + "04".repeat(32));
    expect(store.txsByNonce(1).length).to.equal(2);
    store.returnToAttested([{ id: idOf(1), attempts: 1 }]);
    expect(store.get(idOf(1))).to.include({ state: "attested", attempts: 1 });
  });

  it("settles verdicts with their reasons; failed and expired are final", function () {
    store.settle([
      { id: idOf(1), verdict: { state: "failed", reason: "bad-input", detail: "3 bytes" } },
      { id: idOf(2), verdict: { state: "awaiting-input", reason: "awaiting-input", detail: "not yet" } },
    ]);
    expect(store.get(idOf(1))).to.include({ state: "failed", error: "bad-input: 3 bytes", reason: "bad-input" });
    expect(store.get(idOf(2))).to.include({ state: "awaiting-input", error: "awaiting-input: not yet" });
    expect(() => store.markExecuting([idOf(1)])).to.throw(IllegalTransitionError, "from failed to executing");
    expect(store.putPrivateInput(idOf(2), "0x01", "0x" + "00".repeat(32))).to.equal(true);
    expect(store.get(idOf(2))).to.include({ state: "seen", error: null, reason: null });
    expect(store.putPrivateInput(idOf(3), "0x01", "0x" + "00".repeat(32))).to.equal(false); // seen: left as is
  });

  it("resumes interrupted executions and re-opens confirmed jobs after a reorg (with or without a result)", function () {
    store.markExecuting([idOf(1), idOf(2)]);
    expect(store.resumeExecuting().sort()).to.deep.equal([idOf(1), idOf(2)]);
    expect(store.get(idOf(1))!.state).to.equal("seen");
    store.markExecuting([idOf(1)]);
    store.attest([{ id: idOf(1), output: "0xaa", proof: "0xbb" }]);
    store.markSubmitted(tx("0x" + "05".repeat(32), 1, [idOf(1)]));
    store.confirm([{ id: idOf(1), earnings: "1" }]);
    expect(store.reopen(idOf(1))).to.equal("attested");
    store.settle([{ id: idOf(2), verdict: { state: "skipped", reason: "already-fulfilled", detail: "by x" } }]);
    expect(store.reopen(idOf(2))).to.equal("seen");
  });

  it("confirms our own fulfilment found by the event scan, from submitted or attested", function () {
    for (const id of [idOf(1), idOf(2)]) {
      store.markExecuting([id]);
      store.attest([{ id, output: "0xaa", proof: "0xbb" }]);
    }
    store.markSubmitted(tx("0x" + "06".repeat(32), 1, [idOf(1)]));
    store.confirmOwn([
      { id: idOf(1), txHash: "0x" + "07".repeat(32), earnings: "9" },
      { id: idOf(2), txHash: "0x" + "07".repeat(32), earnings: "9" },
    ]);
    expect(store.get(idOf(1))).to.include({ state: "confirmed", txHash: "0x" + "07".repeat(32), earnings: "9" });
    expect(store.get(idOf(2))).to.include({ state: "confirmed", txHash: "0x" + "07".repeat(32) });
    expect(() => store.confirmOwn([{ id: idOf(3), txHash: "0x", earnings: "1" }])).to.throw(IllegalTransitionError);
  });

  it("migrates a database written before: `signature` becomes `proof`, the reason is split from the error", async function () {
    const { DatabaseSync } = await import("node:sqlite");
    const { mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const path = join(await mkdtemp(join(tmpdir(), "verity-store-")), "old.sqlite");
    const old = new DatabaseSync(path);
    old.exec(
      "CREATE TABLE jobs (request_id TEXT PRIMARY KEY, state TEXT NOT NULL, model_id TEXT NOT NULL, weights_hash TEXT NOT NULL, request TEXT NOT NULL, input_hex TEXT NOT NULL, block_number INTEGER NOT NULL, block_hash TEXT NOT NULL, block_time INTEGER NOT NULL, output TEXT, signature TEXT, tx_hash TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, earnings TEXT, seen_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, confirmed_at INTEGER)",
    );
    const { requestToJson } = await import("@verity-ai/sdk");
    old
      .prepare(
        "INSERT INTO jobs VALUES (?, 'attested', 'm', 'w', ?, '0x', 1, '0x', 1, '0xaa', '0xsig', NULL, 'simulation-reverted: X', 1, NULL, 1, 1, NULL)",
      )
      .run(idOf(1), requestToJson(request(1)));
    old.close();
    const s = new JobStore(path);
    expect(s.get(idOf(1))).to.include({
      proof: "0xsig",
      reason: "simulation-reverted",
      error: "simulation-reverted: X",
    });
    s.close();
  });
});

describe("job store: durability", function () {
  it("waits for the disk only for the journal entry and a private input, and returns to NORMAL after each", async function () {
    const { mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const store = new JobStore(join(await mkdtemp(join(tmpdir(), "verity-store-")), "jobs.sqlite"));
    try {
      store.insertSeen([newJob(1), newJob(2)]);
      expect(store.synchronousLevel).to.deep.equal({ now: 1, lastCommit: 1 });
      store.markExecuting([idOf(1)]);
      store.attest([{ id: idOf(1), output: "0xaa", proof: "0xbb" }]);
      expect(store.synchronousLevel).to.deep.equal({ now: 1, lastCommit: 1 });
      store.markSubmitted(tx("0x" + "05".repeat(32), 3, [idOf(1)]));
      expect(store.synchronousLevel).to.deep.equal({ now: 1, lastCommit: 2 });
      expect(store.pendingTxs().map((t) => t.nonce)).to.deep.equal([3]);
      store.confirm([{ id: idOf(1), earnings: "1" }]);
      expect(store.synchronousLevel).to.deep.equal({ now: 1, lastCommit: 1 });
      store.putPrivateInput(idOf(2), "0x01", "0x" + "00".repeat(32));
      expect(store.synchronousLevel).to.deep.equal({ now: 1, lastCommit: 2 });
      // A journal write that fails (the job is not attested) still leaves the connection at NORMAL.
      expect(() => store.markSubmitted(tx("0x" + "06".repeat(32), 4, [idOf(2)]))).to.throw(IllegalTransitionError);
      expect(store.synchronousLevel.now).to.equal(1);
    } finally {
      store.close();
    }
  });
});

describe("job store: journalling a round", function () {
  it("journals several transactions and their jobs in one transaction, all or nothing", function () {
    const store = new JobStore(":memory:");
    try {
      store.insertSeen([newJob(1), newJob(2), newJob(3)]);
      store.markExecuting([idOf(1), idOf(2), idOf(3)]);
      store.attest([1, 2].map((i) => ({ id: idOf(i), output: "0xaa", proof: "0xbb" })));
      // idOf(3) is not attested: the second transaction is illegal, so neither is written.
      expect(() =>
        store.markSubmitted([tx("0x" + "07".repeat(32), 1, [idOf(1)]), tx("0x" + "08".repeat(32), 2, [idOf(3)])]),
      ).to.throw(IllegalTransitionError);
      expect(store.pendingTxs()).to.deep.equal([]);
      expect(store.get(idOf(1))!.state).to.equal("attested");
      store.markSubmitted([tx("0x" + "07".repeat(32), 1, [idOf(1)]), tx("0x" + "08".repeat(32), 2, [idOf(2)])]);
      expect(store.pendingTxs().map((t) => [t.nonce, t.requestIds])).to.deep.equal([
        [1, [idOf(1)]],
        [2, [idOf(2)]],
      ]);
      expect(store.get(idOf(2))).to.include({ state: "submitted", txHash: "0x" + "08".repeat(32) });
    } finally {
      store.close();
    }
  });
});
