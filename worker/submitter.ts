/**
 * Submitter: turns attested jobs into fulfil transactions and follows them to confirmation.
 *  - one nonce counter for the operator key (resynced from the chain whenever nothing is in flight);
 *  - every send is simulated first (eth_call + eth_estimateGas), gas limit = estimate + margin;
 *  - up to `batchSize` results per `fulfillBatch` (`zkBatchSize` for ZK results, which are kept in
 *    batches of their own: ~300k gas each against ~25k for a TEE result); a batch that fails
 *    simulation falls back to single `fulfill` simulations, which say precisely which request is
 *    the problem;
 *  - gas limit from eth_estimateGas, or, once a receipt of a batch of that mode was seen, from the
 *    per-result gas of that mode (learnt separately for each mode);
 *  - each signed transaction is written to the store (jobs → submitted) BEFORE it is broadcast;
 *  - stuck transactions are replaced with bumped fees (same nonce); unknown ones rebroadcast or,
 *    when their nonce was consumed elsewhere, dropped (their jobs go back to attested and are
 *    re-simulated, so nothing is submitted twice);
 *  - receipts `confirmations` deep settle jobs: InferenceFulfilled → confirmed (earnings =
 *    fee - royalty - protocolFee), FulfillmentSkipped / CoordinatorRequestNotOpen → skipped.
 */
import {
  Transaction,
  Wallet as EthersWallet,
  getAddress,
  getBytes,
  keccak256,
  type JsonRpcProvider,
  type TransactionReceipt,
  type Wallet,
} from "ethers";
import type { Logger } from "pino";

import {
  callbackGasBudget,
  isPending,
  Mode,
  operatorShare,
  REQUEST_LAYOUT,
  RequestStatus,
  statusName,
  type Request,
  requestFromJson,
} from "@verity-ai/sdk";
import type { JobRow, JobStore, TxRow } from "./db.ts";
import { coordinatorInterface, requestKey } from "./events.ts";
import type { Metrics } from "./metrics.ts";

export interface GasSettings {
  marginPercent: number;
  bumpPercent: number;
  stuckAfterMs: number;
  maxAttempts: number;
}

export interface SubmitStats {
  simulateMs: number;
  sendMs: number;
  receiptMs: number;
  txs: number;
  gasUsed: bigint;
  results: number;
  /** Sum over confirmed results of (receipt seen − broadcast) in ms. */
  chainMs: number;
}

interface Prepared {
  jobs: JobRow[];
  data: string;
  gasLimit: bigint;
}

const MODE_IN_JSON = /"mode":"(\d+)"/;

/** Verification mode of a job's request (read from its stored JSON without parsing all of it). */
export function modeOfJob(job: JobRow): number {
  const m = MODE_IN_JSON.exec(job.request);
  return m === null ? Number(requestFromJson(job.request).mode) : Number(m[1]);
}

/** Decoded custom error of a failed call, if the error carries revert data the ABI knows. */
export function revertOf(err: unknown): { name: string; args: readonly unknown[] } | undefined {
  const e = err as { data?: unknown; info?: { error?: { data?: unknown } }; error?: { data?: unknown } };
  const candidates = [e?.data, e?.info?.error?.data, e?.error?.data];
  for (const c of candidates) {
    const data =
      typeof c === "string"
        ? c
        : typeof (c as { data?: unknown })?.data === "string"
          ? (c as { data: string }).data
          : undefined;
    if (data === undefined || data.length < 10) continue;
    try {
      const parsed = coordinatorInterface.parseError(data);
      if (parsed !== null) return { name: parsed.name, args: [...parsed.args] };
    } catch {
      /* not ours */
    }
  }
  return undefined;
}

function isRevert(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === "CALL_EXCEPTION" || revertOf(err) !== undefined || /revert/i.test(e?.message ?? "");
}

const T_FULFILLED = coordinatorInterface.getEvent("InferenceFulfilled")!.topicHash;
const T_SKIPPED = coordinatorInterface.getEvent("FulfillmentSkipped")!.topicHash;

/** A one-line error text without the (possibly huge) request payload ethers appends. */
export function shortError(err: unknown): string {
  const e = err as {
    shortMessage?: string;
    message?: string;
    error?: { message?: string };
    info?: { error?: { message?: string } };
  };
  const text = e?.info?.error?.message ?? e?.error?.message ?? e?.shortMessage ?? e?.message ?? String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

const FULFILL_BATCH_SELECTOR = coordinatorInterface.getFunction("fulfillBatch")!.selector.slice(2);

const uintWord = (v: bigint | number) => {
  const h = BigInt(v).toString(16);
  if (BigInt(v) < 0n || h.length > 64) throw new Error(`value out of uint256 range: ${v}`);
  return h.padStart(64, "0");
};

function hexBody(v: string, what: string): string {
  const h = v.startsWith("0x") ? v.slice(2) : v;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error(`${what}: not hex bytes`);
  return h.toLowerCase();
}

/** ABI `bytes[]` tail (length, offsets, padded items). */
function encodeBytesArray(items: readonly string[]): string {
  const bodies = items.map((x) => hexBody(x, "bytes item"));
  const parts: string[] = [uintWord(bodies.length)];
  let offset = bodies.length * 32;
  for (const b of bodies) {
    parts.push(uintWord(offset));
    offset += 32 + Math.ceil(b.length / 64) * 32;
  }
  for (const b of bodies) parts.push(uintWord(b.length / 2), b.padEnd(Math.ceil(b.length / 64) * 64, "0"));
  return parts.join("");
}

/**
 * Calldata of `fulfillBatch(Request[], bytes[], bytes[])` by direct word layout: ethers' generic
 * encoder takes ~1.2 ms per result (250 ms for a 200-result batch), this a few µs. Checked against
 * `coordinatorInterface.encodeFunctionData` at module load (see FAST_ENCODER_CHECK below).
 */
export function encodeFulfillBatch(
  requests: readonly Request[],
  outputs: readonly string[],
  proofs: readonly string[],
): string {
  const reqParts: string[] = [uintWord(requests.length)];
  for (const r of requests) {
    for (const [key, kind] of REQUEST_LAYOUT) {
      const v = r[key];
      if (kind === "address") {
        const h = hexBody(v as string, key);
        if (h.length !== 40) throw new Error(`${key}: not an address`);
        reqParts.push("000000000000000000000000" + h);
      } else if (kind === "bytes32") {
        const h = hexBody(v as string, key);
        if (h.length !== 64) throw new Error(`${key}: not 32 bytes`);
        reqParts.push(h);
      } else if (kind === "bool") reqParts.push(uintWord(v ? 1 : 0));
      else reqParts.push(uintWord(v as bigint));
    }
  }
  const a = reqParts.join("");
  const b = encodeBytesArray(outputs);
  const c = encodeBytesArray(proofs);
  const head = uintWord(96) + uintWord(96 + a.length / 2) + uintWord(96 + a.length / 2 + b.length / 2);
  return "0x" + FULFILL_BATCH_SELECTOR + head + a + b + c;
}

{
  // FAST_ENCODER_CHECK: the direct encoder must produce exactly what the ABI encoder does.
  const probe: Request = {
    requester: "0x00000000000000000000000000000000000000aa",
    nonce: 7n,
    deadline: 1_900_000_000n,
    modelId: "0x" + "ab".repeat(32),
    version: 2n,
    weightsHash: "0x" + "cd".repeat(32),
    inputHash: "0x" + "EF".repeat(32),
    mode: 1n,
    operator: "0x000000000000000000000000000000000000beef",
    callback: "0x0000000000000000000000000000000000000000",
    callbackGasLimit: 50_000n,
    storeOutput: true,
    fee: 10n ** 19n,
    royalty: 2n * 10n ** 18n,
    protocolFee: 5n * 10n ** 17n,
  };
  const args: [Request[], string[], string[]] = [
    [probe, { ...probe, nonce: 8n, storeOutput: false }],
    ["0x" + "01".repeat(32), "0x" + "02".repeat(33)],
    ["0x" + "11".repeat(65), "0x"],
  ];
  if (encodeFulfillBatch(...args) !== coordinatorInterface.encodeFunctionData("fulfillBatch", args))
    throw new Error("encodeFulfillBatch disagrees with the ABI encoder");
}

// ------------------------------------------------------------------ EIP-1559 transactions

function rlpLength(len: number, offset: number): Buffer {
  if (len < 56) return Buffer.from([offset + len]);
  const hex = len.toString(16);
  const lenBytes = Buffer.from(hex.length % 2 ? "0" + hex : hex, "hex");
  return Buffer.concat([Buffer.from([offset + 55 + lenBytes.length]), lenBytes]);
}
function rlpBytes(b: Buffer): Buffer {
  if (b.length === 1 && b[0]! < 0x80) return b;
  return Buffer.concat([rlpLength(b.length, 0x80), b]);
}
function rlpUint(v: bigint | number): Buffer {
  const n = BigInt(v);
  if (n < 0n) throw new Error("rlp: negative integer");
  if (n === 0n) return Buffer.from([0x80]);
  const hex = n.toString(16);
  return rlpBytes(Buffer.from(hex.length % 2 ? "0" + hex : hex, "hex"));
}
function rlpList(items: Buffer[]): Buffer {
  const body = Buffer.concat(items);
  return Buffer.concat([rlpLength(body.length, 0xc0), body]);
}

export interface Eip1559Fields {
  chainId: bigint;
  nonce: number;
  to: string;
  data: string;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/**
 * Sign a type-2 transaction (value 0, empty access list) by encoding its RLP with Buffers: ethers'
 * `Wallet.signTransaction` spends ~0.7 s serializing a 200-result batch (~160 kB of calldata), and
 * `broadcastTransaction` parses it back and recovers the sender. Checked against ethers at module load.
 */
export function signEip1559(wallet: Wallet, f: Eip1559Fields): { raw: string; hash: string } {
  const fields = [
    rlpUint(f.chainId),
    rlpUint(f.nonce),
    rlpUint(f.maxPriorityFeePerGas),
    rlpUint(f.maxFeePerGas),
    rlpUint(f.gasLimit),
    rlpBytes(Buffer.from(getBytes(f.to))),
    rlpUint(0n),
    rlpBytes(Buffer.from(f.data.slice(2), "hex")),
    rlpList([]),
  ];
  const unsigned = Buffer.concat([Buffer.from([2]), rlpList(fields)]);
  const sig = wallet.signingKey.sign(keccak256(unsigned));
  const signed = Buffer.concat([
    Buffer.from([2]),
    rlpList([...fields, rlpUint(sig.yParity), rlpUint(BigInt(sig.r)), rlpUint(BigInt(sig.s))]),
  ]);
  const raw = "0x" + signed.toString("hex");
  return { raw, hash: keccak256(signed) };
}

{
  // The direct encoding must match ethers' byte for byte (same raw transaction, same hash).
  const w = new EthersWallet(keccak256("0x01"));
  const f = {
    chainId: 31337n,
    nonce: 300,
    to: "0x00000000000000000000000000000000000000aa",
    data: "0x" + "5a".repeat(70),
    gasLimit: 4_700_000n,
    maxFeePerGas: 2_000_000_000n,
    maxPriorityFeePerGas: 0n,
  };
  const mine = signEip1559(w, f);
  const tx = Transaction.from({ type: 2, ...f, value: 0n, accessList: [] });
  tx.signature = w.signingKey.sign(tx.unsignedHash);
  if (mine.raw !== tx.serialized || mine.hash !== tx.hash) throw new Error("signEip1559 disagrees with ethers");
}

export class Submitter {
  readonly stats: SubmitStats = { simulateMs: 0, sendMs: 0, receiptMs: 0, txs: 0, gasUsed: 0n, results: 0, chainMs: 0 };
  readonly #provider: JsonRpcProvider;
  readonly #wallet: Wallet;
  readonly #chainId: bigint;
  readonly #coordinator: string;
  readonly #store: JobStore;
  readonly #gas: GasSettings;
  readonly #batchSize: number;
  readonly #zkBatchSize: number;
  readonly #concurrency: number;
  readonly #confirmations: number;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  #nonce: number | undefined;
  /** Per mode: highest gas per result seen in a batch receipt (callbacks excluded); absent = estimate. */
  readonly #perResultGas = new Map<number, bigint>();
  /** Set when the chain says the operator cannot fulfil (not eligible, paused): retried next pass. */
  blocked: string | undefined;

  constructor(o: {
    provider: JsonRpcProvider;
    wallet: Wallet;
    chainId: bigint;
    coordinator: string;
    store: JobStore;
    gas: GasSettings;
    batchSize: number;
    /** Results per transaction for ZK-mode results (default batchSize). */
    zkBatchSize?: number;
    concurrency: number;
    confirmations: number;
    metrics: Metrics;
    log: Logger;
  }) {
    this.#provider = o.provider;
    this.#wallet = o.wallet;
    this.#chainId = o.chainId;
    this.#coordinator = o.coordinator;
    this.#store = o.store;
    this.#gas = o.gas;
    this.#batchSize = o.batchSize;
    this.#zkBatchSize = o.zkBatchSize ?? o.batchSize;
    this.#concurrency = o.concurrency;
    this.#confirmations = o.confirmations;
    this.#metrics = o.metrics;
    this.#log = o.log;
  }

  get address(): string {
    return this.#wallet.address;
  }

  async #timed<T>(key: "simulateMs" | "sendMs" | "receiptMs", p: Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await p;
    } finally {
      this.stats[key] += performance.now() - t;
    }
  }

  /** Forget the local nonce: the next send reads it from the chain. */
  resetNonce(): void {
    this.#nonce = undefined;
  }

  // ------------------------------------------------------------------ sending

  /** Submit attested jobs, at most `concurrency` transactions in flight. Returns jobs submitted. */
  async submit(jobs: readonly JobRow[]): Promise<number> {
    this.blocked = undefined;
    const inFlight = this.#store.pendingTxs().length;
    const slots = this.#concurrency - inFlight;
    if (slots <= 0 || jobs.length === 0) return 0;
    // One mode per transaction, so each batch's gas limit follows its mode's per-result gas.
    const byMode = new Map<number, JobRow[]>();
    for (const j of jobs) {
      const m = modeOfJob(j);
      const list = byMode.get(m);
      if (list === undefined) byMode.set(m, [j]);
      else list.push(j);
    }
    const chunks: JobRow[][] = [];
    for (const [mode, list] of [...byMode.entries()].sort((a, b) => a[0] - b[0])) {
      const size = mode === Mode.ZK ? this.#zkBatchSize : this.#batchSize;
      for (let i = 0; i < list.length && chunks.length < slots; i += size) chunks.push(list.slice(i, i + size));
    }

    // Fees, nonce and the simulations are independent: ask for all of them at once.
    const [[fee, nonce], preparedAll] = await Promise.all([
      this.#timed(
        "simulateMs",
        Promise.all([
          this.#provider.getFeeData(),
          inFlight === 0 || this.#nonce === undefined
            ? this.#provider.getTransactionCount(this.#wallet.address, "pending")
            : Promise.resolve(this.#nonce),
        ]),
      ),
      Promise.all(chunks.map((c) => this.#prepare(c))),
    ]);
    this.#nonce = inFlight === 0 ? nonce : Math.max(nonce, this.#nonce ?? 0);
    const prepared = preparedAll.flat().slice(0, slots);
    if (prepared.length === 0) return 0;

    const maxFeePerGas = fee.maxFeePerGas ?? fee.gasPrice ?? 1_000_000_000n;
    const maxPriorityFeePerGas = fee.maxPriorityFeePerGas ?? 0n;
    const sends: { row: Omit<TxRow, "state">; jobs: JobRow[] }[] = [];
    for (const p of prepared) {
      const nonce: number = this.#nonce!;
      const { raw, hash } = signEip1559(this.#wallet, {
        chainId: this.#chainId,
        nonce,
        to: this.#coordinator,
        data: p.data,
        gasLimit: p.gasLimit,
        maxFeePerGas,
        maxPriorityFeePerGas,
      });
      const row = {
        hash,
        nonce,
        raw,
        requestIds: p.jobs.map((j) => j.requestId),
        sentAt: Date.now(),
        maxFeePerGas: maxFeePerGas.toString(),
        maxPriorityFeePerGas: maxPriorityFeePerGas.toString(),
      };
      this.#store.recordSend(row); // jobs → submitted, before the broadcast
      this.#nonce = nonce + 1;
      sends.push({ row, jobs: p.jobs });
    }
    // In nonce order, one after the other: automining nodes refuse a nonce gap.
    for (let i = 0; i < sends.length; i++) {
      if (await this.#broadcast(sends[i]!.row, sends[i]!.jobs.length > 1 ? "batch" : "single")) continue;
      const rest = sends.slice(i + 1);
      this.#store.setTxState(
        rest.map((s) => s.row.hash),
        "dropped",
      );
      for (const s of rest) this.#restore(s.row.requestIds);
      return sends.slice(0, i).reduce((a, s) => a + s.jobs.length, 0);
    }
    return sends.reduce((a, s) => a + s.jobs.length, 0);
  }

  async #broadcast(row: Omit<TxRow, "state">, kind: string): Promise<boolean> {
    try {
      // eth_sendRawTransaction directly: ethers' broadcastTransaction re-parses the raw transaction
      // and recovers its sender, ~0.1 s for a large batch. The hash is known from signing.
      const hash = await this.#timed("sendMs", this.#provider.send("eth_sendRawTransaction", [row.raw]));
      if (typeof hash === "string" && hash.toLowerCase() !== row.hash.toLowerCase())
        this.#log.error({ tx: row.hash, node: hash }, "the node reports another hash for the transaction sent");
      this.#metrics.txs.inc({ kind });
      this.stats.txs++;
      this.#log.debug({ tx: row.hash, nonce: row.nonce, results: row.requestIds.length }, "fulfil transaction sent");
      return true;
    } catch (err) {
      const msg = shortError(err);
      if (/already known|already imported/i.test(msg)) return true;
      this.#log.warn({ tx: row.hash, nonce: row.nonce, err: msg }, "broadcast failed; its jobs return to attested");
      this.#store.setTxState([row.hash], "dropped");
      this.#restore(row.requestIds);
      this.#nonce = undefined;
      return false;
    }
  }

  /** Jobs of a dropped / failed transaction go back to attested (re-simulated before any resend). */
  #restore(ids: readonly string[], bumpAttempts = false): void {
    const items = ids
      .map((id) => this.#store.get(id))
      .filter((j): j is JobRow => j !== undefined && (j.state === "submitted" || j.state === "attested"))
      .map((j) => ({ id: j.requestId, fields: bumpAttempts ? { attempts: j.attempts + 1 } : {} }));
    this.#store.transitionEach(items, "attested");
  }

  #encode(jobs: readonly JobRow[]): string {
    const requests = jobs.map((j) => requestFromJson(j.request));
    if (jobs.length === 1)
      return coordinatorInterface.encodeFunctionData("fulfill", [requests[0], jobs[0]!.output, jobs[0]!.signature]);
    return encodeFulfillBatch(
      requests,
      jobs.map((j) => j.output!),
      jobs.map((j) => j.signature!),
    );
  }

  async #estimate(data: string): Promise<bigint> {
    const gas = await this.#timed(
      "simulateMs",
      this.#provider
        .send("eth_estimateGas", [{ from: this.#wallet.address, to: this.#coordinator, data }])
        .then((g: string) => BigInt(g)),
    );
    return (gas * BigInt(100 + this.#gas.marginPercent)) / 100n;
  }

  /** Simulate a chunk; drop requests the chain says are not open; fall back to singles on a revert. */
  async #prepare(jobs: JobRow[]): Promise<Prepared[]> {
    if (jobs.length === 1) return this.#prepareSingle(jobs[0]!);
    let data = this.#encode(jobs);
    try {
      const ret = await this.#timed(
        "simulateMs",
        // Raw eth_call: ethers' provider.call normalizes the request (hex round trips of ~160 kB of
        // calldata for a large batch). Errors carry the same revert data (JsonRpcProvider.getRpcError).
        this.#provider.send("eth_call", [
          { from: this.#wallet.address, to: this.#coordinator, data },
          "latest",
        ]) as Promise<string>,
      );
      const fulfilled = Number(coordinatorInterface.decodeFunctionResult("fulfillBatch", ret)[0] as bigint);
      if (fulfilled < jobs.length) {
        jobs = await this.#dropNotOpen(jobs);
        if (jobs.length === 0) return [];
        if (jobs.length === 1) return this.#prepareSingle(jobs[0]!);
        data = this.#encode(jobs);
      }
      const perResult = this.#perResultGas.get(modeOfJob(jobs[0]!));
      return [
        {
          jobs,
          data,
          gasLimit: perResult === undefined ? await this.#estimate(data) : this.#modelGas(jobs, perResult),
        },
      ];
    } catch (err) {
      if (!isRevert(err)) throw err;
      const r = revertOf(err);
      this.#log.warn(
        { results: jobs.length, revert: r?.name ?? shortError(err) },
        "batch failed simulation; falling back to single fulfils",
      );
      if (r !== undefined && this.#blocking(r.name)) return [];
      const singles = await Promise.all(jobs.map((j) => this.#prepareSingle(j)));
      return singles.flat();
    }
  }

  /**
   * Gas limit of a batch from receipts already seen (eth_estimateGas re-executes a large batch many
   * times): per-result gas × n + callback gas, plus the margin. An out-of-gas revert resets the model.
   */
  #modelGas(jobs: readonly JobRow[], perResult: bigint): bigint {
    const callbacks = jobs.reduce((a, j) => a + callbackGasBudget(requestFromJson(j.request)), 0n);
    const base = 40_000n + perResult * BigInt(jobs.length) + callbacks;
    return (base * BigInt(100 + this.#gas.marginPercent)) / 100n;
  }

  async #prepareSingle(job: JobRow): Promise<Prepared[]> {
    const data = this.#encode([job]);
    try {
      return [{ jobs: [job], data, gasLimit: await this.#estimate(data) }];
    } catch (err) {
      if (!isRevert(err)) throw err;
      this.#classify(job, revertOf(err), shortError(err));
      return [];
    }
  }

  #blocking(name: string): boolean {
    if (name === "CoordinatorOperatorNotEligible" || name === "CoordinatorPaused") {
      this.blocked = name;
      this.#log.error(
        { operator: this.#wallet.address, revert: name },
        "the coordinator refuses this operator's results (not staked/eligible, or paused); jobs stay attested",
      );
      return true;
    }
    return false;
  }

  async #dropNotOpen(jobs: JobRow[]): Promise<JobRow[]> {
    const statuses = await this.#timed(
      "simulateMs",
      Promise.all(
        jobs.map(async (j) => {
          const ret = await this.#provider.call({
            to: this.#coordinator,
            data: coordinatorInterface.encodeFunctionData("requestStatus", [j.requestId]),
          });
          return Number(coordinatorInterface.decodeFunctionResult("requestStatus", ret)[0] as bigint);
        }),
      ),
    );
    const open: JobRow[] = [];
    jobs.forEach((j, i) => {
      const s = statuses[i]!;
      if (isPending(s)) open.push(j);
      else
        this.#classify(
          j,
          { name: "CoordinatorRequestNotOpen", args: [BigInt(j.requestId), BigInt(s)] },
          `status ${statusName(s)}`,
        );
    });
    return open;
  }

  /** Settle a job whose single simulation reverted. */
  #classify(job: JobRow, r: { name: string; args: readonly unknown[] } | undefined, message: string): void {
    const name = r?.name;
    if (name !== undefined && this.#blocking(name)) return;
    const set = (state: "skipped" | "expired" | "failed", reason: string, detail: string) => {
      this.#store.transition([job.requestId], state, { error: `${reason}: ${detail}` });
      if (state === "skipped") this.#metrics.skipped.inc({ reason });
      else if (state === "expired") this.#metrics.expired.inc();
      else this.#metrics.failed.inc({ reason });
    };
    if (name === "CoordinatorRequestNotOpen") {
      const status = Number(r!.args[1]);
      const reason = status === RequestStatus.Refunded ? "refunded" : "already-fulfilled";
      this.#log.warn(
        { requestId: job.requestId, status: statusName(status) },
        `request already ${statusName(status)} on-chain; skipped`,
      );
      set("skipped", reason, `request is ${statusName(status)} on-chain`);
    } else if (name === "CoordinatorRequestExpired") {
      this.#log.warn({ requestId: job.requestId }, "request expired before it could be submitted");
      set("expired", "expired", `deadline ${r!.args[1]} passed`);
    } else if (name === "CoordinatorNotAssignedOperator") {
      set("skipped", "assigned-to-other", `assigned to ${r!.args[1]}`);
    } else if (name === "CoordinatorUnknownRequest") {
      this.#log.error({ requestId: job.requestId }, "request unknown to the coordinator (reorged out?)");
      set("failed", "unknown-request", "the coordinator does not know this request");
    } else {
      const attempts = job.attempts + 1;
      const detail = name ?? message;
      if (attempts >= this.#gas.maxAttempts) {
        this.#log.error(
          { requestId: job.requestId, revert: detail, attempts },
          "fulfil keeps failing simulation; giving up",
        );
        set("failed", "simulation-reverted", detail);
      } else {
        this.#log.error({ requestId: job.requestId, revert: detail, attempts }, "fulfil failed simulation; will retry");
        this.#store.transition([job.requestId], "attested", { attempts, error: `simulation-reverted: ${detail}` });
      }
    }
  }

  // ------------------------------------------------------------------ following

  /** Follow pending transactions: settle deep-enough receipts, rebroadcast, bump or drop. */
  async check(head: number): Promise<void> {
    const pending = this.#store.pendingTxs();
    if (pending.length === 0) return;
    const receipts = await this.#timed(
      "receiptMs",
      Promise.all(pending.map((t) => this.#provider.getTransactionReceipt(t.hash))),
    );
    const byNonce = new Map<number, { tx: TxRow; receipt: TransactionReceipt | null }[]>();
    pending.forEach((tx, i) => {
      const list = byNonce.get(tx.nonce) ?? [];
      list.push({ tx, receipt: receipts[i]! });
      byNonce.set(tx.nonce, list);
    });
    const need = Math.max(1, this.#confirmations);
    let chainNonce: number | undefined;
    for (const [nonce, list] of [...byNonce.entries()].sort((a, b) => a[0] - b[0])) {
      const mined = list.find((x) => x.receipt !== null);
      if (mined !== undefined) {
        if (head - mined.receipt!.blockNumber + 1 < need) continue;
        this.#store.setTxState([mined.tx.hash], "mined");
        this.#store.setTxState(
          list.filter((x) => x !== mined).map((x) => x.tx.hash),
          "replaced",
        );
        this.#settle(mined.tx, mined.receipt!);
        continue;
      }
      const latest = list[list.length - 1]!.tx;
      const known = await this.#timed("receiptMs", this.#provider.getTransaction(latest.hash));
      if (known === null) {
        chainNonce ??= await this.#provider.getTransactionCount(this.#wallet.address, "latest");
        if (chainNonce > nonce) {
          this.#log.warn(
            { nonce, txs: list.map((x) => x.tx.hash) },
            "transaction dropped (nonce used by another transaction); jobs return to attested",
          );
          this.#store.setTxState(
            list.map((x) => x.tx.hash),
            "dropped",
          );
          this.#restore(latest.requestIds);
          this.#nonce = undefined;
        } else {
          this.#log.info(
            { tx: latest.hash, nonce },
            "transaction unknown to the node; rebroadcasting the same signed transaction",
          );
          await this.#broadcast(latest, "rebroadcast");
        }
      } else if (Date.now() - latest.sentAt > this.#gas.stuckAfterMs) {
        await this.#bump(latest);
      }
    }
  }

  async #bump(old: TxRow): Promise<void> {
    const parsed = Transaction.from(old.raw);
    const fee = await this.#provider.getFeeData();
    const pct = BigInt(100 + this.#gas.bumpPercent);
    const bump = (v: bigint, cur: bigint | null) => {
      const b = (v * pct) / 100n + 1n;
      return cur !== null && cur > b ? cur : b;
    };
    const maxPriorityFeePerGas = bump(BigInt(old.maxPriorityFeePerGas), fee.maxPriorityFeePerGas);
    let maxFeePerGas = bump(BigInt(old.maxFeePerGas), fee.maxFeePerGas);
    if (maxFeePerGas < maxPriorityFeePerGas) maxFeePerGas = maxPriorityFeePerGas;
    const raw = await this.#wallet.signTransaction({
      type: 2,
      chainId: this.#chainId,
      nonce: old.nonce,
      to: parsed.to!,
      data: parsed.data,
      gasLimit: parsed.gasLimit,
      maxFeePerGas,
      maxPriorityFeePerGas,
    });
    const row = {
      hash: Transaction.from(raw).hash!,
      nonce: old.nonce,
      raw,
      requestIds: old.requestIds,
      sentAt: Date.now(),
      maxFeePerGas: maxFeePerGas.toString(),
      maxPriorityFeePerGas: maxPriorityFeePerGas.toString(),
    };
    this.#log.warn(
      { old: old.hash, tx: row.hash, nonce: old.nonce, maxFeePerGas: row.maxFeePerGas },
      "transaction stuck; replacing it with bumped fees",
    );
    this.#store.recordSend(row);
    await this.#broadcast(row, "replacement");
  }

  #settle(tx: TxRow, receipt: TransactionReceipt): void {
    this.stats.gasUsed += receipt.gasUsed;
    this.#metrics.gasSpent.inc(Number(receipt.gasUsed));
    this.#metrics.feesSpent.inc(Number(receipt.gasUsed * (receipt.gasPrice ?? 0n)));
    const ids = new Set(tx.requestIds);
    if (receipt.status !== 1) {
      this.#perResultGas.clear(); // maybe out of gas: estimate again
      this.#log.error(
        { tx: tx.hash, block: receipt.blockNumber },
        "fulfil transaction reverted; its jobs return to attested",
      );
      this.#restore(tx.requestIds, true);
      return;
    }
    const me = this.#wallet.address.toLowerCase();
    const coordinator = this.#coordinator.toLowerCase();
    const confirmed: { id: string; fields: { earnings: string } }[] = [];
    const skipped: string[] = [];
    const expired: string[] = [];
    const now = Date.now();
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== coordinator) continue;
      // Both events carry requestId and operator as indexed topics: no data decoding needed.
      const topic = log.topics[0];
      const name =
        topic === T_FULFILLED && log.topics.length === 4
          ? "InferenceFulfilled"
          : topic === T_SKIPPED && log.topics.length === 3
            ? "FulfillmentSkipped"
            : undefined;
      if (name === undefined) continue;
      const id = requestKey(BigInt(log.topics[1]!));
      if (!ids.has(id)) continue;
      const operator = getAddress("0x" + log.topics[2]!.slice(26));
      if (name === "InferenceFulfilled" && operator.toLowerCase() === me) {
        const job = this.#store.get(id);
        const request: Request | undefined = job ? requestFromJson(job.request) : undefined;
        const earned = request ? operatorShare(request) : 0n;
        confirmed.push({ id, fields: { earnings: earned.toString() } });
        this.#metrics.earnings.inc(Number(earned));
        if (job) this.#metrics.latency.observe(Math.max(0, now / 1000 - job.blockTime));
        ids.delete(id);
      } else if (name === "FulfillmentSkipped") {
        // The event's one data word is the request's status: still pending (Open / Accepted) means the
        // coordinator skipped it because it was past its deadline (or this operator stopped being
        // eligible during the batch), not because someone else fulfilled it.
        const status = Number(BigInt(log.data));
        if (status === RequestStatus.Open || status === RequestStatus.Accepted) expired.push(id);
        else skipped.push(id);
        ids.delete(id);
      }
    }
    this.#store.transitionEach(
      expired.map((id) => {
        const job = this.#store.get(id);
        const deadline = job ? requestFromJson(job.request).deadline : "?";
        return { id, fields: { error: `expired: deadline ${deadline} passed (skipped in batch: FulfillmentSkipped)` } };
      }),
      "expired",
    );
    for (const id of expired)
      this.#log.warn({ requestId: id, tx: tx.hash }, "request expired before inclusion; skipped");
    this.#store.transitionEach(confirmed, "confirmed");
    this.#store.transition(skipped, "skipped", { error: "already-fulfilled: skipped in batch (FulfillmentSkipped)" });
    for (const id of skipped) {
      this.#log.warn({ requestId: id, tx: tx.hash }, "request was already fulfilled by another operator; skipped");
      this.#metrics.skipped.inc({ reason: "already-fulfilled" });
    }
    if (tx.requestIds.length > 1 && confirmed.length > 0) {
      const callbacks = confirmed.reduce((a, c) => {
        const j = this.#store.get(c.id);
        return a + (j ? callbackGasBudget(requestFromJson(j.request)) : 0n);
      }, 0n);
      const per = (receipt.gasUsed - callbacks + BigInt(tx.requestIds.length) - 1n) / BigInt(tx.requestIds.length);
      // Batches are single-mode (see submit), so the first job's mode is the batch's.
      const first = this.#store.get(tx.requestIds[0]!);
      if (first !== undefined) {
        const mode = modeOfJob(first);
        const known = this.#perResultGas.get(mode);
        if (known === undefined || per > known) this.#perResultGas.set(mode, per);
      }
    }
    this.#metrics.served.inc(confirmed.length);
    this.stats.results += confirmed.length;
    this.stats.chainMs += confirmed.length * Math.max(0, now - tx.sentAt);
    if (ids.size > 0) this.#restore([...ids], true);
    this.#log.info(
      {
        tx: tx.hash,
        block: receipt.blockNumber,
        confirmed: confirmed.length,
        skipped: skipped.length,
        gasUsed: receipt.gasUsed.toString(),
      },
      "fulfil transaction confirmed",
    );
  }
}
