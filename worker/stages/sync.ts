/**
 * Sync stage: chain events → jobs. Reads the coordinator's events up to `confirmations` behind the
 * head (worker/events.ts) and
 *  - records new requests as jobs (→ seen), parsed once and stored typed;
 *  - settles jobs another operator completed first (→ skipped), and recognises completions by
 *    this node's own key (a transaction whose reply was lost, or sent before a crash): those are
 *    confirmed, never skipped or sent again;
 *  - after a reorg, checks the jobs above the rewind point against the chain again: open again →
 *    re-opened, gone → failed (reorged-out);
 *  - notices a chain that was replaced under the node (another genesis block, or a cursor far
 *    beyond the head) and stops with ChainChangedError instead of serving nothing while healthy.
 */
import type { Logger } from "pino";

import { operatorShare, RequestStatus } from "@verity-ai/sdk";

import type { Rpc } from "../chain/rpc.ts";
import { coordinatorInterface, type EventBatch, type EventSource, type PollResult } from "../events.ts";
import type { Metrics } from "../metrics.ts";
import type { JobStore, JobState } from "../store.ts";
import { rankOf, type OperatorSet } from "./ranking.ts";

/** Thrown when the chain behind rpcUrl is not the one the job store was filled from. */
export class ChainChangedError extends Error {
  constructor(detail: string) {
    super(
      `the chain at rpcUrl is not the one this node's database (dbPath) was filled from: ${detail}. ` +
        "The node stops rather than serve nothing: point rpcUrl at the original chain, or start with a fresh dbPath for the new one",
    );
    this.name = "ChainChangedError";
  }
}

/** Identity of a chain: its id and the hash of its genesis block. */
export interface ChainIdentity {
  chainId: string;
  genesis: string;
}

const OPEN_STATES: readonly JobState[] = ["seen", "awaiting-input", "executing", "attested"];

export class SyncStage {
  readonly stats = { dbMs: 0 };
  readonly #o: SyncOptions;

  constructor(o: SyncOptions) {
    this.#o = o;
  }

  /** The chain's identity, compared with (or, the first time, written to) the store. */
  async checkChain(): Promise<ChainIdentity> {
    const [chainId, block] = await Promise.all([
      this.#o.rpc.send<string>("eth_chainId", []),
      this.#o.rpc.send<{ hash: string } | null>("eth_getBlockByNumber", ["0x0", false]),
    ]);
    const id: ChainIdentity = { chainId: BigInt(chainId).toString(), genesis: block?.hash ?? "" };
    const stored = this.#o.store.getMeta("chain");
    if (stored === undefined) {
      this.#o.store.setMeta("chain", JSON.stringify(id));
      return id;
    }
    const was = JSON.parse(stored) as ChainIdentity;
    if (was.chainId !== id.chainId)
      throw new ChainChangedError(`chain id ${id.chainId}, the database was filled from chain ${was.chainId}`);
    if (was.genesis !== id.genesis)
      throw new ChainChangedError(`genesis block ${id.genesis}, the database's chain started with ${was.genesis}`);
    return id;
  }

  /** One scan: events to the safe head. */
  async run(rpcMs?: (ms: number) => void): Promise<PollResult> {
    const poll = await this.#o.events.poll((b) => this.#onBatch(b), rpcMs);
    if (poll.batches > 0) await this.#o.operators?.eligible(); // refresh (at most every refreshMs)
    if (poll.rewoundTo !== undefined) {
      // A reorg, or a new chain under the node: a new chain must stop it, not be scanned as a reorg.
      await this.checkChain();
      if (poll.cursorBeyondHead !== undefined && poll.cursorBeyondHead > this.#o.reorgDepth)
        throw new ChainChangedError(
          `the head is block ${poll.head}, ${poll.cursorBeyondHead} blocks below the last block this node scanned (reorgDepth ${this.#o.reorgDepth})`,
        );
      await this.#recheck(poll.rewoundTo);
    }
    return poll;
  }

  async #onBatch(b: EventBatch): Promise<void> {
    const { store, metrics, log, operators, graceSec } = this.#o;
    operators?.add(b.staked);
    const eligible =
      operators !== undefined && graceSec > 0 && b.requested.length > 0 ? await operators.eligible() : [];
    const t = performance.now();
    // The grace runs from when this node could first serve the request: a backlog found at start
    // is left to the operators ranked ahead for the grace period too, not taken at once.
    const now = this.#o.clock();
    const added = store.insertSeen(
      b.requested.map((r) => ({
        requestId: r.requestId,
        request: r.request,
        inputHex: r.input,
        blockNumber: r.blockNumber,
        blockHash: r.blockHash,
        blockTime: r.blockTime,
        // Open to any operator: ranked among the eligible ones; assigned: not ranked.
        notBefore:
          BigInt(r.request.operator) === 0n && eligible.length > 0
            ? Math.max(r.blockTime, now) + rankOf(r.requestId, eligible, this.#o.operator) * graceSec
            : 0,
      })),
    );
    metrics.seen.inc(added.length);
    if (added.length > 0) log.debug({ added: added.length, from: b.fromBlock, to: b.toBlock }, "requests seen");
    const me = this.#o.operator.toLowerCase();
    for (const c of b.completed) {
      // The state alone decides (most completions are our own, already submitted or confirmed):
      // the whole job is read only when it is acted on.
      const state = store.stateOf(c.requestId);
      if (state === undefined) continue;
      if (c.operator !== null && c.operator.toLowerCase() === me) {
        // Our own fulfilment, final (the scan is `confirmations` behind). A submitted job is left to
        // the receipts stage, which follows its transaction to the same depth; an attested one is a
        // job whose transaction the journal gave up on (dropped by mistake, reply lost): it is
        // served, so it is confirmed, never sent again or skipped.
        if (state === "attested") {
          const job = store.get(c.requestId)!;
          const earned = operatorShare(job.request);
          store.confirmOwn([{ id: job.requestId, txHash: c.txHash, earnings: earned.toString() }]);
          if (store.getTx(c.txHash) !== undefined) store.setTxState([c.txHash], "mined");
          metrics.served.inc();
          metrics.earnings.inc(Number(earned));
          log.warn(
            { requestId: c.requestId, tx: c.txHash },
            "own fulfilment found on-chain for a job the journal had given up on; confirmed",
          );
        }
        continue;
      }
      if (!OPEN_STATES.includes(state)) continue;
      const reason = c.kind === "refunded" ? "refunded" : "already-fulfilled";
      store.settle([
        {
          id: c.requestId,
          verdict: {
            state: "skipped",
            reason,
            detail: `${c.kind === "refunded" ? "refunded" : `fulfilled by ${c.operator}`} in tx ${c.txHash}`,
          },
        },
      ]);
      metrics.skipped.inc({ reason });
      log.warn({ requestId: c.requestId, by: c.operator, kind: c.kind }, "request completed by someone else; skipped");
    }
    this.stats.dbMs += performance.now() - t;
  }

  /** After a reorg: jobs above the rewind point are checked against the chain again. */
  async #recheck(after: number): Promise<void> {
    const { store, metrics, log, rpc, coordinator } = this.#o;
    const jobs = store
      .jobsAfter(after)
      .filter((j) => j.state !== "failed" && j.state !== "expired" && j.state !== "submitted");
    const statuses = await Promise.all(
      jobs.map(async (j) =>
        Number(
          BigInt(
            await rpc.send<string>("eth_call", [
              { to: coordinator, data: coordinatorInterface.encodeFunctionData("requestStatus", [j.requestId]) },
              "latest",
            ]),
          ),
        ),
      ),
    );
    jobs.forEach((j, i) => {
      const s = statuses[i]!;
      if (s === RequestStatus.None) {
        log.warn({ requestId: j.requestId, state: j.state }, "request no longer on-chain after a reorg");
        store.settle([
          {
            id: j.requestId,
            verdict: { state: "failed", reason: "reorged-out", detail: "the request is no longer on-chain" },
          },
        ]);
        metrics.failed.inc({ reason: "reorged-out" });
      } else if (s === RequestStatus.Open && (j.state === "confirmed" || j.state === "skipped")) {
        const to = store.reopen(j.requestId);
        log.warn(
          { requestId: j.requestId, was: j.state, now: to },
          "request open again after a reorg; serving it again",
        );
      }
    });
  }
}

export interface SyncOptions {
  /** The network's operators, for sharing open requests (undefined: no ranking). */
  operators?: OperatorSet;
  /** Seconds each operator ranked ahead gets (policy.graceSec). */
  graceSec: number;
  /** Current time in unix seconds. */
  clock: () => number;
  rpc: Rpc;
  store: JobStore;
  events: EventSource;
  coordinator: string;
  operator: string;
  reorgDepth: number;
  metrics: Metrics;
  log: Logger;
}
