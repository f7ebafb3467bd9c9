/**
 * The protocol's value types, derived from the contracts' generated bindings so they cannot drift:
 * `Request`, `ResultClaim` and `RequestParams` are the Solidity structs of libraries/VerityTypes.sol.
 */
import type {
  RequestParamsStruct,
  RequestStructOutput,
  InferenceResultStructOutput,
} from "./generated/contracts/InferenceCoordinator.ts";
import type { ResultClaimStructOutput } from "./generated/contracts/IGroth16ResultVerifier.ts";

/** The named fields of an ethers struct result (which is also a tuple). */
type Fields<T> = { -readonly [K in keyof T as K extends keyof unknown[] | `${number}` ? never : K]: T[K] };

/** Verification modes, as numbered on-chain (`MODE_*` in VerityTypes.sol). */
export const Mode = { TEE: 1, ZK: 2, OPTIMISTIC: 3 } as const;
export type ModeName = keyof typeof Mode;

/** `RequestStatus` on-chain, by name and by number. */
export const RequestStatus = { None: 0, Open: 1, Fulfilled: 2, Refunded: 3, Accepted: 4 } as const;
export type StatusName = keyof typeof RequestStatus;
export const STATUS_NAMES = Object.keys(RequestStatus) as readonly StatusName[];

/** The name of an on-chain status number. */
export function statusName(status: bigint | number): StatusName {
  const name = STATUS_NAMES[Number(status)];
  if (name === undefined) throw new RangeError(`unknown request status ${status}`);
  return name;
}

/** Whether a status is final: the request was fulfilled or refunded and can change no more. */
export function isSettled(status: bigint | number): boolean {
  const s = Number(status);
  return s === RequestStatus.Fulfilled || s === RequestStatus.Refunded;
}

/** Whether a status is open: it may still be fulfilled (or refunded after its deadline). */
export function isPending(status: bigint | number): boolean {
  const s = Number(status);
  return s === RequestStatus.Open || s === RequestStatus.Accepted;
}

/** The name of a mode number ("TEE", "ZK", "OPTIMISTIC"), or `mode <n>` for an unknown one. */
export function modeName(mode: bigint | number): string {
  return (Object.keys(Mode) as ModeName[]).find((k) => Mode[k] === Number(mode)) ?? `mode ${mode}`;
}

/** The request as pinned on-chain; `requestId = keccak256(abi.encode(request))`. */
export type Request = Fields<RequestStructOutput>;

/** What a verifier checks: `ResultClaim` on-chain. */
export type ResultClaim = Fields<ResultClaimStructOutput>;

/** A stored result: `InferenceResult` on-chain. */
export type InferenceResult = Fields<InferenceResultStructOutput>;

/** Parameters of `requestInference` (`RequestParams` on-chain); `requestParams` fills in defaults. */
export type RequestParams = Omit<RequestParamsStruct, "modelId"> & { modelId: string };
