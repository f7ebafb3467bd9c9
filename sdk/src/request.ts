import { AbiCoder, ZeroAddress, ZeroHash, hexlify, keccak256 } from "ethers";

import { InferenceCoordinatorAbi } from "./generated/abis.ts";
import { Mode, type Request, type RequestParams } from "./types.ts";

interface AbiParam {
  readonly name: string;
  readonly type: string;
  readonly components?: readonly AbiParam[];
}

const requestEvent = InferenceCoordinatorAbi.find(
  (item) => item.type === "event" && item.name === "InferenceRequested",
) as { inputs: readonly AbiParam[] } | undefined;
const requestFields = requestEvent?.inputs.find((i) => i.name === "request")?.components;
if (!requestFields)
  throw new Error("InferenceCoordinator's ABI has no InferenceRequested(request): regenerate the SDK");

/** ABI tuple type of the on-chain `Request` struct, read from the coordinator's ABI. */
export const REQUEST_TUPLE = `tuple(${requestFields.map((f) => `${f.type} ${f.name}`).join(",")})`;

/** Fields of the `Request` tuple in ABI order, with the kind of their 32-byte word. */
export const REQUEST_LAYOUT: readonly (readonly [keyof Request, "address" | "uint" | "bytes32" | "bool"])[] =
  requestFields.map((f) => {
    const kind = f.type === "address" || f.type === "bytes32" || f.type === "bool" ? f.type : "uint";
    if (kind === "uint" && !/^uint\d+$/.test(f.type)) throw new Error(`Request field ${f.name} has type ${f.type}`);
    return [f.name as keyof Request, kind] as const;
  });

const REQUEST_KEYS = REQUEST_LAYOUT.map(([key]) => key);

/** A request as JSON (uint fields as decimal strings), e.g. to store it. */
export function requestToJson(r: Request): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** The request `requestToJson` wrote. */
export function requestFromJson(s: string): Request {
  const o = JSON.parse(s) as Record<string, unknown>;
  for (const [key, kind] of REQUEST_LAYOUT) if (kind === "uint") o[key] = BigInt(o[key] as string);
  return o as unknown as Request;
}

/** Copies a decoded event struct (an ethers Result) into a plain `Request`. */
export function toRequest(value: Record<string, unknown>): Request {
  const out: Record<string, unknown> = {};
  for (const key of REQUEST_KEYS) {
    const v = value[key];
    if (v === undefined) throw new Error(`request is missing field "${key}"`);
    out[key] = v;
  }
  return out as unknown as Request;
}

/** The id the coordinator gives `request`: keccak256(abi.encode(request)). */
export function requestIdOf(request: Request): bigint {
  const encoded = AbiCoder.defaultAbiCoder().encode([REQUEST_TUPLE], [REQUEST_KEYS.map((k) => request[k])]);
  return BigInt(keccak256(encoded));
}

/** Full `RequestParams` with defaults: latest version, TEE, open to any operator, no callback. */
export function requestParams(p: Partial<RequestParams> & { modelId: string }): RequestParams {
  const given = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
  return {
    version: 0,
    mode: Mode.TEE,
    operator: ZeroAddress,
    callback: ZeroAddress,
    callbackGasLimit: 0,
    storeOutput: false,
    timeout: 3600,
    tip: 0n,
    maxFee: 0n,
    inputCommitment: ZeroHash,
    input: "0x",
    ...given,
  } as RequestParams;
}

/** Hex form of input bytes for a request. */
export function inputHex(input: string | Uint8Array): string {
  return typeof input === "string" ? input : hexlify(input);
}
