/**
 * Executor glue: policy checks, input decoding per the model's manifest, batched execution, and
 * signing (TEE) or proving (ZK). Moves jobs seen → executing → attested, or to failed / expired /
 * skipped with a reason, or to awaiting-input for a private-input request whose input has not
 * reached the intake endpoint yet. A bad request never throws out of here: it becomes a failed job.
 *
 * Private inputs: the job's on-chain input is empty and `inputHash` is the requester's commitment;
 * the input and salt come from the job store (received by worker/intake.ts) and never leave the
 * worker. TEE results are signed over the commitment as `inputHash`, as for any request. The
 * commitment is the field-tree root when the model's manifest declares a field record (the same root a
 * ZK request for that record carries), else keccak256(abi.encode(input, salt)) (sdk/private.ts).
 *
 * ZK mode: proofs are made off the event loop by prover threads (worker/prover.ts). They take a
 * few hundred ms each (bench/results/zk.json), so ZK jobs do not hold up the pass: they move to
 * executing, are queued to the prover, and become attested (output = abi.encode(class), proof =
 * encodeZkProof) when their proof is back, waking the worker to submit them.
 */
import { ZeroAddress, getBytes, hexlify, keccak256 } from "ethers";
import type { Logger } from "pino";

import {
  InputDecodeError,
  Mode,
  ModelError,
  ModelHashMismatchError,
  UnknownModelError,
  classOutput,
  decodeInput,
  encodeZkProof,
  recordSpecFromManifest,
  recordWitnessInput,
  teeRecordCommitment,
  type RecordSpec,
  type Request,
  type ZkCircuitSpec,
} from "@verity-ai/sdk";

import { Executor, ModelStore } from "../models/index.ts";
import type { Attester } from "../attester.ts";
import type { Job, JobStore, Verdict } from "../store.ts";
import type { Metrics } from "../metrics.ts";
import { ProofCancelled, type ProverPool, type WitnessInput } from "../prover.ts";

export type { Verdict } from "../store.ts";

export interface Policy {
  models: readonly string[];
  minFeePerModel: Readonly<Record<string, bigint>>;
  maxInputBytes: number;
  deadlineMarginSec: number;
}

/** What a job runs on once its checks pass: the input bytes (public or private) and, if private, the salt. */
interface Ready {
  input: string;
  salt: string | undefined;
}

interface Item {
  job: Job;
  request: Request;
  input: string;
  salt: string | undefined;
}

/** Timing totals of execution, for the benchmark breakdown. */
export interface ExecStats {
  inferenceMs: number;
  signingMs: number;
  decodeMs: number;
}

export class ExecuteStage {
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
  readonly #provers: ReadonlyMap<string, ProverPool>;
  readonly #onAttested: () => void;
  readonly #clock: () => number;
  readonly #unavailable: ReadonlyMap<string, { code: string; detail: string }>;
  /** TEE record layouts from the models' manifests, by weightsHash (null: no field record). */
  readonly #teeRecords = new Map<string, RecordSpec | null>();
  #closed = false;

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
    /** ZK provers by model weightsHash (lower case); empty = ZK mode off. */
    provers?: ReadonlyMap<string, ProverPool>;
    /** Called when jobs become attested outside a pass (ZK proofs): wake the worker to submit. */
    onAttested?: () => void;
    /** Current time in unix seconds, for deadline checks made outside a pass. */
    clock?: () => number;
    /** Models that could not be fetched or were refused (worker/models/provision.ts), by weightsHash. */
    unavailable?: ReadonlyMap<string, { code: string; detail: string }>;
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
    this.#provers = o.provers ?? new Map();
    this.#onAttested = o.onAttested ?? (() => undefined);
    this.#clock = o.clock ?? (() => Math.floor(Date.now() / 1000));
    this.#unavailable = o.unavailable ?? new Map();
  }

  /** Stop acting on proofs that come back after this (the worker is stopping; jobs resume on restart). */
  close(): void {
    this.#closed = true;
  }

  /** Does policy.models let this node serve the model `weightsHash` (an empty list serves every model)? */
  served(weightsHash: string): boolean {
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

  /** The descriptor of the generated circuit that proves `weightsHash`, if this worker has one. */
  zkCircuit(weightsHash: string): ZkCircuitSpec | undefined {
    return this.#provers.get(weightsHash.toLowerCase())?.circuit.spec;
  }

  /**
   * The record layout a private request's commitment is made over: in ZK mode the circuit's
   * descriptor; in TEE mode the field record the model's manifest declares (undefined for a model
   * with no field record, whose TEE commitment is keccak256(abi.encode(input, salt)), and for a model
   * this worker does not hold: see missingModel).
   */
  recordSpec(mode: bigint, weightsHash: string): RecordSpec | undefined {
    if (mode === BigInt(Mode.ZK)) return this.zkCircuit(weightsHash);
    const h = weightsHash.toLowerCase();
    if (!this.#models.has(h)) return undefined;
    let spec = this.#teeRecords.get(h);
    if (spec === undefined) {
      // The manifest schema only admits fields an int32 input can carry, so this does not throw.
      spec = recordSpecFromManifest(this.#models.manifest(h)) ?? null;
      this.#teeRecords.set(h, spec);
    }
    return spec ?? undefined;
  }

  /** A TEE job's verdict when this worker does not hold the model `weightsHash`; undefined when it does. */
  missingModel(weightsHash: string): Verdict | undefined {
    if (this.#models.has(weightsHash)) return undefined;
    const why = this.#unavailable.get(weightsHash.toLowerCase());
    if (why !== undefined) return { state: "failed", reason: why.code, detail: why.detail };
    return { state: "failed", reason: "unknown-model", detail: new UnknownModelError(weightsHash).message };
  }

  /** Can this worker serve `mode` for the model `weightsHash`? A reason when it cannot. */
  unsupported(mode: bigint, weightsHash: string): Verdict | undefined {
    if (mode === BigInt(Mode.TEE)) return undefined;
    if (mode === BigInt(Mode.ZK)) {
      if (this.#provers.has(weightsHash.toLowerCase())) return undefined;
      return {
        state: "skipped",
        reason: "zk-unsupported",
        detail:
          this.#provers.size === 0
            ? "ZK mode is off on this worker (zk.enabled false, or no circuit files)"
            : `no ZK circuit for model ${weightsHash} on this worker`,
      };
    }
    return { state: "skipped", reason: "mode-unsupported", detail: `mode ${mode} is not served (TEE = 1, ZK = 2)` };
  }

  /** Checks that need no model file; undefined = go ahead. */
  check(job: Job, request: Request, nowSec: number): Verdict | undefined {
    const r = this.#check(job, request, nowSec);
    return "state" in r ? r : undefined;
  }

  #check(job: Job, request: Request, nowSec: number): Verdict | Ready {
    const mode = this.unsupported(request.mode, request.weightsHash);
    if (mode !== undefined) return mode;
    const zk = request.mode === BigInt(Mode.ZK);
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
    if (!this.served(request.weightsHash))
      return {
        state: "skipped",
        reason: "model-not-served",
        detail: `model ${request.weightsHash} is not in policy.models`,
      };
    const min = this.#minFee(request.weightsHash);
    if (request.fee < min)
      return { state: "skipped", reason: "fee-below-minimum", detail: `fee ${request.fee} < minimum ${min}` };
    const isPrivate = job.inputHex === "0x";
    if (zk && !isPrivate)
      return {
        state: "skipped",
        reason: "zk-needs-private-input",
        detail:
          "a ZK request must carry a Poseidon commitment to a private input; this one has a public input (inputHash = keccak256(input)), which no circuit proves",
      };
    let input = job.inputHex;
    let salt: string | undefined;
    if (isPrivate) {
      const received = this.#store.getPrivateInput(job.requestId);
      if (received === undefined)
        return {
          state: "awaiting-input",
          reason: "awaiting-input",
          detail: `private input not received yet: the requester POSTs {input, salt} to /intake/${job.requestId} (deadline ${request.deadline})`,
        };
      input = received.inputHex;
      salt = received.salt;
    }
    const bytes = (input.length - 2) / 2;
    if (bytes > this.#policy.maxInputBytes)
      return {
        state: "failed",
        reason: "input-too-large",
        detail: `input is ${bytes} bytes, policy.maxInputBytes is ${this.#policy.maxInputBytes}`,
      };
    if (!isPrivate) {
      if (keccak256(input) !== request.inputHash)
        return {
          state: "failed",
          reason: "input-hash-mismatch",
          detail: "keccak256(input) differs from request.inputHash",
        };
    }
    if (!zk) {
      // A TEE commitment's scheme comes from the model's manifest: the model must be here first.
      const missing = this.missingModel(request.weightsHash);
      if (missing !== undefined) return missing;
    }
    if (isPrivate && !zk && !this.#opensTee(request, input, salt!)) {
      // Checked at intake already; the ZK commitment is checked at intake and again by the proof.
      return {
        state: "failed",
        reason: "commitment-mismatch",
        detail: "the stored private input does not open request.inputHash",
      };
    }
    return { input, salt };
  }

  /** Does (input, salt) open a TEE request's commitment under its model's scheme? */
  #opensTee(request: Request, input: string, salt: string): boolean {
    try {
      const commitment = teeRecordCommitment(input, salt, this.recordSpec(request.mode, request.weightsHash));
      return commitment.toLowerCase() === request.inputHash.toLowerCase();
    } catch {
      return false; // not a valid record of the model (its length or a field's range)
    }
  }

  /** Record verdicts (failed / expired / skipped / awaiting-input) with their reasons. */
  settle(items: { job: Job; verdict: Verdict }[]): void {
    this.#store.settle(items.map(({ job, verdict }) => ({ id: job.requestId, verdict })));
    for (const state of ["failed", "expired", "skipped", "awaiting-input"] as const) {
      const these = items.filter((i) => i.verdict.state === state);
      for (const { job, verdict } of these) {
        if (state === "failed") this.#metrics.failed.inc({ reason: verdict.reason });
        else if (state === "expired") this.#metrics.expired.inc();
        else if (state === "skipped") this.#metrics.skipped.inc({ reason: verdict.reason });
        const level = state === "skipped" || state === "awaiting-input" ? "info" : "warn";
        this.#log[level](
          { requestId: job.requestId, state, reason: verdict.reason, detail: verdict.detail },
          `request ${state}`,
        );
      }
    }
  }

  /**
   * Take jobs in `seen`, check, execute per model in batches, sign: → attested. ZK jobs are handed
   * to the prover (→ executing) and become attested later. Returns the jobs attested in this call.
   */
  async process(jobs: readonly Job[], nowSec: number): Promise<number> {
    const verdicts: { job: Job; verdict: Verdict }[] = [];
    const groups = new Map<string, Item[]>();
    const zkItems: Item[] = [];
    for (const job of jobs) {
      const request = job.request;
      const v = this.#check(job, request, nowSec);
      if ("state" in v) {
        verdicts.push({ job, verdict: v });
        continue;
      }
      const item = { job, request, input: v.input, salt: v.salt };
      if (request.mode === BigInt(Mode.ZK)) {
        zkItems.push(item);
        continue;
      }
      const key = request.weightsHash.toLowerCase();
      const list = groups.get(key) ?? [];
      list.push(item);
      groups.set(key, list);
    }
    this.settle(verdicts);
    if (zkItems.length > 0) this.#prove(zkItems);

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

  async #runGroup(weightsHash: string, items: Item[]): Promise<number> {
    this.#store.markExecuting(items.map((i) => i.job.requestId));
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
    const bad: { job: Job; verdict: Verdict }[] = [];
    for (const it of items) {
      try {
        decodeInput(encoding, it.input);
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
    const results: { id: string; output: string; proof: string }[] = [];
    for (let i = 0; i < good.length; i += CHUNK) {
      const chunk = good.slice(i, i + CHUNK);
      let outputs: Uint8Array[];
      try {
        const r = await this.#executor.runBatch(
          weightsHash,
          chunk.map((c) => getBytes(c.input)),
        );
        outputs = r.outputs;
        this.stats.inferenceMs += r.ms;
        this.#metrics.inference.observe({ model: name }, r.ms / 1000);
      } catch (err) {
        fail(chunk, "execution-failed", (err as Error).message);
        continue;
      }
      // Signed in the signing thread: the event loop meanwhile handles RPC answers (simulations,
      // sends, receipts of earlier batches), so the chain works on one batch while the next is signed.
      const s0 = performance.now();
      const proofs = await this.#attester.signMany(
        chunk.map((c, k) => ({ requestId: BigInt(c.job.requestId), request: c.request, output: outputs[k]! })),
        (err) =>
          this.#log.error({ err: err.message }, "signing thread failed; signed these results in the main thread"),
      );
      this.stats.signingMs += performance.now() - s0;
      chunk.forEach((c, k) => results.push({ id: c.job.requestId, output: hexlify(outputs[k]!), proof: proofs[k]! }));
    }
    this.#store.attest(results);
    return results.length;
  }

  /** Queue ZK jobs to their circuit's prover: → executing now, → attested when the proof is back. */
  #prove(items: Item[]): void {
    const ready: { item: Item; input: WitnessInput; pool: ProverPool }[] = [];
    const bad: { job: Job; verdict: Verdict }[] = [];
    for (const item of items) {
      try {
        const pool = this.#provers.get(item.request.weightsHash.toLowerCase())!;
        // The witness input comes from the circuit's descriptor; the proof's class is the result.
        ready.push({ item, input: recordWitnessInput(pool.circuit.spec, item.input, item.salt!), pool });
      } catch {
        // The decoder's message quotes input values: a private input's are never logged or stored.
        const detail = "the private input is not a valid input of the model's circuit (checked at intake: unexpected)";
        bad.push({ job: item.job, verdict: { state: "failed", reason: "bad-input", detail } });
      }
    }
    this.settle(bad);
    if (ready.length === 0) return;
    this.#store.markExecuting(ready.map((r) => r.item.job.requestId));
    for (const { item, input, pool } of ready) {
      const { job, request } = item;
      const shouldRun = (): ProofCancelled | undefined => {
        if (this.#closed) return new ProofCancelled("stopping", "worker stopping");
        const now = this.#clock();
        if (request.deadline <= BigInt(now + this.#policy.deadlineMarginSec))
          return new ProofCancelled(
            "expired",
            `deadline ${request.deadline} passed while waiting for the prover (now ${now}, margin ${this.#policy.deadlineMarginSec}s)`,
          );
        if (this.#store.get(job.requestId)?.state !== "executing")
          return new ProofCancelled("not-needed", "no longer needed");
        return undefined;
      };
      pool.prove(input, shouldRun).then(
        (out) => {
          if (this.#closed) return;
          const now = this.#store.get(job.requestId);
          if (now?.state !== "executing") return; // completed by someone else meanwhile
          const [cls, commitment] = out.publicSignals.map((v) => BigInt(v));
          const problem =
            commitment !== BigInt(request.inputHash)
              ? "the proof's commitment differs from request.inputHash"
              : undefined;
          if (problem !== undefined) {
            this.settle([{ job, verdict: { state: "failed", reason: "proof-mismatch", detail: problem } }]);
            return;
          }
          this.#store.attest([{ id: job.requestId, output: classOutput(cls!), proof: encodeZkProof(out.proof, cls!) }]);
          this.#metrics.proving.observe({ circuit: pool.circuit.name }, out.ms / 1000);
          this.#log.debug({ requestId: job.requestId, provingMs: Math.round(out.ms) }, "ZK proof made");
          this.#onAttested();
        },
        (err: Error) => {
          if (this.#closed) return; // stays executing: re-proved after a restart
          if (err instanceof ProofCancelled) {
            if (err.kind === "expired")
              this.settle([{ job, verdict: { state: "expired", reason: "expired", detail: err.detail } }]);
            return;
          }
          this.settle([{ job, verdict: { state: "failed", reason: "proving-failed", detail: err.message } }]);
        },
      );
    }
  }
}
