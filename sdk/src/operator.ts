import type { VerityClient } from "./client.ts";
import {
  DevApprovedMeasurementAttestationVerifier__factory,
  IAttestationVerifier__factory,
  ITdxAttestationVerifier__factory,
} from "./generated/contracts/index.ts";
import { toRequest } from "./request.ts";
import { RequestStatus } from "./types.ts";

/** An enclave key an operator registered, and whether TEE results signed by it are accepted today. */
export interface EnclaveView {
  enclaveKey: string;
  measurement: string;
  /** Until when its attestation holds (Unix seconds; undefined: no expiry, as under the development verifier). */
  validUntil?: number;
  /** Its attestation expired: the operator must register the key again with a fresh report. */
  expired: boolean;
  /** Registered under the attestation verifier in force now (a replaced verifier retires every key). */
  currentVerifier: boolean;
  /** The attestation verifier still approves the measurement. */
  measurementApproved: boolean;
  active: boolean;
  equivocated: boolean;
  /** Results signed by this key are accepted now: active, current verifier, measurement approved, not expired. */
  accepted: boolean;
  registrationTx: string;
}

/** A request the operator accepted and has not yet delivered (its stake is locked for it). */
export interface AcceptedJob {
  requestId: bigint;
  modelId: string;
  deadline: number;
  fee: bigint;
}

/** Everything an operator needs to know about its standing, read from the chain. */
export interface OperatorStatus {
  operator: string;
  staked: bigint;
  /** Part of `staked` reserved for accepted requests: it cannot be unstaked until they settle. */
  locked: bigint;
  unbonding: bigint;
  unbondingEnd: number;
  jailed: boolean;
  eligible: boolean;
  minStake: bigint;
  unbondingPeriod: bigint;
  /** Coordinator balance: earnings (and anything deposited), withdrawable. */
  balance: bigint;
  enclaves: EnclaveView[];
  acceptedJobs: AcceptedJob[];
}

/** `Enclave.validUntil` of a registration that never expires (type(uint40).max). */
const NEVER = 2n ** 40n - 1n;

/** Reads an operator's stake, reserve, eligibility, enclaves and accepted jobs. */
export async function operatorStatus(client: VerityClient, operator: string): Promise<OperatorStatus> {
  const { staking, coordinator, tee } = client;
  const [s, locked, eligible, minStake, unbondingPeriod, balance, [verifierAddress, epoch], head] = await Promise.all([
    staking.stakeOf(operator),
    staking.lockedOf(operator),
    staking.isEligible(operator),
    staking.minStake(),
    staking.unbondingPeriod(),
    coordinator.balanceOf(operator),
    Promise.all([tee.attestationVerifier(), tee.attestationEpoch()]),
    client.provider.getBlock("latest"),
  ]);
  const now = head!.timestamp;
  const attestation = IAttestationVerifier__factory.connect(verifierAddress, client.runner);

  const registered = await client.queryLogs(tee, tee.filters.EnclaveRegistered(operator));
  const keys = [...new Map(registered.map((l) => [l.args.enclaveKey, l])).values()];
  const enclaves = await Promise.all(
    keys.map(async (log): Promise<EnclaveView> => {
      const e = await tee.getEnclave(log.args.enclaveKey);
      const currentVerifier = e.attestationEpoch === epoch;
      const measurementApproved = await attestation.isMeasurementApproved(e.measurement);
      const validUntil = e.validUntil === NEVER ? undefined : Number(e.validUntil);
      const expired = validUntil !== undefined && now >= validUntil;
      return {
        enclaveKey: log.args.enclaveKey,
        measurement: e.measurement,
        validUntil,
        expired,
        currentVerifier,
        measurementApproved,
        active: e.active,
        equivocated: e.equivocated,
        accepted: e.active && currentVerifier && measurementApproved && !expired && e.operator === operator,
        registrationTx: log.transactionHash,
      };
    }),
  );

  const accepted = await client.queryLogs(coordinator, coordinator.filters.RequestAccepted(undefined, operator));
  const ids = [...new Set(accepted.map((l) => l.args.requestId))];
  const statuses = await Promise.all(ids.map((id) => coordinator.requestStatus(id)));
  const open = ids.filter((_, i) => Number(statuses[i]) === RequestStatus.Accepted);
  // The requests themselves, from their InferenceRequested events: one paged query for all of them.
  const requested =
    open.length === 0
      ? []
      : // An array for an indexed argument is an OR over its values (one topic list).
        await client.queryLogs(coordinator, coordinator.filters.InferenceRequested(open as unknown as bigint));
  const acceptedJobs = requested.map((log): AcceptedJob => {
    const request = toRequest((log.args.request as unknown as { toObject(): Record<string, unknown> }).toObject());
    return {
      requestId: log.args.requestId,
      modelId: request.modelId,
      deadline: Number(request.deadline),
      fee: request.fee,
    };
  });

  return {
    operator,
    staked: s.staked,
    locked,
    unbonding: s.unbonding,
    unbondingEnd: Number(s.unbondingEnd),
    jailed: s.jailed,
    eligible,
    minStake,
    unbondingPeriod,
    balance,
    enclaves,
    acceptedJobs,
  };
}

/** What unstaking `amount` would do, before anything is sent. */
export interface UnstakePlan {
  /** False when the chain would refuse it (`reason` says why and what to do). */
  possible: boolean;
  reason?: string;
  /** Consequences the operator must accept first (empty: nothing to confirm). */
  costs: string[];
  /** Stake left active afterwards. */
  remaining: bigint;
}

/**
 * Checks an unstake against the operator's standing: refused above the free (unlocked) stake, and the
 * costs named when it drops the stake below the minimum or restarts the clock of stake already unbonding.
 * `format` renders token amounts (e.g. with the token's decimals and symbol).
 */
export function planUnstake(
  status: Pick<OperatorStatus, "staked" | "locked" | "unbonding" | "unbondingEnd" | "minStake" | "unbondingPeriod">,
  amount: bigint,
  format: (amount: bigint) => string = String,
  now = Math.floor(Date.now() / 1000),
): UnstakePlan {
  const free = status.staked - status.locked;
  const remaining = status.staked - amount;
  if (amount <= 0n) return { possible: false, reason: "the amount to unstake must be above 0.", costs: [], remaining };
  if (amount > free) {
    const why =
      status.locked > 0n
        ? `${format(status.locked)} of your ${format(status.staked)} stake is reserved for requests you accepted: deliver them (or let them settle) and try again, or unstake at most ${format(free)}.`
        : `you have ${format(status.staked)} staked: unstake at most that.`;
    return { possible: false, reason: `cannot unstake ${format(amount)}: ${why}`, costs: [], remaining };
  }
  const costs: string[] = [];
  if (remaining < status.minStake && status.staked >= status.minStake) {
    costs.push(
      `your stake drops to ${format(remaining)}, below the minimum ${format(status.minStake)}: you stop being eligible and are assigned no new requests (stake again to return).`,
    );
  }
  if (status.unbonding > 0n) {
    const until = new Date((now + Number(status.unbondingPeriod)) * 1000).toISOString();
    const was = status.unbondingEnd > now ? ` (instead of ${new Date(status.unbondingEnd * 1000).toISOString()})` : "";
    costs.push(
      `the ${format(status.unbonding)} already unbonding restarts its clock with this amount: all of it becomes withdrawable at ${until}${was}.`,
    );
  }
  return { possible: true, costs, remaining };
}

/** A measurement the TEE attestation verifier in force approves. */
export interface ApprovedMeasurement {
  measurement: string;
  /** Block of the latest approval. */
  approvedInBlock: number;
  approvalTx: string;
}

/** The TEE attestation verifier in force and the measurements it approves now. */
export interface MeasurementList {
  verifier: string;
  /** "tdx": Intel TDX DCAP quotes; "development": claimed measurements, local chains only. */
  kind: "tdx" | "development";
  measurements: ApprovedMeasurement[];
}

/** Lists the measurements the TeeVerifier's current attestation verifier approves (from its events, confirmed by a call). */
export async function approvedMeasurements(client: VerityClient): Promise<MeasurementList> {
  const verifier = await client.tee.attestationVerifier();
  const tdx = ITdxAttestationVerifier__factory.connect(verifier, client.runner);
  const dev = DevApprovedMeasurementAttestationVerifier__factory.connect(verifier, client.runner);
  const [tdxLogs, devLogs] = await Promise.all([
    client.queryLogs(tdx, tdx.filters.TdxMeasurementApprovalUpdated()),
    client.queryLogs(dev, dev.filters.MeasurementApprovalUpdated()),
  ]);
  const kind = tdxLogs.length > 0 ? "tdx" : devLogs.length > 0 ? "development" : await detectKind(client, verifier);
  const latest = new Map<string, { approved: boolean; block: number; tx: string }>();
  for (const l of [...tdxLogs, ...devLogs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)) {
    latest.set(l.args.measurement, { approved: l.args.approved, block: l.blockNumber, tx: l.transactionHash });
  }
  const attestation = IAttestationVerifier__factory.connect(verifier, client.runner);
  const candidates = [...latest].filter(([, v]) => v.approved);
  const still = await Promise.all(candidates.map(([m]) => attestation.isMeasurementApproved(m)));
  return {
    verifier,
    kind,
    measurements: candidates
      .filter((_, i) => still[i])
      .map(([measurement, v]) => ({ measurement, approvedInBlock: v.block, approvalTx: v.tx })),
  };
}

/** Tells the verifiers apart when neither has approved anything yet: only the TDX one has a TCB policy. */
async function detectKind(client: VerityClient, verifier: string): Promise<MeasurementList["kind"]> {
  try {
    await ITdxAttestationVerifier__factory.connect(verifier, client.runner).acceptedTcbStatuses();
    return "tdx";
  } catch {
    return "development";
  }
}
