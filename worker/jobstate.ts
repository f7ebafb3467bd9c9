/**
 * The job state machine, declared once. Every state a job can be in and every move between states
 * is listed here; the job store (worker/store.ts) refuses any move that is not, so a stage that
 * tries an illegal transition fails loudly instead of corrupting a job.
 *
 *   seen ──▶ executing ──▶ attested ──▶ submitted ──▶ confirmed
 *    │ ▲         │  (ZK: proof      ▲  │    │  (replacement: submitted → submitted)
 *    ▼ │         │   comes back)    └──┘    ▼
 *   awaiting-input  (resume: executing → seen)    skipped | failed | expired
 *
 * - seen: the request is known (event scanned), nothing done yet.
 * - awaiting-input: a private-input request whose input has not reached the intake yet.
 * - executing: the model is running (or the ZK prover is queued); a restart moves it back to seen.
 * - attested: output and proof (TEE signature or ZK proof) made; waiting to be sent.
 * - submitted: in a signed transaction written to the journal before broadcast.
 * - confirmed: our fulfilment's receipt is final by the node's rule (`confirmations` blocks on top).
 * - skipped / failed / expired: final, with a reason.
 * A chain reorg can re-open confirmed and skipped jobs (→ attested or seen) or fail them
 * (reorged-out: the request itself is gone).
 */
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

/** States a job leaves only through a reorg (confirmed, skipped) or never (failed, expired). */
export const FINAL_STATES: readonly JobState[] = ["confirmed", "skipped", "failed", "expired"];

/** The states a job may move to from each state. */
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  seen: ["awaiting-input", "executing", "skipped", "failed", "expired"],
  "awaiting-input": ["seen", "skipped", "failed", "expired"],
  executing: ["attested", "seen", "skipped", "failed", "expired"],
  // attested → attested: a failed simulation counted as an attempt, retried next pass.
  attested: ["attested", "submitted", "skipped", "failed", "expired"],
  // submitted → submitted: a replacement transaction (same nonce, bumped fees) carries the job now.
  submitted: ["submitted", "attested", "confirmed", "skipped", "failed", "expired"],
  // Reorgs only: open again on-chain (→ attested / seen), or the request is gone (→ failed).
  confirmed: ["attested", "seen", "failed"],
  skipped: ["attested", "seen", "failed"],
  failed: [],
  expired: [],
};

/** The states from which `to` can be reached. */
export function sourcesOf(to: JobState): JobState[] {
  return JOB_STATES.filter((from) => TRANSITIONS[from].includes(to));
}

export function canMove(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Thrown when a stage asks the store for a move the state machine does not allow. */
export class IllegalTransitionError extends Error {
  readonly requestId: string;
  readonly from: JobState | undefined;
  readonly to: JobState;
  constructor(requestId: string, from: JobState | undefined, to: JobState, transition: string) {
    super(
      from === undefined
        ? `${transition}: job ${requestId} is not in the store, so it cannot move to ${to}: this is a bug in the stage that asked`
        : `${transition}: job ${requestId} cannot move from ${from} to ${to} (allowed from ${from}: ${TRANSITIONS[from].join(", ") || "none"}): this is a bug in the stage that asked`,
    );
    this.name = "IllegalTransitionError";
    this.requestId = requestId;
    this.from = from;
    this.to = to;
  }
}
