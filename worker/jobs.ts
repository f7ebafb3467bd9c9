/**
 * Executor glue: policy checks, input decoding per the model's manifest, batched execution, and
 * signing. Moves jobs seen → executing → attested, or to failed / expired / skipped with a reason.
 * A bad request never throws out of here: it becomes a failed job.
 */
import { ZeroAddress, getBytes, hexlify, keccak256 } from "ethers";
import type { Logger } from "pino";

import { Mode, type Request } from "../sdk/types.ts";
import {
  Executor,
  InputDecodeError,
  ModelError,
  ModelHashMismatchError,
  ModelStore,
  UnknownModelError,
  decodeInput,
} from "./models/index.ts";
import type { Attester } from "./attester.ts";
import type { JobRow, JobState, JobStore } from "./db.ts";
import type { Metrics } from "./metrics.ts";

/** Signatures made between two yields to the event loop. */
const SIGN_SLICE = 16;

export interface Policy {
  models: readonly string[];
  minFeePerModel: Readonly<Record<string, bigint>>;
  maxInputBytes: number;
  deadlineMarginSec: number;
}

const BIGINT_KEYS = [
  "nonce",
  "deadline",
  "version",
  "mode",
  "callbackGasLimit",
  "fee",
  "royalty",
  "protocolFee",
] as const;

export function requestToJson(r: Request): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

export function requestFromJson(s: string): Request {
  const o = JSON.parse(s) as Record<string, unknown>;
  for (const k of BIGINT_KEYS) o[k] = BigInt(o[k] as string);
  return o as unknown as Request;
}

/** Operator's share: fee - royalty - protocolFee. */
export function earningsOf(r: Request): bigint {
  return r.fee - r.royalty - r.protocolFee;
}

export interface Verdict {
  state: Extract<JobState, "failed" | "expired" | "skipped">;
  reason: string;
  detail: string;
}

/** Timing totals of execution, for the benchmark breakdown. */
export interface ExecStats {
  inferenceMs: number;
  signingMs: number;
  decodeMs: number;
}

export class JobRunner {
  readonly stats: ExecStats = { inferenceMs: 0, signingMs: 0, decodeMs: 0 };
  readonly #store: JobStore;
  readonly #models: ModelStore;
  readonly #executor: Executor;
  readonly #attester: Attester;
  readonly #policy: Policy;
  readonly #operator: string;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #concurrency: number;

  constructor(o: {
    store: JobStore;
    models: ModelStore;
    executor: Executor;
    attester: Attester;
    policy: Policy;
    operator: string;
    metrics: Metrics;
    log: Logger;
    concurrency: number;
  }) {
    this.#store = o.store;
    this.#models = o.models;
    this.#executor = o.executor;
    this.#attester = o.attester;
    this.#policy = o.policy;
    this.#operator = o.operator.toLowerCase();
    this.#metrics = o.metrics;
    this.#log = o.log;
    this.#concurrency = o.concurrency;
  }

  #served(weightsHash: string): boolean {
    const list = this.#policy.models;
    if (list.length === 0) return true;
    const h = weightsHash.toLowerCase();
    const name = this.#models.has(h) ? this.#models.manifest(h).name : undefined;
    return list.some((m) => m.toLowerCase() === h || (name !== undefined && m === name));
  }

  #minFee(weightsHash: string): bigint {
    const h = weightsHash.toLowerCase();
    const name = this.#models.has(h) ? this.#models.manifest(h).name : undefined;
    const table = this.#policy.minFeePerModel;
    for (const [k, v] of Object.entries(table)) if (k.toLowerCase() === h) return v;
    if (name !== undefined && table[name] !== undefined) return table[name];
    return table["*"] ?? 0n;
  }

  /** Checks that need no model file; undefined = go ahead. */
  check(job: JobRow, request: Request, nowSec: number): Verdict | undefined {
    if (request.mode !== BigInt(Mode.TEE))
      return { state: "skipped", reason: "mode-unsupported", detail: `mode ${request.mode} is not TEE` };
    if (request.operator !== ZeroAddress && request.operator.toLowerCase() !== this.#operator) {
      return { state: "skipped", reason: "assigned-to-other", detail: `assigned to operator ${request.operator}` };
    }
    if (request.deadline <= BigInt(nowSec + this.#policy.deadlineMarginSec)) {
      return {
        state: "expired",
        reason: "expired",
        detail: `deadline ${request.deadline} passed (now ${nowSec}, margin ${this.#policy.deadlineMarginSec}s)`,
      };
    }
    if (!this.#served(request.weightsHash))
      return {
        state: "skipped",
        reason: "model-not-served",
        detail: `model ${request.weightsHash} is not in policy.models`,
      };
    const min = this.#minFee(request.weightsHash);
    if (request.fee < min)
      return { state: "skipped", reason: "fee-below-minimum", detail: `fee ${request.fee} < minimum ${min}` };
    const bytes = (job.inputHex.length - 2) / 2;
    if (bytes === 0)
      return {
        state: "skipped",
        reason: "private-input-unsupported",
        detail: "private inputs are not accepted by this worker",
      };
    if (bytes > this.#policy.maxInputBytes)
      return {
        state: "failed",
        reason: "input-too-large",
        detail: `input is ${bytes} bytes, policy.maxInputBytes is ${this.#policy.maxInputBytes}`,
      };
    if (keccak256(job.inputHex) !== request.inputHash)
      return {
        state: "failed",
        reason: "input-hash-mismatch",
        detail: "keccak256(input) differs from request.inputHash",
      };
    if (!this.#models.has(request.weightsHash)) {
      return { state: "failed", reason: "unknown-model", detail: new UnknownModelError(request.weightsHash).message };
    }
    return undefined;
  }

  /** Record verdicts (failed / expired / skipped) with their reasons. */
  settle(items: { job: JobRow; verdict: Verdict }[]): void {
    for (const state of ["failed", "expired", "skipped"] as const) {
      const these = items.filter((i) => i.verdict.state === state);
      this.#store.transitionEach(
        these.map(({ job, verdict }) => ({
          id: job.requestId,
          fields: { error: `${verdict.reason}: ${verdict.detail}` },
        })),
        state,
      );
      for (const { job, verdict } of these) {
        if (state === "failed") this.#metrics.failed.inc({ reason: verdict.reason });
        else if (state === "expired") this.#metrics.expired.inc();
        else this.#metrics.skipped.inc({ reason: verdict.reason });
        const level = state === "skipped" ? "info" : "warn";
        this.#log[level](
          { requestId: job.requestId, state, reason: verdict.reason, detail: verdict.detail },
          `request ${state}`,
        );
      }
    }
  }

  /** Take jobs in `seen`, check, execute per model in batches, sign: → attested. */
  async process(jobs: readonly JobRow[], nowSec: number): Promise<number> {
    const verdicts: { job: JobRow; verdict: Verdict }[] = [];
    const groups = new Map<string, { job: JobRow; request: Request }[]>();
    for (const job of jobs) {
      let request: Request;
      try {
        request = requestFromJson(job.request);
      } catch (err) {
        verdicts.push({ job, verdict: { state: "failed", reason: "bad-request", detail: (err as Error).message } });
        continue;
      }
      const v = this.check(job, request, nowSec);
      if (v !== undefined) {
        verdicts.push({ job, verdict: v });
        continue;
      }
      const key = request.weightsHash.toLowerCase();
      const list = groups.get(key) ?? [];
      list.push({ job, request });
      groups.set(key, list);
    }
    this.settle(verdicts);

    let attested = 0;
    const entries = [...groups.entries()];
    for (let i = 0; i < entries.length; i += this.#concurrency) {
      const counts = await Promise.all(
        entries.slice(i, i + this.#concurrency).map(([hash, items]) => this.#runGroup(hash, items)),
      );
      attested += counts.reduce((a, b) => a + b, 0);
    }
    return attested;
  }

  async #runGroup(weightsHash: string, items: { job: JobRow; request: Request }[]): Promise<number> {
    this.#store.transition(
      items.map((i) => i.job.requestId),
      "executing",
    );
    const fail = (list: typeof items, reason: string, detail: string) =>
      this.settle(list.map(({ job }) => ({ job, verdict: { state: "failed" as const, reason, detail } })));

    let encoding: string;
    let name: string;
    try {
      const loaded = await this.#executor.load(weightsHash);
      encoding = loaded.manifest.input.encoding;
      name = loaded.manifest.name;
    } catch (err) {
      if (err instanceof ModelHashMismatchError) fail(items, "model-hash-mismatch", err.message);
      else if (err instanceof UnknownModelError) fail(items, "unknown-model", err.message);
      else fail(items, "model-load-failed", (err as Error).message);
      this.#log.error({ weightsHash, err: (err as Error).message }, "model cannot be loaded; its requests failed");
      return 0;
    }

    const t0 = performance.now();
    const good: typeof items = [];
    const bad: { job: JobRow; verdict: Verdict }[] = [];
    for (const it of items) {
      try {
        decodeInput(encoding, it.job.inputHex);
        good.push(it);
      } catch (err) {
        const msg = err instanceof InputDecodeError || err instanceof ModelError ? err.message : String(err);
        bad.push({ job: it.job, verdict: { state: "failed", reason: "bad-input", detail: msg } });
      }
    }
    this.stats.decodeMs += performance.now() - t0;
    this.settle(bad);
    if (good.length === 0) return 0;

    const CHUNK = 1024;
    const results: { id: string; fields: { output: string; signature: string } }[] = [];
    for (let i = 0; i < good.length; i += CHUNK) {
      const chunk = good.slice(i, i + CHUNK);
      let outputs: Uint8Array[];
      try {
        const r = await this.#executor.runBatch(
          weightsHash,
          chunk.map((c) => getBytes(c.job.inputHex)),
        );
        outputs = r.outputs;
        this.stats.inferenceMs += r.ms;
        this.#metrics.inference.observe({ model: name }, r.ms / 1000);
      } catch (err) {
        fail(chunk, "execution-failed", (err as Error).message);
        continue;
      }
      // Signing is synchronous CPU work (~1-2 ms per result): yield to the event loop every few
      // signatures so RPC answers (simulations, sends, receipts of earlier batches) are handled
      // meanwhile, letting the chain work on one batch while the next one is signed.
      let s0 = performance.now();
      for (let k = 0; k < chunk.length; k++) {
        const c = chunk[k]!;
        const output = outputs[k]!;
        const signature = this.#attester.sign(BigInt(c.job.requestId), c.request, output);
        results.push({ id: c.job.requestId, fields: { output: hexlify(output), signature } });
        if (k % SIGN_SLICE === SIGN_SLICE - 1 && k < chunk.length - 1) {
          this.stats.signingMs += performance.now() - s0;
          await new Promise<void>((r) => setImmediate(r));
          s0 = performance.now();
        }
      }
      this.stats.signingMs += performance.now() - s0;
    }
    this.#store.transitionEach(results, "attested");
    return results.length;
  }
}
