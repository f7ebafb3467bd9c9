/**
 * Job store on node:sqlite (WAL). One row per request id; every state change is committed before
 * the step it announces, so a crash leaves each job in a state it can resume from:
 *   seen → executing → attested → submitted → confirmed | skipped | failed | expired
 *   seen → awaiting-input → seen (private input received) | expired (deadline passed first)
 * plus the event cursor (block number + hash), the transactions sent, and the private inputs
 * received on the intake endpoint (table private_inputs: the only place they are kept, never in
 * `jobs`; deleted `intake.retainSec` after their job is final).
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

export const JOB_STATES = [
  "seen",
  "awaiting-input",
  "executing",
  "attested",
  "submitted",
  "confirmed",
  "skipped",
  "failed",
  "expired",
] as const;
export type JobState = (typeof JOB_STATES)[number];
export const FINAL_STATES: readonly JobState[] = ["confirmed", "skipped", "failed", "expired"];

export interface JobRow {
  requestId: string;
  state: JobState;
  modelId: string;
  weightsHash: string;
  request: string;
  inputHex: string;
  blockNumber: number;
  blockHash: string;
  blockTime: number;
  output: string | null;
  signature: string | null;
  txHash: string | null;
  error: string | null;
  attempts: number;
  earnings: string | null;
  seenAt: number;
  updatedAt: number;
  confirmedAt: number | null;
}

export interface NewJob {
  requestId: string;
  modelId: string;
  weightsHash: string;
  request: string;
  inputHex: string;
  blockNumber: number;
  blockHash: string;
  blockTime: number;
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
  signature TEXT,
  tx_hash TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  earnings TEXT,
  seen_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  confirmed_at INTEGER
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

function toJob(r: Row): JobRow {
  return {
    requestId: r.request_id as string,
    state: r.state as JobState,
    modelId: r.model_id as string,
    weightsHash: r.weights_hash as string,
    request: r.request as string,
    inputHex: r.input_hex as string,
    blockNumber: Number(r.block_number),
    blockHash: r.block_hash as string,
    blockTime: Number(r.block_time),
    output: (r.output as string | null) ?? null,
    signature: (r.signature as string | null) ?? null,
    txHash: (r.tx_hash as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    attempts: Number(r.attempts),
    earnings: (r.earnings as string | null) ?? null,
    seenAt: Number(r.seen_at),
    updatedAt: Number(r.updated_at),
    confirmedAt: r.confirmed_at === null || r.confirmed_at === undefined ? null : Number(r.confirmed_at),
  };
}

function toTx(r: Row): TxRow {
  return {
    hash: r.hash as string,
    nonce: Number(r.nonce),
    raw: r.raw as string,
    requestIds: JSON.parse(r.request_ids as string) as string[],
    state: r.state as TxRow["state"],
    sentAt: Number(r.sent_at),
    maxFeePerGas: r.max_fee as string,
    maxPriorityFeePerGas: r.max_priority_fee as string,
  };
}

export interface Transition {
  output?: string;
  signature?: string;
  txHash?: string;
  error?: string | null;
  earnings?: string;
  attempts?: number;
}

export class JobStore {
  readonly db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #get: StatementSync;
  readonly #byState: StatementSync;
  readonly #getInput: StatementSync;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
    this.db.exec(SCHEMA);
    this.#insert = this.db.prepare(
      `INSERT OR IGNORE INTO jobs (request_id, state, model_id, weights_hash, request, input_hex, block_number, block_hash, block_time, seen_at, updated_at)
       VALUES (?, 'seen', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#get = this.db.prepare("SELECT * FROM jobs WHERE request_id = ?");
    this.#byState = this.db.prepare("SELECT * FROM jobs WHERE state = ? ORDER BY block_number, request_id LIMIT ?");
    this.#getInput = this.db.prepare("SELECT * FROM private_inputs WHERE request_id = ?");
  }

  /** Run `fn` in one transaction (all or nothing). */
  tx<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
  }

  /** Insert jobs in state `seen`; returns the ids that were new. */
  insertSeen(jobs: readonly NewJob[], now = Date.now()): string[] {
    const added: string[] = [];
    this.tx(() => {
      for (const j of jobs) {
        const r = this.#insert.run(
          j.requestId,
          j.modelId,
          j.weightsHash,
          j.request,
          j.inputHex,
          j.blockNumber,
          j.blockHash,
          j.blockTime,
          now,
          now,
        );
        if (Number(r.changes) > 0) added.push(j.requestId);
      }
    });
    return added;
  }

  get(requestId: string): JobRow | undefined {
    const r = this.#get.get(requestId) as Row | undefined;
    return r === undefined ? undefined : toJob(r);
  }

  byState(state: JobState, limit = 1_000_000): JobRow[] {
    return (this.#byState.all(state, limit) as Row[]).map(toJob);
  }

  all(): JobRow[] {
    return (this.db.prepare("SELECT * FROM jobs ORDER BY block_number, request_id").all() as Row[]).map(toJob);
  }

  counts(): Record<JobState, number> {
    const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const r of this.db.prepare("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() as Row[]) {
      out[r.state as JobState] = Number(r.n);
    }
    return out;
  }

  /** Move jobs to `state`, writing the given fields (same fields for all ids) in one transaction. */
  transition(ids: readonly string[], state: JobState, fields: Transition = {}, now = Date.now()): void {
    this.transitionEach(
      ids.map((id) => ({ id, fields })),
      state,
      now,
    );
  }

  /** Move jobs to `state`, each with its own fields, in one transaction. */
  transitionEach(items: readonly { id: string; fields?: Transition }[], state: JobState, now = Date.now()): void {
    if (items.length === 0) return;
    const stmt = this.db.prepare(
      `UPDATE jobs SET state = ?, updated_at = ?,
         output = COALESCE(?, output), signature = COALESCE(?, signature), tx_hash = COALESCE(?, tx_hash),
         error = CASE WHEN ? THEN ? ELSE error END, earnings = COALESCE(?, earnings),
         attempts = COALESCE(?, attempts), confirmed_at = CASE WHEN ? = 'confirmed' THEN ? ELSE confirmed_at END
       WHERE request_id = ?`,
    );
    this.tx(() => {
      for (const { id, fields = {} } of items) {
        stmt.run(
          state,
          now,
          fields.output ?? null,
          fields.signature ?? null,
          fields.txHash ?? null,
          fields.error !== undefined ? 1 : 0,
          fields.error ?? null,
          fields.earnings ?? null,
          fields.attempts ?? null,
          state,
          now,
          id,
        );
      }
    });
  }

  /** Jobs first seen in blocks above `block`, not failed/expired. */
  jobsAfter(block: number): JobRow[] {
    return (this.db.prepare("SELECT * FROM jobs WHERE block_number > ? ORDER BY block_number").all(block) as Row[]).map(
      toJob,
    );
  }

  getCursor(): Cursor | undefined {
    const r = this.db.prepare("SELECT value FROM meta WHERE key = 'cursor'").get() as Row | undefined;
    return r === undefined ? undefined : (JSON.parse(r.value as string) as Cursor);
  }

  setCursor(c: Cursor): void {
    this.db
      .prepare(
        "INSERT INTO meta (key, value) VALUES ('cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(JSON.stringify(c));
  }

  getMeta(key: string): string | undefined {
    const r = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
    return r === undefined ? undefined : (r.value as string);
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(key, value);
  }

  /** Record a signed transaction and mark its jobs submitted, in one transaction, before it is broadcast. */
  recordSend(tx: Omit<TxRow, "state">, now = Date.now()): void {
    this.tx(() => {
      this.db
        .prepare(
          "INSERT OR REPLACE INTO txs (hash, nonce, raw, request_ids, state, sent_at, max_fee, max_priority_fee) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
        )
        .run(
          tx.hash,
          tx.nonce,
          tx.raw,
          JSON.stringify(tx.requestIds),
          tx.sentAt,
          tx.maxFeePerGas,
          tx.maxPriorityFeePerGas,
        );
      const stmt = this.db.prepare(
        "UPDATE jobs SET state = 'submitted', tx_hash = ?, updated_at = ? WHERE request_id = ?",
      );
      for (const id of tx.requestIds) stmt.run(tx.hash, now, id);
    });
  }

  /**
   * Store a private input (committed before the intake endpoint answers) and, in the same
   * transaction, move its job from awaiting-input back to seen. Returns whether a job was woken.
   */
  putPrivateInput(requestId: string, inputHex: string, salt: string, now = Date.now()): boolean {
    return this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO private_inputs (request_id, input_hex, salt, received_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(request_id) DO UPDATE SET input_hex = excluded.input_hex, salt = excluded.salt, received_at = excluded.received_at`,
        )
        .run(requestId, inputHex, salt, now);
      const r = this.db
        .prepare(
          "UPDATE jobs SET state = 'seen', error = NULL, updated_at = ? WHERE request_id = ? AND state = 'awaiting-input'",
        )
        .run(now, requestId);
      return Number(r.changes) > 0;
    });
  }

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

  /** Jobs in awaiting-input whose private input has arrived meanwhile → seen. Returns their ids. */
  wakeReceived(now = Date.now()): string[] {
    return this.tx(() => {
      const ids = (
        this.db
          .prepare(
            "SELECT j.request_id AS id FROM jobs j JOIN private_inputs p ON p.request_id = j.request_id WHERE j.state = 'awaiting-input'",
          )
          .all() as Row[]
      ).map((r) => r.id as string);
      const stmt = this.db.prepare(
        "UPDATE jobs SET state = 'seen', error = NULL, updated_at = ? WHERE request_id = ? AND state = 'awaiting-input'",
      );
      for (const id of ids) stmt.run(now, id);
      return ids;
    });
  }

  /** Delete private inputs whose job has been final for `retainMs`. Returns how many were deleted. */
  purgePrivateInputs(retainMs: number, now = Date.now()): number {
    const r = this.db
      .prepare(
        `DELETE FROM private_inputs WHERE request_id IN (
           SELECT request_id FROM jobs WHERE state IN ('confirmed', 'skipped', 'failed', 'expired') AND updated_at <= ?)`,
      )
      .run(now - retainMs);
    return Number(r.changes);
  }

  pendingTxs(): TxRow[] {
    return (this.db.prepare("SELECT * FROM txs WHERE state = 'pending' ORDER BY nonce, sent_at").all() as Row[]).map(
      toTx,
    );
  }

  txsByNonce(nonce: number): TxRow[] {
    return (this.db.prepare("SELECT * FROM txs WHERE nonce = ? ORDER BY sent_at").all(nonce) as Row[]).map(toTx);
  }

  setTxState(hashes: readonly string[], state: TxRow["state"]): void {
    const stmt = this.db.prepare("UPDATE txs SET state = ? WHERE hash = ?");
    this.tx(() => {
      for (const h of hashes) stmt.run(state, h);
    });
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
