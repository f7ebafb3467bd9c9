/**
 * The operator node: a loop of passes over the pipeline
 *
 *   sync (events → jobs) → inputs (private inputs arrived / expired) → execute (→ attested)
 *     → submit (→ submitted) → receipts (→ confirmed)
 *
 * each stage one module in worker/stages/, built and wired by worker/compose.ts; jobs change state
 * only through the job store's named transitions (worker/store.ts, machine in worker/jobstate.ts).
 * `pollIntervalMs: 0` runs one pass (`runOnce`, also used by tests). ZK proofs are made by prover
 * threads beside the loop and wake it when done; private inputs arrive on the HTTP server's intake
 * endpoint and wake it too. Stopping lets the current pass finish; every job is then in a state a
 * restart resumes from. A chain replaced under the node (ChainChangedError) stops the loop: the
 * node reports unhealthy and `runWorker` exits 1.
 */
import type { JsonRpcProvider, Wallet } from "ethers";
import type { Logger } from "pino";

import { developmentRefusal, attestationSource, type AttestationSource } from "./attestation/evidence.ts";
import type { Attester } from "./attester.ts";
import { shortError } from "./chain/rpc.ts";
import { compose, type Parts } from "./compose.ts";
import { ConfigError, redactedConfig, type WorkerConfig } from "./config.ts";
import { Metrics, serveMetrics, type MetricsServer } from "./metrics.ts";
import { intakeMovedRoute, serveIntake } from "./intake.ts";
import { createLogger } from "./logformat.ts";
import { ChainChangedError } from "./stages/sync.ts";
import type { JobStore } from "./store.ts";

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
  #parts: Parts | undefined;
  server: MetricsServer | undefined;
  /** The intake server (private inputs, job status), on intake.port. */
  intakeServer: MetricsServer | undefined;
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
  #running = false;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #lastPassAt = 0;
  #lastError: string | undefined;
  /** Set when the node stopped on its own (the chain was replaced under it). */
  #fatal: Error | undefined;
  #head = 0;
  #problems: string[] = [];
  readonly #attestation: AttestationSource;
  /** When the enclave's registration was last checked (unix seconds). */
  #attestedCheckAt = 0;
  /** Latest block timestamp seen by the event scan (unix seconds). */
  #chainTime = 0;
  #woken = false;

  constructor(config: WorkerConfig, opts: WorkerOptions = {}) {
    this.config = config;
    this.log =
      opts.logger ?? createLogger({ level: config.logLevel, format: config.logFormat, service: "verity-worker" });
    this.metrics = new Metrics(opts.logger === undefined);
    this.#rpcTimeoutMs = opts.rpcTimeoutMs ?? 10_000;
    this.#attestation = attestationSource(config);
  }

  get #p(): Parts {
    if (this.#parts === undefined) throw new Error("the worker is not initialised: call init() or start() first");
    return this.#parts;
  }

  get store(): JobStore {
    return this.#p.store;
  }
  get provider(): JsonRpcProvider {
    return this.#p.provider;
  }
  get operator(): Wallet {
    return this.#p.operator;
  }
  get attester(): Attester {
    return this.#p.attester;
  }
  /** The pipeline's parts (stages, transaction layer, gas model), for benchmarks and tests. */
  get parts(): Parts {
    return this.#p;
  }
  /** Why the node stopped on its own, if it did. */
  get fatal(): Error | undefined {
    return this.#fatal;
  }

  /** Connect, load models, open the store, check the operator and enclave, resume interrupted jobs. */
  async init(): Promise<void> {
    if (this.#parts !== undefined) return;
    const c = this.config;
    this.log.info({ config: redactedConfig(c) }, "starting verity worker");
    const parts = await compose(c, this.log, this.metrics, {
      rpcTimeoutMs: this.#rpcTimeoutMs,
      clock: () => this.now(),
      wake: () => this.wake(),
    });
    try {
      if (!this.#attestation.hardware) {
        const refused = developmentRefusal(parts.chainId);
        if (refused !== undefined) throw new ConfigError([refused]);
        this.log.warn(
          { enclave: parts.attester.address },
          'enclave key is a SOFTWARE DEVELOPMENT KEY held in process memory (no hardware TEE: tee.provider "development-unattested")',
        );
      }
      this.log.info(
        {
          operator: parts.operator.address,
          enclave: parts.attester.address,
          chainId: parts.chainId.toString(),
          models: parts.models.list().map((m) => `${m.name} ${m.weightsHash}`),
          zk: [...parts.provers.values()].map((p) => `${p.circuit.name} ${p.circuit.weightsHash}`),
        },
        "worker identity",
      );
      await parts.sync.checkChain();
      const [, backend] = await Promise.all([this.#warmModels(parts), parts.attester.warm()]);
      this.log.info({ threads: c.tee.signingThreads, backend }, "result signing threads ready");
      this.#problems = await this.#ensureAttested(parts);
      this.#recover(parts);
      if (c.intake.enabled && this.intakeServer === undefined) {
        try {
          this.intakeServer = await serveIntake(parts.intake, [parts.intake.jobsRoute()], {
            host: c.intake.host,
            port: c.intake.port,
            allowedOrigins: c.intake.allowedOrigins,
            health: () => {
              const h = this.health();
              return { ok: h.ok, operator: (h.operator as string | null) ?? null };
            },
          });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new ConfigError([
            `intake.port: cannot listen on ${c.intake.host}:${c.intake.port} (${code === "EADDRINUSE" ? "the port is in use" : (err as Error).message}) (fix: set intake.port / VERITY_INTAKE_PORT to a free port, or stop what holds it)`,
          ]);
        }
        this.log.info(
          {
            url: `http://${c.intake.host}:${this.intakeServer.port}`,
            allowedOrigins: c.intake.allowedOrigins,
          },
          "intake listening: POST /intake/<requestId>, GET /jobs/<requestId>",
        );
      }
      if (c.httpPort !== 0 && this.server === undefined) {
        try {
          this.server = await serveMetrics(this.metrics, c.httpHost, c.httpPort, () => this.health(), [
            intakeMovedRoute(() => this.intakeUrl()),
          ]);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new ConfigError([
            `httpPort: cannot listen on ${c.httpHost}:${c.httpPort} (${code === "EADDRINUSE" ? "the port is in use" : (err as Error).message}) (fix: set httpPort / VERITY_HTTP_PORT to a free port, or stop what holds it)`,
          ]);
        }
        this.log.info({ url: `http://${c.httpHost}:${this.server.port}/metrics` }, "metrics and /healthz listening");
      }
    } catch (err) {
      await this.intakeServer?.close();
      this.intakeServer = undefined;
      await this.#close(parts);
      throw err;
    }
    this.#parts = parts;
  }

  /** Load every served model's session now (the first jobs would otherwise wait for it). */
  async #warmModels(parts: Parts): Promise<void> {
    const served = parts.models
      .list()
      .map((m) => m.weightsHash)
      .filter((h) => parts.execute.served(h));
    const start = performance.now();
    const failed = await parts.executor.warm(served);
    for (const f of failed)
      this.log.error(
        { weightsHash: f.weightsHash, err: f.error },
        "model cannot be loaded; its requests will fail until the file is repaired",
      );
    this.log.info(
      { models: served.length - failed.length, ms: Math.round(performance.now() - start) },
      "model sessions loaded",
    );
  }

  /** Check the operator and its enclave key's registration; register or re-attest it when needed. */
  async #ensureAttested(parts: Parts): Promise<string[]> {
    const c = this.config;
    this.#attestedCheckAt = this.now();
    return parts.attester.ensureReady(
      parts.operator,
      c.deployment.tee,
      parts.staking,
      this.#attestation,
      { register: c.registerEnclave, reattestBeforeSec: c.tee.reattestBeforeSec, now: this.now() },
      this.log,
    );
  }

  /** Re-attest before the registration expires (at most every tee.retrySec); a failure is logged, not fatal. */
  async #reattestIfDue(parts: Parts): Promise<void> {
    const until = parts.attester.validUntil;
    const now = this.now();
    if (until === undefined || BigInt(now + this.config.tee.reattestBeforeSec) < until) return;
    if (now - this.#attestedCheckAt < this.config.tee.retrySec) return;
    try {
      this.#problems = await this.#ensureAttested(parts);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, "re-attestation failed; retrying later");
    }
  }

  /** Resume after a crash: executing jobs re-run (deterministic); submitted jobs are followed through their transactions. */
  #recover(p: Parts): void {
    const resumed = p.store.resumeExecuting();
    if (resumed.length > 0) this.log.info({ jobs: resumed.length }, "resuming jobs interrupted during execution");
    p.store.reviveTxsOfSubmittedJobs();
    this.log.info({ counts: p.store.counts(), cursor: p.store.getCursor() ?? null }, "job store opened");
  }

  /** Base URL of the intake server (append /intake/<requestId> or /jobs/<requestId>), when it runs. */
  intakeUrl(): string | undefined {
    const s = this.intakeServer;
    return s === undefined ? undefined : `http://${this.config.intake.host}:${s.port}`;
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
    const p = this.#parts;
    return {
      ok:
        p !== undefined &&
        !this.#stopping &&
        this.#fatal === undefined &&
        this.#lastError === undefined &&
        (fresh || !this.#running),
      running: this.#running,
      lastPassAt: this.#lastPassAt || null,
      lastError: this.#fatal?.message ?? this.#lastError ?? null,
      head: this.#head,
      cursor: p ? (p.store.getCursor() ?? null) : null,
      jobs: p ? p.store.counts() : null,
      operator: p ? p.operator.address : null,
      enclave: p ? p.attester.address : null,
      problems: this.#problems,
      blocked: p ? (p.submit.blocked ?? null) : null,
      zk: p
        ? [...p.provers.values()].map((x) => ({
            circuit: x.circuit.name,
            weightsHash: x.circuit.weightsHash,
            pending: x.pending,
          }))
        : [],
      intake: this.intakeUrl() ?? null,
    };
  }

  /** One pass down the pipeline. */
  async runOnce(): Promise<PassResult> {
    await this.init();
    const p = this.#p;
    const c = this.config;
    const t0 = performance.now();
    const poll = await p.sync.run();
    this.breakdown.eventsMs += performance.now() - t0;
    this.#head = poll.head;
    if (poll.blockTime !== undefined && poll.blockTime > this.#chainTime) this.#chainTime = poll.blockTime;
    p.inputs.run(this.now());
    await this.#reattestIfDue(p);
    if (poll.rewoundTo !== undefined) p.txs.resetNonce(); // a reorg may have taken our transactions with it

    // Results attested in earlier passes are simulated and sent while this pass executes and signs
    // the next jobs, so the chain and the node's CPU work at the same time. The submit promise
    // always has a handler attached (no unhandled rejection while the execute stage works).
    const before = { sim: p.submit.stats.simulateMs, ...p.txs.stats, rec: p.receipts.stats.chainMs };
    await p.receipts.run(poll.head);
    const ready = p.store.byState("attested", c.batchSize * c.concurrency);
    const submitting = p.submit.run(ready).then(
      (n) => ({ n, err: undefined as unknown }),
      (err: unknown) => ({ n: 0, err }),
    );
    const ex0 = { ...p.execute.stats };
    const seenJobs = p.store.ready(this.now(), c.maxJobsPerPass);
    let attested = 0;
    let failure: { err: unknown } | undefined;
    try {
      attested = seenJobs.length > 0 ? await p.execute.process(seenJobs, Math.floor(Date.now() / 1000)) : 0;
    } catch (err) {
      failure = { err };
    }
    const early = await submitting;
    if (failure !== undefined) throw failure.err;
    if (early.err !== undefined) throw early.err;
    let submitted = early.n;
    this.breakdown.inferenceMs += p.execute.stats.inferenceMs - ex0.inferenceMs;
    this.breakdown.signingMs += p.execute.stats.signingMs - ex0.signingMs;
    this.breakdown.decodeMs += p.execute.stats.decodeMs - ex0.decodeMs;

    if (submitted > 0) await p.receipts.run(await p.provider.getBlockNumber());
    // Results attested in this pass are sent now when nothing else waits to be executed (or in
    // one-pass mode); with a backlog they go out at the start of the next pass, overlapping it.
    if (attested > 0 && (c.pollIntervalMs === 0 || p.store.ready(this.now(), 1).length === 0)) {
      const late = await p.submit.run(p.store.byState("attested", c.batchSize * c.concurrency));
      submitted += late;
      if (late > 0) await p.receipts.run(await p.provider.getBlockNumber());
    }
    this.breakdown.simulateMs += p.submit.stats.simulateMs - before.sim + p.txs.stats.feeMs - before.feeMs;
    this.breakdown.sendMs += p.txs.stats.sendMs - before.sendMs;
    this.breakdown.receiptMs += p.txs.stats.receiptMs - before.receiptMs;
    this.breakdown.chainMs = p.receipts.stats.chainMs;
    this.breakdown.dbMs = p.sync.stats.dbMs;
    this.breakdown.passes++;
    this.#lastPassAt = Date.now();
    this.#lastError = undefined;
    const backlog = p.store.any("attested") || p.store.ready(this.now(), 1).length > 0;
    const pending = (backlog ? 1 : 0) + p.txs.inFlight();
    return {
      head: poll.head,
      seen: seenJobs.length,
      attested,
      submitted,
      rewoundTo: poll.rewoundTo,
      pending,
      backlog,
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

  /** Resolves when the loop ends: undefined when stopped, the error when the node stopped on its own. */
  async ended(): Promise<Error | undefined> {
    await this.#loop;
    return this.#fatal;
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
        if (err instanceof ChainChangedError) {
          this.#fatal = err;
          this.log.fatal({ err: err.message }, "chain changed under the node; stopping");
          break;
        }
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
    this.#running = false;
  }

  async #close(p: Parts): Promise<void> {
    p.execute.close();
    await Promise.all([...p.provers.values()].map((x) => x.close()));
    await p.executor.close();
    await p.attester.close();
    p.store.close();
    p.provider.destroy();
  }

  /** Finish the current pass, then close the store, executor, HTTP server and provider. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    this.#running = false;
    await this.server?.close();
    this.server = undefined;
    await this.intakeServer?.close();
    this.intakeServer = undefined;
    if (this.#parts !== undefined) {
      await this.#close(this.#parts);
      this.#parts = undefined;
      this.log.info("worker stopped; unfinished jobs resume on restart");
    }
  }
}
