/**
 * Submit stage: attested jobs → fulfil transactions (attested → submitted).
 *  - group by verification mode (one mode per transaction, so a batch's gas follows its mode) and
 *    cut into batches of `batchSize` (`zkBatchSize` for ZK results, ~300k gas each);
 *  - simulate a batch once (eth_call) — per round only the first of a mode when it goes through whole;
 *    a batch that reverts falls back to single `fulfill`
 *    simulations, which say which request is the problem; results the chain says are no longer
 *    open are dropped before sending;
 *  - classify reverts through the SDK's `decodeRevert` into a job verdict (skipped / expired /
 *    failed, or attested again for a retry), or block the node when the coordinator refuses the
 *    operator (not eligible, paused);
 *  - gas limits from the gas model (stages/gas.ts), then hand the payloads to the transaction layer;
 *  - once a batch of a mode has gone through cleanly, later batches of that mode are sent without
 *    a simulation until a batch reverts or carries a skipped result (GasModel.trusted).
 */
import type { Logger } from "pino";

import { decodeRevert, isPending, Mode, RequestStatus, statusName, type DecodedRevert } from "@verity-ai/sdk";

import { encodeFulfillBatch } from "../chain/encoding.ts";
import { RpcRejectedError, shortError, type Rpc } from "../chain/rpc.ts";
import type { TransactionSender } from "../chain/transactions.ts";
import { coordinatorInterface } from "../events.ts";
import type { Metrics } from "../metrics.ts";
import type { Job, JobStore, Verdict } from "../store.ts";
import type { GasModel } from "./gas.ts";

interface Prepared {
  jobs: Job[];
  data: string;
  gasLimit: bigint;
}

export interface SubmitOptions {
  rpc: Rpc;
  store: JobStore;
  txs: TransactionSender;
  gas: GasModel;
  coordinator: string;
  batchSize: number;
  zkBatchSize: number;
  /** Transactions in flight at most. */
  concurrency: number;
  /** Simulation failures of one result before it is failed. */
  maxAttempts: number;
  metrics: Metrics;
  log: Logger;
}

/** Results in the estimate of a mode's first batch (stages/gas.ts). */
const ESTIMATE_SAMPLE = 2;

/**
 * The `n` results of a batch that cost the most gas to fulfil: stored outputs first (a storage write
 * per word), then the most bytes of output, proof and input (calldata, hashing, the event's data).
 */
function costliest(jobs: readonly Job[], n: number): Job[] {
  const weight = (j: Job) =>
    (j.request.storeOutput ? 1_000_000 : 0) + (j.output?.length ?? 0) + (j.proof?.length ?? 0) + j.inputHex.length;
  return [...jobs].sort((a, b) => weight(b) - weight(a)).slice(0, n);
}

/** Reverts that say the operator cannot fulfil anything now: its jobs stay attested. */
const BLOCKING = new Set(["CoordinatorOperatorNotEligible", "CoordinatorPaused"]);

export class SubmitStage {
  /** simulateMs: time in eth_call / eth_estimateGas; unsimulated: batches sent on a trusted gas model. */
  readonly stats = { simulateMs: 0, unsimulated: 0 };
  readonly #o: SubmitOptions;
  /** Set when the chain says the operator cannot fulfil (not eligible, paused): retried next pass. */
  blocked: string | undefined;

  constructor(o: SubmitOptions) {
    this.#o = o;
  }

  async #timed<T>(p: Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await p;
    } finally {
      this.stats.simulateMs += performance.now() - t;
    }
  }

  /** Batches to send now: by mode, at most as many as there are free transaction slots. */
  batches(jobs: readonly Job[], slots: number): Job[][] {
    const byMode = new Map<number, Job[]>();
    for (const j of jobs) {
      const m = Number(j.request.mode);
      const list = byMode.get(m);
      if (list === undefined) byMode.set(m, [j]);
      else list.push(j);
    }
    const chunks: Job[][] = [];
    for (const [mode, list] of [...byMode.entries()].sort((a, b) => a[0] - b[0])) {
      const size = mode === Mode.ZK ? this.#o.zkBatchSize : this.#o.batchSize;
      for (let i = 0; i < list.length && chunks.length < slots; i += size) chunks.push(list.slice(i, i + size));
    }
    return chunks;
  }

  /** Submit attested jobs; returns how many were broadcast. */
  async run(jobs: readonly Job[]): Promise<number> {
    this.blocked = undefined;
    const slots = this.#o.concurrency - this.#o.txs.inFlight();
    if (slots <= 0 || jobs.length === 0) return 0;
    const byMode = new Map<number, Job[][]>();
    for (const c of this.batches(jobs, slots)) {
      const m = Number(c[0]!.request.mode);
      byMode.set(m, [...(byMode.get(m) ?? []), c]);
    }
    const prepared = (await Promise.all([...byMode.values()].map((list) => this.#prepareMode(list))))
      .flat()
      .slice(0, slots);
    if (prepared.length === 0) return 0;
    const { sent, unsent } = await this.#o.txs.send(
      prepared.map((p) => ({
        to: this.#o.coordinator,
        data: p.data,
        gasLimit: p.gasLimit,
        requestIds: p.jobs.map((j) => j.requestId),
      })),
    );
    for (const t of sent) this.#o.metrics.txs.inc({ kind: t.requestIds.length > 1 ? "batch" : "single" });
    this.#o.store.returnToAttested(unsent.flatMap((t) => t.requestIds.map((id) => ({ id }))));
    return sent.reduce((a, t) => a + t.requestIds.length, 0);
  }

  #encode(jobs: readonly Job[]): string {
    if (jobs.length === 1)
      return coordinatorInterface.encodeFunctionData("fulfill", [jobs[0]!.request, jobs[0]!.output, jobs[0]!.proof]);
    return encodeFulfillBatch(
      jobs.map((j) => j.request),
      jobs.map((j) => j.output!),
      jobs.map((j) => j.proof!),
    );
  }

  #call(method: string, data: string): Promise<string> {
    return this.#timed(
      this.#o.rpc.send<string>(method, [
        { from: this.#o.txs.address, to: this.#o.coordinator, data },
        ...(method === "eth_call" ? ["latest"] : []),
      ]),
    );
  }

  async #gasLimit(jobs: readonly Job[], data: string): Promise<bigint> {
    const mode = Number(jobs[0]!.request.mode);
    const requests = jobs.map((j) => j.request);
    if (this.#o.gas.perResult(mode) !== undefined && jobs.length > 1) return this.#o.gas.limit(mode, requests);
    if (jobs.length > ESTIMATE_SAMPLE) {
      // The first batch of a mode: estimate a sample of its costliest results, not the whole batch
      // (an estimate is a binary search: it runs what it is given a dozen times). The sample's gas
      // per result carries the transaction's fixed cost, so it is above a large batch's.
      const sample = costliest(jobs, ESTIMATE_SAMPLE);
      const estimate = BigInt(await this.#call("eth_estimateGas", this.#encode(sample)));
      this.#o.gas.limit(
        mode,
        sample.map((j) => j.request),
        estimate,
      );
      return this.#o.gas.limit(mode, requests);
    }
    return this.#o.gas.limit(mode, requests, BigInt(await this.#call("eth_estimateGas", data)));
  }

  /**
   * Batches of one mode in one round. Until the mode is trusted, the first batch is simulated and,
   * when it goes through whole (no result dropped, no revert), the others are sent on the gas it
   * taught without a simulation of their own: what could make them revert (the operator's
   * eligibility, a pause, the verifier, the gas per result) is the same for every batch of the
   * round, and a result no longer open is skipped by the coordinator, not reverted. Otherwise each
   * batch is simulated.
   */
  async #prepareMode(list: Job[][]): Promise<Prepared[]> {
    const [first, ...rest] = list;
    const out = await this.#prepare(first!);
    const mode = Number(first![0]!.request.mode);
    const clean = first!.length > 1 && out.length === 1 && out[0]!.jobs.length === first!.length;
    if (rest.length === 0) return out;
    if (clean && this.#o.gas.perResult(mode) !== undefined) {
      for (const jobs of rest) {
        if (jobs.length === 1) {
          out.push(...(await this.#prepareSingle(jobs[0]!)));
          continue;
        }
        this.stats.unsimulated++;
        out.push({
          jobs,
          data: this.#encode(jobs),
          gasLimit: this.#o.gas.limit(
            mode,
            jobs.map((j) => j.request),
          ),
        });
      }
      return out;
    }
    return [...out, ...(await Promise.all(rest.map((c) => this.#prepare(c)))).flat()];
  }

  /** Simulate a batch; drop requests the chain says are not open; fall back to singles on a revert. */
  async #prepare(jobs: Job[]): Promise<Prepared[]> {
    if (jobs.length === 1) return this.#prepareSingle(jobs[0]!);
    let data = this.#encode(jobs);
    const mode = Number(jobs[0]!.request.mode);
    if (this.#o.gas.trusted(mode)) {
      this.stats.unsimulated++;
      return [
        {
          jobs,
          data,
          gasLimit: this.#o.gas.limit(
            mode,
            jobs.map((j) => j.request),
          ),
        },
      ];
    }
    try {
      const ret = await this.#call("eth_call", data);
      const fulfilled = Number(coordinatorInterface.decodeFunctionResult("fulfillBatch", ret)[0] as bigint);
      if (fulfilled < jobs.length) {
        jobs = await this.#dropNotOpen(jobs);
        if (jobs.length === 0) return [];
        if (jobs.length === 1) return this.#prepareSingle(jobs[0]!);
        data = this.#encode(jobs);
      }
      return [{ jobs, data, gasLimit: await this.#gasLimit(jobs, data) }];
    } catch (err) {
      if (!(err instanceof RpcRejectedError)) throw err;
      const r = decodeRevert(err);
      this.#o.log.warn(
        { results: jobs.length, revert: r?.name ?? shortError(err) },
        "batch failed simulation; falling back to single fulfils",
      );
      if (r !== undefined && this.#blocking(r.name)) return [];
      return (await Promise.all(jobs.map((j) => this.#prepareSingle(j)))).flat();
    }
  }

  async #prepareSingle(job: Job): Promise<Prepared[]> {
    const data = this.#encode([job]);
    try {
      return [{ jobs: [job], data, gasLimit: await this.#gasLimit([job], data) }];
    } catch (err) {
      if (!(err instanceof RpcRejectedError)) throw err;
      this.#classify(job, decodeRevert(err), shortError(err));
      return [];
    }
  }

  #blocking(name: string): boolean {
    if (!BLOCKING.has(name)) return false;
    this.blocked = name;
    this.#o.log.error(
      { operator: this.#o.txs.address, revert: name },
      "the coordinator refuses this operator's results (not staked/eligible, or paused); jobs stay attested",
    );
    return true;
  }

  async #dropNotOpen(jobs: Job[]): Promise<Job[]> {
    const statuses = await Promise.all(
      jobs.map(async (j) => {
        const ret = await this.#timed(
          this.#o.rpc.send<string>("eth_call", [
            {
              to: this.#o.coordinator,
              data: coordinatorInterface.encodeFunctionData("requestStatus", [j.requestId]),
            },
            "latest",
          ]),
        );
        return Number(BigInt(ret));
      }),
    );
    const open: Job[] = [];
    jobs.forEach((j, i) => {
      const s = statuses[i]!;
      if (isPending(s)) open.push(j);
      else
        this.#classify(
          j,
          {
            name: "CoordinatorRequestNotOpen",
            args: [BigInt(j.requestId), BigInt(s)],
            text: `status ${statusName(s)}`,
          },
          `status ${statusName(s)}`,
        );
    });
    return open;
  }

  /** A verdict for a job whose single simulation reverted (or undefined: retry it later). */
  verdictOf(job: Job, r: DecodedRevert | undefined, message: string): Verdict | undefined {
    const name = r?.name;
    if (name === "CoordinatorRequestNotOpen") {
      const status = Number(r!.args[1]);
      const reason = status === RequestStatus.Refunded ? "refunded" : "already-fulfilled";
      return { state: "skipped", reason, detail: `request is ${statusName(status)} on-chain` };
    }
    if (name === "CoordinatorRequestExpired")
      return { state: "expired", reason: "expired", detail: `deadline ${r!.args[1]} passed` };
    if (name === "CoordinatorNotAssignedOperator")
      return { state: "skipped", reason: "assigned-to-other", detail: `assigned to ${r!.args[1]}` };
    if (name === "CoordinatorUnknownRequest")
      return { state: "failed", reason: "unknown-request", detail: "the coordinator does not know this request" };
    if (job.attempts + 1 >= this.#o.maxAttempts)
      return { state: "failed", reason: "simulation-reverted", detail: name ?? message };
    return undefined;
  }

  #classify(job: Job, r: DecodedRevert | undefined, message: string): void {
    if (r !== undefined && this.#blocking(r.name)) return;
    const v = this.verdictOf(job, r, message);
    const { store, metrics, log } = this.#o;
    if (v === undefined) {
      const attempts = job.attempts + 1;
      log.error(
        { requestId: job.requestId, revert: r?.name ?? message, attempts },
        "fulfil failed simulation; will retry",
      );
      store.returnToAttested([
        { id: job.requestId, attempts, problem: { reason: "simulation-reverted", detail: r?.name ?? message } },
      ]);
      return;
    }
    store.settle([{ id: job.requestId, verdict: v }]);
    if (v.state === "skipped") metrics.skipped.inc({ reason: v.reason });
    else if (v.state === "expired") metrics.expired.inc();
    else metrics.failed.inc({ reason: v.reason });
    log.warn({ requestId: job.requestId, state: v.state, reason: v.reason, detail: v.detail }, `request ${v.state}`);
  }
}
