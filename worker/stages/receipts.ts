/**
 * Receipts stage: follows the transactions in flight (chain/transactions.ts) and settles their
 * jobs once a receipt is final: InferenceFulfilled by this operator → confirmed (earnings = the
 * operator's share), FulfillmentSkipped → skipped (another operator was first), anything else and
 * reverted or dropped transactions → attested again (re-simulated before any resend).
 */
import { getAddress } from "ethers";
import type { Logger } from "pino";

import { operatorShare, isPending } from "@verity-ai/sdk";

import type { Receipt, TransactionSender, JournalEntry } from "../chain/transactions.ts";
import { coordinatorInterface, requestKey } from "../events.ts";
import type { Metrics } from "../metrics.ts";
import type { Job, JobStore } from "../store.ts";
import type { GasModel } from "./gas.ts";

const T_FULFILLED = coordinatorInterface.getEvent("InferenceFulfilled")!.topicHash;
const T_SKIPPED = coordinatorInterface.getEvent("FulfillmentSkipped")!.topicHash;

export interface ReceiptStats {
  gasUsed: bigint;
  results: number;
  /** Sum over confirmed results of (receipt seen − broadcast) in ms. */
  chainMs: number;
  /** Gas of transactions whose results were all or partly skipped, share by result. */
  wastedGas: bigint;
}

export interface ReceiptOptions {
  store: JobStore;
  txs: TransactionSender;
  gas: GasModel;
  coordinator: string;
  confirmations: number;
  metrics: Metrics;
  log: Logger;
}

export class ReceiptStage {
  readonly stats: ReceiptStats = { gasUsed: 0n, results: 0, chainMs: 0, wastedGas: 0n };
  readonly #o: ReceiptOptions;

  constructor(o: ReceiptOptions) {
    this.#o = o;
  }

  /** Follow what is in flight against `head`; returns the jobs confirmed. */
  async run(head: number): Promise<number> {
    const { final, dropped } = await this.#o.txs.follow(head, this.#o.confirmations);
    for (const tx of dropped) {
      this.#o.log.warn(
        { tx: tx.hash, results: tx.requestIds.length },
        "transaction dropped; its jobs return to attested",
      );
      this.restore(tx.requestIds);
    }
    let confirmed = 0;
    for (const { tx, receipt } of final) confirmed += this.#settle(tx, receipt);
    return confirmed;
  }

  /** Jobs of a dropped or reverted transaction → attested (those still submitted). */
  restore(ids: readonly string[], bumpAttempts = false): void {
    const items = ids
      .map((id) => this.#o.store.get(id))
      .filter((j): j is Job => j !== undefined && j.state === "submitted")
      .map((j) => ({ id: j.requestId, attempts: bumpAttempts ? j.attempts + 1 : undefined }));
    this.#o.store.returnToAttested(items);
  }

  #settle(tx: JournalEntry, receipt: Receipt): number {
    const { store, metrics, log } = this.#o;
    this.stats.gasUsed += receipt.gasUsed;
    metrics.gasSpent.inc(Number(receipt.gasUsed));
    metrics.feesSpent.inc(Number(receipt.gasUsed * receipt.effectiveGasPrice));
    if (receipt.status !== 1) {
      this.#o.gas.forget(); // maybe out of gas: estimate again
      log.error(
        { tx: tx.hash, block: receipt.blockNumber },
        "fulfil transaction reverted; its jobs return to attested",
      );
      this.restore(tx.requestIds, true);
      return 0;
    }
    const ids = new Set(tx.requestIds);
    const me = this.#o.txs.address.toLowerCase();
    const coordinator = this.#o.coordinator.toLowerCase();
    const confirmed: { id: string; earnings: string; job: Job }[] = [];
    const skipped: string[] = [];
    const expired: string[] = [];
    const now = Date.now();
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== coordinator) continue;
      // Both events carry requestId and operator as indexed topics: no data decoding needed.
      const topic = log.topics[0];
      const fulfilled = topic === T_FULFILLED && log.topics.length === 4;
      const skip = topic === T_SKIPPED && log.topics.length === 3;
      if (!fulfilled && !skip) continue;
      const id = requestKey(BigInt(log.topics[1]!));
      if (!ids.has(id)) continue;
      const operator = getAddress("0x" + log.topics[2]!.slice(26));
      const job = store.get(id);
      if (job === undefined || job.state !== "submitted") continue;
      if (fulfilled && operator.toLowerCase() === me) {
        const earned = operatorShare(job.request);
        confirmed.push({ id, earnings: earned.toString(), job });
        metrics.earnings.inc(Number(earned));
        metrics.latency.observe(Math.max(0, now / 1000 - job.blockTime));
        ids.delete(id);
      } else if (skip) {
        // The event's one data word is the request's status: still pending (Open / Accepted) means the
        // coordinator skipped it because it passed its deadline (or this operator stopped being eligible
        // during the batch), not because another operator was first.
        if (isPending(BigInt(log.data))) expired.push(id);
        else skipped.push(id);
        ids.delete(id);
      }
    }
    store.settle(
      expired.map((id) => ({
        id,
        verdict: {
          state: "expired",
          reason: "expired",
          detail: `deadline ${store.get(id)?.request.deadline ?? "?"} passed before inclusion (FulfillmentSkipped)`,
        },
      })),
    );
    for (const id of expired) {
      log.warn({ requestId: id, tx: tx.hash }, "request expired before inclusion; skipped");
      metrics.expired.inc();
    }
    store.confirm(confirmed);
    store.settle(
      skipped.map((id) => ({
        id,
        verdict: { state: "skipped", reason: "already-fulfilled", detail: "skipped in batch (FulfillmentSkipped)" },
      })),
    );
    for (const id of skipped) {
      log.warn({ requestId: id, tx: tx.hash }, "request was already fulfilled by another operator; skipped");
      metrics.skipped.inc({ reason: "already-fulfilled" });
    }
    if (skipped.length > 0)
      this.stats.wastedGas += (receipt.gasUsed * BigInt(skipped.length)) / BigInt(tx.requestIds.length);
    if (confirmed.length > 1) {
      const mode = Number(confirmed[0]!.job.request.mode);
      const callbacks = this.#o.gas.callbacks(confirmed.map((c) => c.job.request));
      this.#o.gas.learn(mode, receipt.gasUsed, tx.requestIds.length, callbacks);
      if (confirmed.length === tx.requestIds.length) this.#o.gas.trust(mode);
    }
    if (skipped.length > 0) this.#o.gas.distrust();
    metrics.served.inc(confirmed.length);
    this.stats.results += confirmed.length;
    this.stats.chainMs += confirmed.length * Math.max(0, now - tx.sentAt);
    if (ids.size > 0) this.restore([...ids], true);
    log.info(
      {
        tx: tx.hash,
        block: receipt.blockNumber,
        confirmed: confirmed.length,
        skipped: skipped.length,
        gasUsed: receipt.gasUsed.toString(),
      },
      "fulfil transaction confirmed",
    );
    return confirmed.length;
  }
}
