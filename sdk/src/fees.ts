/**
 * The money rules the coordinator applies, once for TypeScript (the contract is the authority:
 * `InferenceCoordinator.requestInference` pins the split, `_deliver` applies the callback-gas rule).
 */
import type { Request } from "./types.ts";

/** Basis points in a whole. */
export const BPS = 10_000n;

/** Gas `_deliver` keeps for itself beyond a callback's limit (`CALLBACK_RESERVE_GAS`). */
export const CALLBACK_RESERVE_GAS = 15_000n;

/** How the coordinator splits `price + tip` at request time. */
export interface FeeSplit {
  fee: bigint;
  protocolFee: bigint;
  royalty: bigint;
  /** What the operator earns: fee − protocolFee − royalty. */
  operatorShare: bigint;
}

/**
 * The split `requestInference` pins: the protocol fee on the whole fee, the royalty on the price
 * only, capped to what the protocol fee leaves.
 */
export function splitFee(price: bigint, tip: bigint, royaltyBps: bigint, protocolFeeBps: bigint): FeeSplit {
  const fee = price + tip;
  const protocolFee = (fee * protocolFeeBps) / BPS;
  let royalty = (price * royaltyBps) / BPS;
  if (royalty > fee - protocolFee) royalty = fee - protocolFee;
  return { fee, protocolFee, royalty, operatorShare: fee - protocolFee - royalty };
}

/** What the operator that fulfils `request` is paid: its pinned fee less royalty and protocol fee. */
export function operatorShare(request: Pick<Request, "fee" | "royalty" | "protocolFee">): bigint {
  return request.fee - request.royalty - request.protocolFee;
}

/**
 * Gas a fulfil must still have when it reaches a request's callback: the limit, the 1/64 that
 * EIP-150 withholds from a call (limit/63 on top), and the coordinator's reserve. Zero without a callback.
 */
export function callbackGasBudget(request: Pick<Request, "callback" | "callbackGasLimit">): bigint {
  if (BigInt(request.callback) === 0n) return 0n;
  const limit = BigInt(request.callbackGasLimit);
  return limit + limit / 63n + CALLBACK_RESERVE_GAS;
}
