/**
 * Gas model of fulfil transactions. The limit of every batch is
 *   (execution gas + Σ callbackGasBudget(request) + BATCH_RESERVE) × (100 + marginPercent) / 100
 * where the execution gas is (estimate ÷ its results) × results, the estimate being eth_estimateGas
 * of a sample of the first batch of a mode (its two costliest results: stages/submit.ts), until a
 * receipt of a batch of that mode was seen, then (highest per-result gas seen for the mode) ×
 * results. One small estimate per mode, not one per batch: an estimate runs what it is given a
 * dozen times (a binary search), and estimating whole 100-result batches cost the chain more than
 * mining every batch (bench/results/worker.json). The sample's per-result gas carries the
 * transaction's fixed cost and the first touch of shared storage, so it lies above a large batch's;
 * a batch that reverts anyway (out of gas) makes the model forget. Callback budgets are added
 * for every batch, not only after a failure: an estimate made when a callback happened to use
 * little gas would otherwise starve it on-chain (the coordinator then skips that result's
 * callback, or the whole batch runs out of gas). A reverted batch (maybe out of gas) forgets what
 * was learnt, so the next batch is estimated again.
 */
import { callbackGasBudget, type Request } from "@verity-ai/sdk";

/** Fixed cost of a transaction and of the batch loop, on top of the per-result gas. */
export const BATCH_RESERVE = 40_000n;

export class GasModel {
  readonly #marginPercent: number;
  /** Per mode: highest gas per result seen in a batch receipt (callbacks excluded). */
  readonly #perResult = new Map<number, bigint>();
  /** Per mode: gas per result of the first batch estimate, used until a receipt teaches the real one. */
  readonly #estimated = new Map<number, bigint>();
  readonly #trusted = new Set<number>();

  constructor(marginPercent: number) {
    this.#marginPercent = marginPercent;
  }

  /** Per-result gas of a mode: learnt from a receipt, else from the first estimate; undefined = estimate. */
  perResult(mode: number): bigint | undefined {
    return this.#perResult.get(mode) ?? this.#estimated.get(mode);
  }

  /** Callback budgets of the requests: the gas their callbacks may use beyond any estimate. */
  callbacks(requests: readonly Request[]): bigint {
    return requests.reduce((a, r) => a + callbackGasBudget(r), 0n);
  }

  /** Gas limit from an estimate (undefined: from the learnt per-result gas of `mode`). */
  limit(mode: number, requests: readonly Request[], estimate?: bigint): bigint {
    if (estimate !== undefined && requests.length > 1 && !this.#estimated.has(mode)) {
      const n = BigInt(requests.length);
      this.#estimated.set(mode, (estimate + n - 1n) / n);
    }
    const per = this.perResult(mode);
    const execution = estimate ?? (per === undefined ? undefined : per * BigInt(requests.length));
    if (execution === undefined)
      throw new Error(`gas model: no estimate and nothing learnt for mode ${mode}: call eth_estimateGas first`);
    const base = execution + this.callbacks(requests) + BATCH_RESERVE;
    return (base * BigInt(100 + this.#marginPercent)) / 100n;
  }

  /** Learn from a successful batch receipt: per-result gas without the callbacks. */
  learn(mode: number, gasUsed: bigint, results: number, callbackGas: bigint): void {
    if (results < 2) return;
    const used = gasUsed > callbackGas ? gasUsed - callbackGas : 0n;
    const per = (used + BigInt(results) - 1n) / BigInt(results);
    const known = this.#perResult.get(mode);
    if (known === undefined || per > known) this.#perResult.set(mode, per);
  }

  /** A batch reverted (maybe out of gas): estimate again, and simulate every batch again. */
  forget(): void {
    this.#perResult.clear();
    this.#estimated.clear();
    this.#trusted.clear();
  }

  /**
   * Whether batches of `mode` may be sent without a simulation: a batch of that mode was mined
   * with every result fulfilled, and no batch has reverted or carried a skipped result since.
   * The contract skips (does not revert on) results no longer open, and the sync stage drops
   * those it has seen served, so a simulation per batch buys little once batches go through;
   * the first revert or skip brings simulations back.
   */
  trusted(mode: number): boolean {
    return this.#trusted.has(mode) && this.#perResult.has(mode);
  }

  trust(mode: number): void {
    this.#trusted.add(mode);
  }

  /** A batch carried a result the chain skipped: simulate again (without forgetting the gas learnt). */
  distrust(): void {
    this.#trusted.clear();
  }
}
