/**
 * Private inputs: only a commitment goes on-chain; the input and its salt travel off-chain to the
 * serving operator's intake endpoint, which checks them against the on-chain commitment.
 *
 * Commitments by mode:
 * - TEE, a model whose manifest declares a field record (`input.fields`): the root of the per-field
 *   Merkle tree, exactly as a ZK request for the same record and salt (fields/record.ts), so a TEE
 *   result can be disclosed field by field and checked by FieldDisclosureVerifier like a ZK one.
 * - TEE, a model with no field record (raw tensors: audio frames, un-named inputs):
 *   keccak256(abi.encode(bytes input, bytes32 salt)) over the model-encoded input bytes.
 * - ZK (the model's circuit descriptor given; `bundledCircuit(weightsHash)` for a bundled model): the
 *   root of the per-field Merkle tree over the record's fixed-point integers, field i salted with
 *   Poseidon(zkSalt(salt), i) (fields/record.ts).
 */
import { AbiCoder, getAddress, getBytes, hexlify, isAddress, keccak256, randomBytes, zeroPadValue } from "ethers";
import type { BytesLike } from "ethers";

import { Mode } from "./types.ts";
import { recordCommitment, zkSalt, type RecordSpec } from "./fields/record.ts";

export { zkSalt };

/** A random 32-byte salt (hex). For ZK it is reduced into the field by `zkSalt`. */
export function newSalt(): string {
  return hexlify(randomBytes(32));
}

/** TEE commitment to private input bytes of a model with no field record (raw tensors). */
export function teeCommitment(input: BytesLike, salt: BytesLike): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes", "bytes32"], [getBytes(input), zeroPadValue(salt, 32)]));
}

/**
 * The commitment a private TEE request carries: the field-tree root when the model has a field record
 * (`record` from recordSpecFromManifest), else keccak256(abi.encode(input, salt)). Throws a
 * RangeError when `input` is not a valid record (wrong length, a field outside its range).
 */
export function teeRecordCommitment(input: BytesLike, salt: BytesLike, record: RecordSpec | undefined): string {
  return record === undefined ? teeCommitment(input, salt) : recordCommitment(record, input, salt);
}

/**
 * The commitment a request in `mode` carries for `input` (model-encoded bytes) and `salt`. `record`
 * is the model's record layout: in ZK mode its circuit descriptor (circuits/<name>/descriptor.json);
 * in TEE mode recordSpecFromManifest(manifest), undefined for a model with no field record.
 */
export async function commitmentFor(
  mode: number,
  input: BytesLike,
  salt: BytesLike,
  record?: RecordSpec,
): Promise<string> {
  if (mode === Mode.TEE) return teeRecordCommitment(input, salt, record);
  if (mode === Mode.ZK && record !== undefined) return recordCommitment(record, input, salt);
  if (mode === Mode.ZK)
    throw new Error(
      "a ZK commitment needs the model's circuit descriptor: pass bundledCircuit(weightsHash) for a bundled model, " +
        "or the circuit's descriptor.json from npm run zk:setup",
    );
  throw new Error(`mode ${mode} has no private-input commitment: use 1 (TEE) or 2 (ZK)`);
}

/** Does (input, salt) open `commitment` for a request in `mode`? False for any other input or salt. */
export async function checkPrivateDisclosure(
  mode: number,
  commitment: string,
  input: BytesLike,
  salt: BytesLike,
  record?: RecordSpec,
): Promise<boolean> {
  try {
    return (await commitmentFor(mode, input, salt, record)).toLowerCase() === commitment.toLowerCase();
  } catch {
    return false;
  }
}

export class IntakeError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = "IntakeError";
  }
}

/**
 * Sends a private input to an operator's intake endpoint (`<operatorUrl>/intake/<requestId>`),
 * which accepts it only if it opens the request's on-chain commitment.
 */
export async function sendPrivateInput(
  operatorUrl: string,
  requestId: bigint,
  input: BytesLike,
  salt: BytesLike,
): Promise<void> {
  const url = `${operatorUrl.replace(/\/$/, "")}/intake/0x${requestId.toString(16).padStart(64, "0")}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: hexlify(input), salt: zeroPadValue(salt, 32) }),
    });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new IntakeError(0, `cannot reach the operator's intake at ${url} (${cause}): check the operator URL`);
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: string };
      if (body.error) message = body.error;
    } catch {
      // not JSON
    }
    throw new IntakeError(res.status, `operator intake refused the input for request ${requestId}: ${message}`);
  }
}

/**
 * The operator address a worker serves as, from its `/healthz` (the intake's HTTP port): what a ZK
 * request must name when its input goes to that worker.
 */
export async function operatorAt(operatorUrl: string): Promise<string> {
  const url = `${operatorUrl.replace(/\/$/, "")}/healthz`;
  let body: { operator?: unknown };
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    body = (await res.json()) as { operator?: unknown };
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new IntakeError(0, `cannot read the operator from ${url} (${cause}): check the operator URL`);
  }
  if (typeof body.operator !== "string" || !isAddress(body.operator))
    throw new IntakeError(0, `${url} names no operator address: is this a Verity worker?`);
  return getAddress(body.operator);
}

/** An operator's view of one job (`GET <operatorUrl>/jobs/<requestId>` on its intake). */
export interface OperatorJobStatus {
  requestId: string;
  /** seen, awaiting-input, executing, attested, submitted, confirmed, skipped, failed, expired. */
  state: string;
  /** True when the operator will do nothing more for the request. */
  final: boolean;
  /** Machine reason (bad-input, model-hash-mismatch, fee-below-minimum, expired, ...), or null. */
  reason: string | null;
  /** One sentence: what the operator is doing, or why it stopped and the fix. */
  message: string;
  /** The operator's detail behind the reason, or null. */
  detail: string | null;
  txHash: string | null;
  updatedAt: number;
}

/**
 * The operator's status of a request's job, from its intake (`<operatorUrl>/jobs/<requestId>`);
 * undefined when the operator has not seen the request (404). Throws IntakeError when the intake
 * cannot be reached or answers something else.
 */
export async function jobStatusAt(operatorUrl: string, requestId: bigint): Promise<OperatorJobStatus | undefined> {
  const url = `${operatorUrl.replace(/\/$/, "")}/jobs/0x${requestId.toString(16).padStart(64, "0")}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new IntakeError(0, `cannot reach the operator's intake at ${url} (${cause}): check the operator URL`);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const status = body as Partial<OperatorJobStatus> & { error?: string };
  if (!res.ok || typeof status?.state !== "string" || typeof status.message !== "string")
    throw new IntakeError(
      res.status,
      `${url} answered ${res.status} ${status?.error ?? "without a job status"}: is this a Verity worker's intake (its intake.port)?`,
    );
  return status as OperatorJobStatus;
}
