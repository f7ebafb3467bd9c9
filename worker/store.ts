/**
 * The job store on node:sqlite (WAL): the one place a job changes state. Stages call its named
 * transitions (`markExecuting`, `attest`, `markSubmitted`, `confirm`, `close`, ...), each checked
 * against the state machine in worker/jobstate.ts inside the same SQL transaction: a move the
 * machine does not allow throws IllegalTransitionError and changes nothing. The database handle is
 * private; requests are parsed once, when read, and travel typed (`Job.request: Request`).
 *
 * Every state change is committed before the step it announces, so a crash leaves each job in a
 * state it can resume from. Besides jobs: the event cursor (block number + hash + the chain's
 * genesis hash), the transaction journal (each signed transaction, written before it is
 * broadcast), and the private inputs received on the intake endpoint (table private_inputs: the
 * only place they are kept, never in `jobs`; deleted `intake.retainSec` after their job is final).
 *
 * Durability: WAL with `synchronous = NORMAL`, so a commit survives a crash of the process (the
 * operating system holds the write) without waiting for the disk; only the two commits whose loss
 * on a power failure could not be re-derived from the chain wait for the disk (`synchronous =
 * FULL` for that commit): the journal entry of a signed transaction before it is broadcast, and a
 * private input before the intake answers. Everything else is re-derived after a power loss: the
 * cursor rescans, an executing or attested job runs again (execution is deterministic), a
 * submitted one is followed through its journalled transaction.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

import { requestFromJson, requestToJson, type Request } from "@verity-ai/sdk";

import { FINAL_STATES, IllegalTransitionError, JOB_STATES, sourcesOf, type JobState } from "./jobstate.ts";

export { FINAL_STATES, JOB_STATES, type JobState } from "./jobstate.ts";

export interface Job {
  requestId: string;
  state: JobState;
  /** The on-chain request, parsed once when read. */
  request: Request;
  /** The request's input as emitted ("0x" for a private-input request). */
  inputHex: string;
  blockNumber: number;
  blockHash: string;
  blockTime: number;
  output: string | null;
  /** TEE: the enclave's signature over the result; ZK: the encoded Groth16 proof. */
  proof: string | null;
  txHash: string | null;
  /** `<reason>: <detail>` of the last failure, skip or wait, for people. */
  error: string | null;
  /** The short code of that problem (`already-fulfilled`, `expired`, `bad-input`, ...), for code. */
  reason: string | null;
  attempts: number;
  earnings: string | null;
  seenAt: number;
  updatedAt: number;
  confirmedAt: number | null;
}

export interface NewJob {
  requestId: string;
  request: Request;
  inputHex: string;
  blockNumber: number;
  blockHash: string;
  blockTime: number;
  /** Unix seconds before which this node leaves the request to operators ranked ahead of it (0 = at once). */
  notBefore?: number;
}

export interface PrivateInput {
  requestId: string;
  inputHex: string;
  salt: string;
  receivedAt: number;
}

export interface Cursor {
  block: number;
  hash: string;
}

export interface TxRow {
  hash: string;
  nonce: number;
  raw: string;
  requestIds: string[];
  state: "pending" | "mined" | "replaced" | "dropped";
  sentAt: number;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
}

/** A final verdict on a job, or a wait for its private input. */
export interface Verdict {
  state: Extract<JobState, "failed" | "expired" | "skipped" | "awaiting-input">;
  reason: string;
  detail: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  request_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  model_id TEXT NOT NULL,
  weights_hash TEXT NOT NULL,
  request TEXT NOT NULL,
  input_hex TEXT NOT NULL,
  block_number INTEGER NOT NULL,
  block_hash TEXT NOT NULL,
  block_time INTEGER NOT NULL,
  output TEXT,
  proof TEXT,
  tx_hash TEXT,
  error TEXT,
  reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  earnings TEXT,
  seen_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  confirmed_at INTEGER,
  not_before INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, block_number);
CREATE TABLE IF NOT EXISTS txs (
  hash TEXT PRIMARY KEY,
  nonce INTEGER NOT NULL,
  raw TEXT NOT NULL,
  request_ids TEXT NOT NULL,
  state TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  max_fee TEXT NOT NULL,
  max_priority_fee TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS txs_state ON txs(state);
CREATE TABLE IF NOT EXISTS private_inputs (
  request_id TEXT PRIMARY KEY,
  input_hex TEXT NOT NULL,
  salt TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
`;

type Row = Record<string, unknown>;

function toJob(r: Row): Job {
  return {
    requestId: r.request_id as string,
    state: r.state as JobState,
    request: requestFromJson(r.request as string),
    inputHex: r.input_hex as string,
    blockNumber: Number(r.block_number),
    blockHash: r.block_hash as string,
    blockTime: Number(r.block_time),
    output: (r.output as string | null) ?? null,
    proof: (r.proof as string | null) ?? null,
    txHash: (r.tx_hash as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    attempts: Number(r.attempts),
    earnings: (r.earnings as string | null) ?? null,
    seenAt: Number(r.seen_at),
    updatedAt: Number(r.updated_at),
    confirmedAt: r.confirmed_at === null || r.confirmed_at === undefined ? null : Number(r.confirmed_at),
  };
}

function toTx(r: Row): TxRow {
  return { ...toTxHead(r), raw: r.raw as string };
}

function toTxHead(r: Row): Omit<TxRow, "raw"> {
  return {
    hash: r.hash as string,
    nonce: Number(r.nonce),
    requestIds: JSON.parse(r.request_ids as string) as string[],
    state: r.state as TxRow["state"],
    sentAt: Number(r.sent_at),
    maxFeePerGas: r.max_fee as string,
    maxPriorityFeePerGas: r.max_priority_fee as string,
  };
}

/** A problem recorded on a job: a short code and the detail. */
export interface Problem {
  reason: string;
  detail: string;
}

/** Fields a transition may write (unset = unchanged; `problem: null` clears it). */
interface Fields {
  output?: string;
  proof?: string;
  txHash?: string;
  problem?: Problem | null;
  earnings?: string;
  attempts?: number;
}

export class JobStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #get: StatementSync;
  readonly #stateOf: StatementSync;
  readonly #byState: StatementSync;
  readonly #getInput: StatementSync;
  readonly #ready: StatementSync;
  readonly #moves = new Map<JobState, StatementSync>();
  readonly #syncLevel: StatementSync;
  readonly #pendingTxs: StatementSync;
  readonly #insertTx: StatementSync;
  readonly #pendingTxHeads: StatementSync;
  readonly #txRaw: StatementSync;
  readonly #pendingTxCount: StatementSync;
  #lastCommitSync = 0;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    this.#syncLevel = this.#db.prepare("PRAGMA synchronous");
    this.#migrate();
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare(
      `INSERT OR IGNORE INTO jobs (request_id, state, model_id, weights_hash, request, input_hex, block_number, block_hash, block_time, seen_at, updated_at, not_before)
       VALUES (?, 'seen', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#get = this.#db.prepare("SELECT * FROM jobs WHERE request_id = ?");
    this.#stateOf = this.#db.prepare("SELECT state FROM jobs WHERE request_id = ?");
    this.#byState = this.#db.prepare("SELECT * FROM jobs WHERE state = ? ORDER BY block_number, request_id LIMIT ?");
    this.#insertTx = this.#db.prepare(
      "INSERT OR REPLACE INTO txs (hash, nonce, raw, request_ids, state, sent_at, max_fee, max_priority_fee) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
    );
    this.#pendingTxHeads = this.#db.prepare(
      "SELECT hash, nonce, request_ids, state, sent_at, max_fee, max_priority_fee FROM txs WHERE state = 'pending' ORDER BY nonce, sent_at",
    );
    this.#txRaw = this.#db.prepare("SELECT raw FROM txs WHERE hash = ?");
    this.#pendingTxs = this.#db.prepare("SELECT * FROM txs WHERE state = 'pending' ORDER BY nonce, sent_at");
    this.#pendingTxCount = this.#db.prepare("SELECT COUNT(*) AS n FROM txs WHERE state = 'pending'");
    this.#getInput = this.#db.prepare("SELECT * FROM private_inputs WHERE request_id = ?");
    this.#ready = this.#db.prepare(
      "SELECT * FROM jobs WHERE state = 'seen' AND not_before <= ? ORDER BY block_number, request_id LIMIT ?",
    );
    for (const to of JOB_STATES) {
      const from = sourcesOf(to);
      if (from.length === 0) continue;
      this.#moves.set(
        to,
        this.#db.prepare(
          `UPDATE jobs SET state = '${to}', updated_at = ?,
             output = COALESCE(?, output), proof = COALESCE(?, proof), tx_hash = COALESCE(?, tx_hash),
             error = CASE WHEN ? THEN ? ELSE error END, reason = CASE WHEN ? THEN ? ELSE reason END,
             earnings = COALESCE(?, earnings),
             attempts = COALESCE(?, attempts), confirmed_at = ${to === "confirmed" ? "?" : "COALESCE(?, confirmed_at)"}
           WHERE request_id = ? AND state IN (${from.map((s) => `'${s}'`).join(", ")})`,
        ),
      );
    }
  }

  /** Databases written before the ZK proof had its own name: the column `signature` becomes `proof`. */
  #migrate(): void {
    const cols = this.#db.prepare("PRAGMA table_info(jobs)").all() as Row[];
    if (cols.some((c) => c.name === "signature")) this.#db.exec("ALTER TABLE jobs RENAME COLUMN signature TO proof");
    if (cols.length > 0 && !cols.some((c) => c.name === "not_before"))
      this.#db.exec("ALTER TABLE jobs ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0");
    if (cols.length > 0 && !cols.some((c) => c.name === "reason")) {
      this.#db.exec("ALTER TABLE jobs ADD COLUMN reason TEXT");
      this.#db.exec("UPDATE jobs SET reason = substr(error, 1, instr(error, ':') - 1) WHERE instr(error, ':') > 0");
    }
  }

  /**
   * Run `fn` in one transaction (all or nothing). `durable`: the commit waits for the disk
   * (synchronous = FULL), for what a power loss must not take (see the header).
   */
  #tx<T>(fn: () => T, durable = false): T {
    if (this.#db.isTransaction) return fn();
    if (durable) this.#db.exec("PRAGMA synchronous = FULL");
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const out = fn();
        this.#lastCommitSync = Number((this.#syncLevel.get() as Row).synchronous);
        this.#db.exec("COMMIT");
        return out;
      } catch (err) {
        this.#db.exec("ROLLBACK");
        throw err;
      }
    } finally {
      if (durable) this.#db.exec("PRAGMA synchronous = NORMAL");
    }
  }

  /**
   * The connection's synchronous level now and at the last commit (1 = NORMAL, 2 = FULL): what the
   * durability rule's tests read.
   */
  get synchronousLevel(): { now: number; lastCommit: number } {
    return {
      now: Number((this.#syncLevel.get() as Row).synchronous),
      lastCommit: this.#lastCommitSync,
    };
  }

  /**
   * The one guarded move: each job goes to `to` with its fields, all in one transaction; a job
   * whose current state may not move to `to` (or that is unknown) aborts the whole call.
   */
  #move(name: string, to: JobState, items: readonly { id: string; fields?: Fields }[], now = Date.now()): void {
    if (items.length === 0) return;
    const stmt = this.#moves.get(to)!;
    this.#tx(() => {
      for (const { id, fields = {} } of items) {
        const r = stmt.run(
          now,
          fields.output ?? null,
          fields.proof ?? null,
          fields.txHash ?? null,
          fields.problem !== undefined ? 1 : 0,
          fields.problem ? `${fields.problem.reason}: ${fields.problem.detail}` : null,
          fields.problem !== undefined ? 1 : 0,
          fields.problem ? fields.problem.reason : null,
          fields.earnings ?? null,
          fields.attempts ?? null,
          to === "confirmed" ? now : null,
          id,
        );
        if (Number(r.changes) === 0) {
          const cur = this.#stateOf.get(id) as Row | undefined;
          throw new IllegalTransitionError(id, cur?.state as JobState | undefined, to, name);
        }
      }
    });
  }

  // ------------------------------------------------------------------ reads

  get(requestId: string): Job | undefined {
    const r = this.#get.get(requestId) as Row | undefined;
    return r === undefined ? undefined : toJob(r);
  }

  /** A job's state alone (no row parsing), or undefined for an unknown request. */
  stateOf(requestId: string): JobState | undefined {
    return (this.#stateOf.get(requestId) as Row | undefined)?.state as JobState | undefined;
  }

  byState(state: JobState, limit = 1_000_000): Job[] {
    return (this.#byState.all(state, limit) as Row[]).map(toJob);
  }

  /** Seen jobs this node may take now (`notBefore` passed): the execute stage's input. */
  ready(nowSec: number, limit = 1_000_000): Job[] {
    return (this.#ready.all(nowSec, limit) as Row[]).map(toJob);
  }

  /** Whether any job is in `state`. */
  any(state: JobState): boolean {
    return this.#byState.all(state, 1).length > 0;
  }

  all(): Job[] {
    return (this.#db.prepare("SELECT * FROM jobs ORDER BY block_number, request_id").all() as Row[]).map(toJob);
  }

  counts(): Record<JobState, number> {
    const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const r of this.#db.prepare("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() as Row[]) {
      out[r.state as JobState] = Number(r.n);
    }
    return out;
  }

  /** Jobs first seen in blocks above `block`. */
  jobsAfter(block: number): Job[] {
    return (
      this.#db.prepare("SELECT * FROM jobs WHERE block_number > ? ORDER BY block_number").all(block) as Row[]
    ).map(toJob);
  }

  // ------------------------------------------------------------------ transitions

  /** New requests → seen; returns the ids that were new (a request seen before is left as it is). */
  insertSeen(jobs: readonly NewJob[], now = Date.now()): string[] {
    const added: string[] = [];
    this.#tx(() => {
      for (const j of jobs) {
        const r = this.#insert.run(
          j.requestId,
          j.request.modelId,
          j.request.weightsHash.toLowerCase(),
          requestToJson(j.request),
          j.inputHex,
          j.blockNumber,
          j.blockHash,
          j.blockTime,
          now,
          now,
          j.notBefore ?? 0,
        );
        if (Number(r.changes) > 0) added.push(j.requestId);
      }
    });
    return added;
  }

  /** seen → executing: the model (or the prover) takes them. */
  markExecuting(ids: readonly string[], now = Date.now()): void {
    this.#move(
      "markExecuting",
      "executing",
      ids.map((id) => ({ id })),
      now,
    );
  }

  /** executing → seen: jobs a crash interrupted are run again (execution is deterministic). Returns them. */
  resumeExecuting(now = Date.now()): string[] {
    const ids = this.byState("executing").map((j) => j.requestId);
    this.#move(
      "resumeExecuting",
      "seen",
      ids.map((id) => ({ id })),
      now,
    );
    return ids;
  }

  /** executing → attested with output and proof (TEE signature or ZK proof). */
  attest(items: readonly { id: string; output: string; proof: string }[], now = Date.now()): void {
    this.#move(
      "attest",
      "attested",
      items.map(({ id, output, proof }) => ({ id, fields: { output, proof, problem: null } })),
      now,
    );
  }

  /** → skipped / failed / expired / awaiting-input with the reason (one transaction). */
  settle(items: readonly { id: string; verdict: Verdict }[], now = Date.now()): void {
    this.#tx(() => {
      for (const state of ["failed", "expired", "skipped", "awaiting-input"] as const) {
        this.#move(
          `settle(${state})`,
          state,
          items
            .filter((i) => i.verdict.state === state)
            .map(({ id, verdict }) => ({
              id,
              fields: { problem: { reason: verdict.reason, detail: verdict.detail } },
            })),
          now,
        );
      }
    });
  }

  /**
   * Journal signed transactions and mark their jobs submitted (attested → submitted, or
   * submitted → submitted for a replacement), in one transaction that waits for the disk, before
   * any of them is broadcast. Several transactions of one round share that one wait.
   */
  markSubmitted(txs: Omit<TxRow, "state"> | readonly Omit<TxRow, "state">[], now = Date.now()): void {
    const list = Array.isArray(txs) ? (txs as readonly Omit<TxRow, "state">[]) : [txs as Omit<TxRow, "state">];
    if (list.length === 0) return;
    this.#tx(() => {
      for (const tx of list) {
        this.#insertTx.run(
          tx.hash,
          tx.nonce,
          tx.raw,
          JSON.stringify(tx.requestIds),
          tx.sentAt,
          tx.maxFeePerGas,
          tx.maxPriorityFeePerGas,
        );
        this.#move(
          "markSubmitted",
          "submitted",
          tx.requestIds.map((id) => ({ id, fields: { txHash: tx.hash } })),
          now,
        );
      }
    }, true);
  }

  /**
   * submitted → attested: their transaction was dropped or reverted (or a simulation failed and is
   * retried: attested → attested). `attempts` counts the failures; the jobs are simulated again
   * before any resend, so nothing is sent twice.
   */
  returnToAttested(items: readonly { id: string; attempts?: number; problem?: Problem }[], now = Date.now()): void {
    this.#move(
      "returnToAttested",
      "attested",
      items.map(({ id, attempts, problem }) => ({ id, fields: { attempts, problem } })),
      now,
    );
  }

  /** submitted → confirmed: our fulfilment's receipt is final; `earnings` = the operator's share. */
  confirm(items: readonly { id: string; earnings: string }[], now = Date.now()): void {
    this.#move(
      "confirm",
      "confirmed",
      items.map(({ id, earnings }) => ({ id, fields: { earnings, problem: null } })),
      now,
    );
  }

  /**
   * Our own fulfilment found by the event scan: attested → submitted (the transaction that carried
   * it, unknown to the journal or given up on) → confirmed, or submitted → confirmed.
   */
  confirmOwn(items: readonly { id: string; txHash: string; earnings: string }[], now = Date.now()): void {
    this.#tx(() => {
      const attested = items.filter((i) => (this.#stateOf.get(i.id) as Row | undefined)?.state === "attested");
      this.#move(
        "confirmOwn",
        "submitted",
        attested.map(({ id, txHash }) => ({ id, fields: { txHash } })),
        now,
      );
      this.#move(
        "confirmOwn",
        "confirmed",
        items.map(({ id, txHash, earnings }) => ({ id, fields: { txHash, earnings, problem: null } })),
        now,
      );
    });
  }

  /** confirmed / skipped → attested (result kept) or seen: a reorg made the request open again. */
  reopen(id: string, now = Date.now()): JobState {
    const job = this.get(id);
    const to = job?.output !== null && job?.proof !== null && job !== undefined ? "attested" : "seen";
    this.#move(
      "reopen",
      to,
      [{ id, fields: { problem: { reason: "reopened", detail: "open again on-chain after a reorg" } } }],
      now,
    );
    return to;
  }

  /**
   * Store a private input (committed before the intake endpoint answers) and, in the same
   * transaction, move its job from awaiting-input back to seen. Returns whether a job was woken.
   */
  putPrivateInput(requestId: string, inputHex: string, salt: string, now = Date.now()): boolean {
    return this.#tx(() => {
      this.#db
        .prepare(
          `INSERT INTO private_inputs (request_id, input_hex, salt, received_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(request_id) DO UPDATE SET input_hex = excluded.input_hex, salt = excluded.salt, received_at = excluded.received_at`,
        )
        .run(requestId, inputHex, salt, now);
      if ((this.#stateOf.get(requestId) as Row | undefined)?.state !== "awaiting-input") return false;
      this.#move("putPrivateInput", "seen", [{ id: requestId, fields: { problem: null } }], now);
      return true;
    }, true);
  }

  /** Jobs in awaiting-input whose private input has arrived meanwhile → seen. Returns their ids. */
  wakeReceived(now = Date.now()): string[] {
    return this.#tx(() => {
      const ids = (
        this.#db
          .prepare(
            "SELECT j.request_id AS id FROM jobs j JOIN private_inputs p ON p.request_id = j.request_id WHERE j.state = 'awaiting-input'",
          )
          .all() as Row[]
      ).map((r) => r.id as string);
      this.#move(
        "wakeReceived",
        "seen",
        ids.map((id) => ({ id, fields: { problem: null } })),
        now,
      );
      return ids;
    });
  }

  // ------------------------------------------------------------------ private inputs

  getPrivateInput(requestId: string): PrivateInput | undefined {
    const r = this.#getInput.get(requestId) as Row | undefined;
    return r === undefined
      ? undefined
      : {
          requestId: r.request_id as string,
          inputHex: r.input_hex as string,
          salt: r.salt as string,
          receivedAt: Number(r.received_at),
        };
  }

  /** Delete private inputs whose job has been final for `retainMs`. Returns how many were deleted. */
  purgePrivateInputs(retainMs: number, now = Date.now()): number {
    const r = this.#db
      .prepare(
        `DELETE FROM private_inputs WHERE request_id IN (
           SELECT request_id FROM jobs WHERE state IN (${FINAL_STATES.map((s) => `'${s}'`).join(", ")}) AND updated_at <= ?)`,
      )
      .run(now - retainMs);
    return Number(r.changes);
  }

  // ------------------------------------------------------------------ cursor and meta

  getCursor(): Cursor | undefined {
    const v = this.getMeta("cursor");
    return v === undefined ? undefined : (JSON.parse(v) as Cursor);
  }

  setCursor(c: Cursor): void {
    this.setMeta("cursor", JSON.stringify(c));
  }

  getMeta(key: string): string | undefined {
    const r = this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
    return r === undefined ? undefined : (r.value as string);
  }

  setMeta(key: string, value: string): void {
    this.#db
      .prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(key, value);
  }

  // ------------------------------------------------------------------ transaction journal

  pendingTxs(): TxRow[] {
    return (this.#pendingTxs.all() as Row[]).map(toTx);
  }

  /** Pending transactions without their signed bytes (what following them needs). */
  pendingTxHeads(): Omit<TxRow, "raw">[] {
    return (this.#pendingTxHeads.all() as Row[]).map(toTxHead);
  }

  /** The signed bytes of a journalled transaction. */
  txRaw(hash: string): string | undefined {
    return (this.#txRaw.get(hash) as Row | undefined)?.raw as string | undefined;
  }

  /** How many journalled transactions are pending (without reading them). */
  pendingTxCount(): number {
    return Number((this.#pendingTxCount.get() as Row).n);
  }

  txsByNonce(nonce: number): TxRow[] {
    return (this.#db.prepare("SELECT * FROM txs WHERE nonce = ? ORDER BY sent_at").all(nonce) as Row[]).map(toTx);
  }

  getTx(hash: string): TxRow | undefined {
    const r = this.#db.prepare("SELECT * FROM txs WHERE hash = ?").get(hash) as Row | undefined;
    return r === undefined ? undefined : toTx(r);
  }

  setTxState(hashes: readonly string[], state: TxRow["state"]): void {
    const stmt = this.#db.prepare("UPDATE txs SET state = ? WHERE hash = ?");
    this.#tx(() => {
      for (const h of hashes) stmt.run(state, h);
    });
  }

  /** After a restart: transactions still carrying submitted jobs are followed again. */
  reviveTxsOfSubmittedJobs(): number {
    const r = this.#db
      .prepare(
        "UPDATE txs SET state = 'pending' WHERE state != 'pending' AND hash IN (SELECT tx_hash FROM jobs WHERE state = 'submitted')",
      )
      .run();
    return Number(r.changes);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
