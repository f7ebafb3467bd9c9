/**
 * What `GET /jobs/<requestId>` answers: a job's state, and for a job that is not going ahead the
 * machine reason (the store's `reason` code) and a sentence for the requester naming what happened
 * and what to do.
 */
import type { Job } from "./store.ts";
import { FINAL_STATES } from "./jobstate.ts";

export interface JobStatus {
  requestId: string;
  state: Job["state"];
  /** True when this node will do nothing more for the request (short of a reorg). */
  final: boolean;
  /** The store's reason code (bad-input, model-hash-mismatch, fee-below-minimum, expired, ...), or null. */
  reason: string | null;
  /** One sentence for people: what the node is doing, or why it stopped and the fix. */
  message: string;
  /** The node's detail behind the reason (sizes, hashes, fees), or null. */
  detail: string | null;
  /** The fulfilment transaction, once sent. */
  txHash: string | null;
  /** Unix seconds of the last change. */
  updatedAt: number;
}

const PROGRESS: Record<string, string> = {
  seen: "the operator has seen the request and will run it",
  "awaiting-input": "the operator is waiting for the private input: POST it to this intake's /intake/<requestId>",
  executing: "the operator is running the model",
  attested: "the result is computed and about to be sent on-chain",
  submitted: "the result is in a transaction on its way on-chain",
  confirmed: "the result is on-chain and confirmed",
};

/** A sentence per reason code: what went wrong, and what the requester can do. */
const WHY: Record<string, string> = {
  "bad-input":
    "the input does not fit the model's input encoding; refund the request and send one encoded as the model's manifest says",
  "input-too-large": "the input is larger than this operator takes; refund the request and send a smaller input",
  "commitment-mismatch":
    "the private input does not open the request's commitment; check the salt and the exact input bytes",
  "input-hash-mismatch":
    "the private input does not open the request's commitment; check the salt and the exact input bytes",
  "unknown-model": "this operator does not hold the model; choose an operator that serves it, or refund the request",
  "model-hash-mismatch":
    "the model file published for this version does not hash to its weights hash, so the operator refused it; the model owner must publish the right file; refund the request",
  "model-manifest-mismatch":
    "the manifest published beside the model file does not match the registry's version, so the operator refused it; the model owner must fix it; refund the request",
  "model-too-large":
    "the model file is larger than this operator fetches; refund the request or ask the operator to raise models.maxBytes",
  "model-http-status":
    "the operator could not download the model file from its uri; the model owner must publish it there; refund the request",
  "model-unreachable": "the operator could not reach the model file's uri; refund the request or retry later",
  "model-timeout": "downloading the model file took too long; refund the request or retry later",
  "model-bad-uri":
    "the version's uri cannot be fetched by this operator; the model owner must publish an https:// or ipfs:// uri",
  "model-unpublished": "the model is not published on the registry this operator reads; check the model id",
  "model-not-served":
    "this operator does not serve this model (its policy); choose another operator, or refund the request",
  "fee-below-minimum":
    "the fee is below this operator's minimum for the model; send a request with a higher fee, or choose another operator",
  expired:
    "the deadline passed (or is too close to finish in time) before the result could be posted; refund the request and send one with a longer timeout",
  "assigned-to-other": "the request names another operator; that operator serves it",
  "already-fulfilled": "another operator posted the result first; read it from the coordinator",
  "mode-unsupported": "this operator does not serve that verification mode; choose one that does",
  "zk-unsupported":
    "this operator has no ZK circuit for the model; send the request in TEE mode or to an operator with the circuit",
  "zk-needs-private-input": "ZK requests take their input privately; send the request with a private input",
  "proving-failed": "the ZK proof could not be made; refund the request",
  "proof-mismatch": "the ZK proof did not verify; refund the request",
  "simulation-reverted": "posting the result would revert on-chain; refund the request when its deadline has passed",
  "reorged-out": "the request vanished in a chain reorganisation; check that it is still on-chain",
  reopened: "a chain reorganisation re-opened the request; the operator serves it again",
  "unknown-request": "the coordinator does not know the request; check the id",
};

export function jobStatus(job: Job): JobStatus {
  const final = (FINAL_STATES as readonly string[]).includes(job.state);
  const detail =
    job.error !== null && job.reason !== null && job.error.startsWith(`${job.reason}: `)
      ? job.error.slice(job.reason.length + 2)
      : job.error;
  let message: string;
  if (job.state === "confirmed" || !final) {
    message = PROGRESS[job.state] ?? job.state;
    if (job.reason === "awaiting-input" && job.state === "seen") message = PROGRESS["awaiting-input"]!;
  } else {
    const why = job.reason !== null ? WHY[job.reason] : undefined;
    message = `${job.state}: ${why ?? detail ?? "no reason recorded"}`;
  }
  return {
    requestId: job.requestId,
    state: job.state,
    final,
    reason: job.state === "confirmed" ? null : job.reason,
    message,
    detail: job.state === "confirmed" ? null : detail,
    txHash: job.txHash,
    updatedAt: job.updatedAt,
  };
}
