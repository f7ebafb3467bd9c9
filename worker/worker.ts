/**
 * The operator node: a plain loop `poll events → execute → attest → submit → follow receipts → sleep`,
 * or one pass when pollIntervalMs is 0. ZK proofs are made by prover threads beside the loop and wake
 * it when done; private inputs arrive on the HTTP server's intake endpoint and wake it too. Usable in-process (`new Worker(config).start()`) and from
 * the CLI (worker/main.ts). Stopping lets the current pass finish; every job is then in a state a
 * restart resumes from.
 */
import { FetchRequest, JsonRpcProvider, Network, type Wallet } from "ethers";
import { pino, type Logger } from "pino";

import { RequestStatus, requestFromJson, requestToJson } from "@verity-ai/sdk";

import { Attester } from "./attester.ts";
import { redactedConfig, type WorkerConfig } from "./config.ts";
import { JobStore, type JobState } from "./db.ts";
import { EventSource, coordinatorInterface, type EventBatch } from "./events.ts";
import { Intake } from "./intake.ts";
import { JobRunner, type Verdict } from "./jobs.ts";
import { loadOperator } from "./keys.ts";
import { Metrics, serveMetrics, type MetricsServer } from "./metrics.ts";
import { Executor, ModelStore } from "./models/index.ts";
import { ProverPool, availableCircuits } from "./prover.ts";
import { Submitter, shortError } from "./submitter.ts";

export interface WorkerOptions {
  logger?: Logger;
  /** Per-request RPC timeout (ms). */
  rpcTimeoutMs?: number;
}

export interface PassResult {
  head: number;
  seen: number;
  attested: number;
  submitted: number;
  rewoundTo?: number;
  /** Work left: jobs attested or transactions in flight. */
  pending: number;
  /** Jobs are waiting to be executed or sent: the next pass starts at once. */
  backlog: boolean;
}

export interface Breakdown {
  eventsMs: number;
  inferenceMs: number;
  signingMs: number;
  decodeMs: number;
  simulateMs: number;
  sendMs: number;
  receiptMs: number;
  chainMs: number;
  dbMs: number;
  passes: number;
}

export class Worker {
  readonly config: WorkerConfig;
  readonly log: Logger;
  readonly metrics: Metrics;
  store!: JobStore;
  provider!: JsonRpcProvider;
  operator!: Wallet;
  attester!: Attester;
  submitter!: Submitter;
  runner!: JobRunner;
  events!: EventSource;
  executor!: Executor;
  intake!: Intake;
  /** ZK prover pools by model weightsHash (empty when ZK mode is off). */
  provers = new Map<string, ProverPool>();
  server: MetricsServer | undefined;
  readonly breakdown: Breakdown = {
    eventsMs: 0,
    inferenceMs: 0,
    signingMs: 0,
    decodeMs: 0,
    simulateMs: 0,
    sendMs: 0,
    receiptMs: 0,
    chainMs: 0,
    dbMs: 0,
    passes: 0,
  };
  readonly #rpcTimeoutMs: number;
  #initialised = false;
  #running = false;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #lastPassAt = 0;
  #lastError: string | undefined;
  #head = 0;
  #problems: string[] = [];
  /** Latest block timestamp seen by the event scan (unix seconds). */
  #chainTime = 0;
  #woken = false;
  #lastPurgeAt = 0;

  constructor(config: WorkerConfig, opts: WorkerOptions = {}) {
    this.config = config;
    this.log = opts.logger ?? pino({ level: config.logLevel, base: { service: "verity-worker" } });
    this.metrics = new Metrics(opts.logger === undefined);
    this.#rpcTimeoutMs = opts.rpcTimeoutMs ?? 10_000;
  }

  /** Connect, load models, open the store, check the operator and enclave, resume interrupted jobs. */
  async init(): Promise<void> {
    if (this.#initialised) return;
    const c = this.config;
    this.log.info({ config: redactedConfig(c) }, "starting verity worker");
    const req = new FetchRequest(c.rpcUrl);
    req.timeout = this.#rpcTimeoutMs;
    const probe = new JsonRpcProvider(req, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const chainId = BigInt(await probe.send("eth_chainId", []));
    probe.destroy();
    if (c.chainId !== undefined && BigInt(c.chainId) !== chainId) {
      throw new Error(`chainId: the RPC at ${c.rpcUrl} serves chain ${chainId}, config says ${c.chainId}`);
    }
    this.provider = new JsonRpcProvider(req, Network.from(chainId), {
      staticNetwork: true,
      cacheTimeout: -1,
      batchMaxCount: 100,
      // ethers waits 10 ms by default to batch calls; the worker's calls are mostly sequential, so the
      // stall was paid on almost every call. Calls made in the same tick are still sent as one batch.
      batchStallTime: 0,
    });
    this.operator = await loadOperator(c, this.provider);

    const code = await this.provider.getCode(c.deployment.coordinator);
    if (code === "0x")
      throw new Error(`deployment.coordinator: no contract at ${c.deployment.coordinator} on chain ${chainId}`);
    const staking =
      c.deployment.staking ??
      (coordinatorInterface.decodeFunctionResult(
        "staking",
        await this.provider.call({
          to: c.deployment.coordinator,
          data: coordinatorInterface.encodeFunctionData("staking"),
        }),
      )[0] as string);

    const models = await ModelStore.open(c.modelsDir);
    this.executor = new Executor(models);
    this.attester = new Attester(c.enclaveKey, chainId, c.deployment.coordinator, this.operator.address);
    this.log.warn(
      { enclave: this.attester.address },
      "enclave key is a SOFTWARE DEVELOPMENT KEY held in process memory (no hardware TEE)",
    );
    this.store = new JobStore(c.dbPath);
    this.events = new EventSource(
      this.provider,
      this.store,
      {
        coordinator: c.deployment.coordinator,
        confirmations: c.confirmations,
        blockRange: c.blockRange,
        startBlock: c.startBlock,
        reorgDepth: c.reorgDepth,
      },
      this.log,
    );
    const circuits = availableCircuits(c.zk.circuitsDir!);
    const zkOn = c.zk.enabled ?? circuits.length > 0;
    if (c.zk.enabled === true && circuits.length === 0)
      throw new Error(
        `zk.enabled: no circuit files found in ${c.zk.circuitsDir} (iris/iris.wasm and iris/iris_final.zkey): set zk.circuitsDir to the folder holding them, or set zk.enabled to false`,
      );
    this.provers = new Map(
      zkOn ? circuits.map((k) => [k.weightsHash, new ProverPool(k, c.zk.threads, this.log, c.zk.prestart)]) : [],
    );
    if (c.zk.prestart) for (const p of this.provers.values()) p.start();
    this.runner = new JobRunner({
      store: this.store,
      models,
      executor: this.executor,
      attester: this.attester,
      policy: c.policy,
      operator: this.operator.address,
      metrics: this.metrics,
      log: this.log,
      concurrency: c.concurrency,
      provers: this.provers,
      onAttested: () => this.wake(),
      clock: () => this.now(),
    });
    this.intake = new Intake({
      store: this.store,
      events: this.events,
      provider: this.provider,
      runner: this.runner,
      coordinator: c.deployment.coordinator,
      operator: this.operator.address,
      maxInputBytes: c.policy.maxInputBytes,
      deadlineMarginSec: c.policy.deadlineMarginSec,
      clock: () => this.now(),
      wake: () => this.wake(),
      metrics: this.metrics,
      log: this.log,
    });
    this.submitter = new Submitter({
      provider: this.provider,
      wallet: this.operator,
      chainId,
      coordinator: c.deployment.coordinator,
      store: this.store,
      gas: c.gas,
      batchSize: c.batchSize,
      zkBatchSize: c.zk.batchSize,
      concurrency: c.concurrency,
      confirmations: c.confirmations,
      metrics: this.metrics,
      log: this.log,
    });
    this.log.info(
      {
        operator: this.operator.address,
        enclave: this.attester.address,
        chainId: chainId.toString(),
        models: models.list().map((m) => `${m.name} ${m.weightsHash}`),
        zk: [...this.provers.values()].map((p) => `${p.circuit.name} ${p.circuit.weightsHash}`),
      },
      "worker identity",
    );
    this.#problems = await this.attester.ensureReady(
      this.operator,
      c.deployment.tee,
      staking,
      c.measurement,
      c.attestationReport,
      c.registerEnclave,
      this.log,
    );
    this.#recover();
    if (c.metricsPort !== 0 && this.server === undefined) {
      this.server = await serveMetrics(
        this.metrics,
        c.metricsHost,
        c.metricsPort,
        () => this.health(),
        c.intake.enabled ? [this.intake.route()] : [],
      );
      this.log.info(
        {
          url: `http://${c.metricsHost}:${this.server.port}/metrics`,
          intake: c.intake.enabled ? `http://${c.metricsHost}:${this.server.port}/intake/<requestId>` : null,
        },
        "metrics, /healthz and the private-input intake listening",
      );
    } else if (c.metricsPort === 0 && c.intake.enabled) {
      this.log.info("metricsPort is 0: no HTTP server, so private inputs cannot be received (their requests expire)");
    }
    this.#initialised = true;
  }

  /** Resume after a crash: executing jobs re-run (deterministic); submitted jobs are followed through their transactions. */
  #recover(): void {
    const executing = this.store.byState("executing");
    if (executing.length > 0) {
      this.log.info({ jobs: executing.length }, "resuming jobs interrupted during execution");
      this.store.transition(
        executing.map((j) => j.requestId),
        "seen",
      );
    }
    this.store.db.exec(
      "UPDATE txs SET state = 'pending' WHERE state != 'pending' AND hash IN (SELECT tx_hash FROM jobs WHERE state = 'submitted')",
    );
    const counts = this.store.counts();
    this.log.info({ counts, cursor: this.store.getCursor() ?? null }, "job store opened");
  }

  /** Current time in unix seconds: the later of the local clock and the last block time seen. */
  now(): number {
    return Math.max(Math.floor(Date.now() / 1000), this.#chainTime);
  }

  /** Start the next pass now (private input received, ZK proof made). */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  health(): { ok: boolean } & Record<string, unknown> {
    const staleAfter = Math.max(30_000, this.config.pollIntervalMs * 5);
    const fresh = this.#lastPassAt > 0 && Date.now() - this.#lastPassAt < staleAfter;
    return {
      ok: this.#initialised && !this.#stopping && this.#lastError === undefined && (fresh || !this.#running),
      running: this.#running,
      lastPassAt: this.#lastPassAt || null,
      lastError: this.#lastError ?? null,
      head: this.#head,
      cursor: this.#initialised ? (this.store.getCursor() ?? null) : null,
      jobs: this.#initialised ? this.store.counts() : null,
      operator: this.#initialised ? this.operator.address : null,
      enclave: this.#initialised ? this.attester.address : null,
      problems: this.#problems,
      blocked: this.#initialised ? (this.submitter.blocked ?? null) : null,
      zk: [...this.provers.values()].map((p) => ({
        circuit: p.circuit.name,
        weightsHash: p.circuit.weightsHash,
        pending: p.pending,
      })),
      intake: this.server !== undefined && this.config.intake.enabled ? `/intake/<requestId>` : null,
    };
  }

  #onBatch(b: EventBatch): void {
    const t = performance.now();
    const added = this.store.insertSeen(
      b.requested.map((r) => ({
        requestId: r.requestId,
        modelId: r.request.modelId,
        weightsHash: r.request.weightsHash.toLowerCase(),
        request: requestToJson(r.request),
        inputHex: r.input,
        blockNumber: r.blockNumber,
        blockHash: r.blockHash,
        blockTime: r.blockTime,
      })),
    );
    this.metrics.seen.inc(added.length);
    if (added.length > 0) this.log.debug({ added: added.length, from: b.fromBlock, to: b.toBlock }, "requests seen");
    // Others' completions: jobs not yet submitted by us are dropped.
    const me = this.operator.address.toLowerCase();
    for (const c of b.completed) {
      if (c.operator !== null && c.operator.toLowerCase() === me) continue;
      const job = this.store.get(c.requestId);
      if (job === undefined || !(["seen", "awaiting-input", "executing", "attested"] as JobState[]).includes(job.state))
        continue;
      const reason = c.kind === "refunded" ? "refunded" : "already-fulfilled";
      this.store.transition([c.requestId], "skipped", {
        error: `${reason}: ${c.kind === "refunded" ? "refunded" : `fulfilled by ${c.operator}`} in tx ${c.txHash}`,
      });
      this.metrics.skipped.inc({ reason });
      this.log.warn(
        { requestId: c.requestId, by: c.operator, kind: c.kind },
        "request completed by someone else; skipped",
      );
    }
    this.breakdown.dbMs += performance.now() - t;
  }

  /** After a reorg: jobs above the rewind point are checked against the chain again. */
  async #recheck(after: number): Promise<void> {
    const jobs = this.store
      .jobsAfter(after)
      .filter((j) => j.state !== "failed" && j.state !== "expired" && j.state !== "submitted");
    const statuses = await Promise.all(
      jobs.map(async (j) => {
        const ret = await this.provider.call({
          to: this.config.deployment.coordinator,
          data: coordinatorInterface.encodeFunctionData("requestStatus", [j.requestId]),
        });
        return Number(BigInt(ret));
      }),
    );
    jobs.forEach((j, i) => {
      const s = statuses[i]!;
      if (s === RequestStatus.None) {
        this.log.warn({ requestId: j.requestId, state: j.state }, "request no longer on-chain after a reorg");
        this.store.transition([j.requestId], "failed", { error: "reorged-out: the request is no longer on-chain" });
        this.metrics.failed.inc({ reason: "reorged-out" });
      } else if (s === RequestStatus.Open && (j.state === "confirmed" || j.state === "skipped")) {
        this.log.warn({ requestId: j.requestId, state: j.state }, "request open again after a reorg; re-submitting");
        this.store.transition([j.requestId], j.signature !== null ? "attested" : "seen");
      }
    });
  }

  /**
   * Jobs awaiting their private input: → seen when it has arrived, → expired once the deadline is
   * (about to be) passed, so the requester can refund. Received inputs of settled jobs are deleted
   * after intake.retainSec.
   */
  #privateInputs(): void {
    const waiting = this.store.byState("awaiting-input");
    if (waiting.length > 0) {
      const woken = new Set(this.store.wakeReceived());
      const now = this.now();
      const margin = this.config.policy.deadlineMarginSec;
      const expired: { job: (typeof waiting)[number]; verdict: Verdict }[] = [];
      for (const job of waiting) {
        if (woken.has(job.requestId)) continue;
        const deadline = requestFromJson(job.request).deadline;
        if (deadline <= BigInt(now + margin))
          expired.push({
            job,
            verdict: {
              state: "expired",
              reason: "expired",
              detail: `deadline ${deadline} passed before the private input arrived (now ${now}, margin ${margin}s)`,
            },
          });
      }
      this.runner.settle(expired);
    }
    if (Date.now() - this.#lastPurgeAt > 60_000) {
      this.#lastPurgeAt = Date.now();
      const n = this.store.purgePrivateInputs(this.config.intake.retainSec * 1000);
      if (n > 0) this.log.info({ deleted: n }, "deleted private inputs of settled requests");
    }
  }

  /** One pass: events → execute → submit → follow receipts. */
  async runOnce(): Promise<PassResult> {
    await this.init();
    const t0 = performance.now();
    let eventsRpc = 0;
    const poll = await this.events.poll(
      (b) => this.#onBatch(b),
      (ms) => (eventsRpc += ms),
    );
    this.breakdown.eventsMs += performance.now() - t0;
    this.#head = poll.head;
    if (poll.blockTime !== undefined && poll.blockTime > this.#chainTime) this.#chainTime = poll.blockTime;
    this.#privateInputs();
    if (poll.rewoundTo !== undefined) {
      await this.#recheck(poll.rewoundTo);
      // A reorg may have taken our transactions and nonce with it.
      this.submitter.resetNonce();
    }

    // Pipeline: results attested in earlier passes are simulated and sent while this pass executes
    // and signs the next jobs, so the chain and the worker's CPU work at the same time. The submit
    // promise always has a handler attached (no unhandled rejection while the runner works).
    const s0 = { ...this.submitter.stats };
    await this.submitter.check(poll.head);
    const ready = this.store.byState("attested", this.config.batchSize * this.config.concurrency);
    const submitting = this.submitter.submit(ready).then(
      (n) => ({ n, err: undefined as unknown }),
      (err: unknown) => ({ n: 0, err }),
    );

    const before = { ...this.runner.stats };
    const seenJobs = this.store.byState("seen", this.config.maxJobsPerPass);
    let attested = 0;
    let failure: { err: unknown } | undefined;
    try {
      attested = seenJobs.length > 0 ? await this.runner.process(seenJobs, Math.floor(Date.now() / 1000)) : 0;
    } catch (err) {
      failure = { err };
    }
    const early = await submitting;
    if (failure !== undefined) throw failure.err;
    if (early.err !== undefined) throw early.err;
    let submitted = early.n;
    this.breakdown.inferenceMs += this.runner.stats.inferenceMs - before.inferenceMs;
    this.breakdown.signingMs += this.runner.stats.signingMs - before.signingMs;
    this.breakdown.decodeMs += this.runner.stats.decodeMs - before.decodeMs;

    if (submitted > 0) {
      // Follow what was just sent (automining nodes answer at once; others next pass).
      await this.submitter.check(await this.provider.getBlockNumber());
    }
    // Results attested in this pass are sent now when nothing else is waiting to be executed (or in
    // one-pass mode); with a backlog they go out at the start of the next pass, overlapping it.
    if (attested > 0 && (this.config.pollIntervalMs === 0 || this.store.byState("seen", 1).length === 0)) {
      const late = await this.submitter.submit(
        this.store.byState("attested", this.config.batchSize * this.config.concurrency),
      );
      submitted += late;
      if (late > 0) await this.submitter.check(await this.provider.getBlockNumber());
    }
    const s1 = this.submitter.stats;
    this.breakdown.simulateMs += s1.simulateMs - s0.simulateMs;
    this.breakdown.sendMs += s1.sendMs - s0.sendMs;
    this.breakdown.receiptMs += s1.receiptMs - s0.receiptMs;
    this.breakdown.chainMs = s1.chainMs;
    this.breakdown.passes++;
    this.#lastPassAt = Date.now();
    this.#lastError = undefined;
    const backlog = this.store.byState("attested", 1).length + this.store.byState("seen", 1).length;
    const pending = backlog + this.store.pendingTxs().length;
    return {
      head: poll.head,
      seen: seenJobs.length,
      attested,
      submitted,
      rewoundTo: poll.rewoundTo,
      pending,
      backlog: backlog > 0,
    };
  }

  /** Start: one pass when pollIntervalMs is 0, else the loop in the background. */
  async start(): Promise<void> {
    await this.init();
    this.#stopping = false;
    if (this.config.pollIntervalMs === 0) {
      await this.runOnce();
      return;
    }
    this.#running = true;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      let delay = this.config.pollIntervalMs;
      this.#woken = false;
      try {
        const r = await this.runOnce();
        failures = 0;
        if (r.pending > 0 && (r.submitted > 0 || r.attested > 0)) delay = Math.min(delay, r.backlog ? 0 : 20);
      } catch (err) {
        failures++;
        this.#lastError = shortError(err);
        delay = Math.min(this.config.pollIntervalMs * 2 ** Math.min(failures, 6), 30_000);
        this.log.error({ err: this.#lastError, failures, retryInMs: delay }, "pass failed; retrying");
      }
      if (this.#stopping) break;
      if (this.#woken) delay = 0; // woken during the pass: input or proof arrived meanwhile
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Finish the current pass, then close the store, executor, metrics server and provider. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    this.#running = false;
    await this.server?.close();
    this.server = undefined;
    if (this.#initialised) {
      this.runner.close();
      await Promise.all([...this.provers.values()].map((p) => p.close()));
      this.provers = new Map();
      await this.executor.close();
      this.store.close();
      this.provider.destroy();
      this.log.info("worker stopped; unfinished jobs resume on restart");
    }
    this.#initialised = false;
  }
}
