import { AbiCoder, ZeroAddress, ZeroHash, hexlify, keccak256 } from "ethers";

import type { Request, RequestParams } from "./types.ts";

/** ABI tuple type of the on-chain `Request` struct, field order as in VerityTypes.sol. */
export const REQUEST_TUPLE =
  "tuple(address requester,uint64 nonce,uint64 deadline,bytes32 modelId,uint32 version,bytes32 weightsHash," +
  "bytes32 inputHash,uint8 mode,address operator,address callback,uint32 callbackGasLimit,bool storeOutput," +
  "uint96 fee,uint96 royalty,uint96 protocolFee)";

/** Fields of the `Request` tuple in ABI order, with the kind of their 32-byte word. */
export const REQUEST_LAYOUT: readonly (readonly [keyof Request, "address" | "uint" | "bytes32" | "bool"])[] = [
  ["requester", "address"],
  ["nonce", "uint"],
  ["deadline", "uint"],
  ["modelId", "bytes32"],
  ["version", "uint"],
  ["weightsHash", "bytes32"],
  ["inputHash", "bytes32"],
  ["mode", "uint"],
  ["operator", "address"],
  ["callback", "address"],
  ["callbackGasLimit", "uint"],
  ["storeOutput", "bool"],
  ["fee", "uint"],
  ["royalty", "uint"],
  ["protocolFee", "uint"],
];

const REQUEST_KEYS = REQUEST_LAYOUT.map(([key]) => key);

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
    mode: 1,
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
