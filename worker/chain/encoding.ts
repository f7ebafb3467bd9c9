/**
 * Hand-written encoders on the hot path, kept because they measure far faster than the generic
 * ones at the node's batch sizes (test/worker/encoding.test.ts checks them against ethers byte for
 * byte; bench:worker reports the time spent signing):
 *  - `encodeFulfillBatch`: calldata of `fulfillBatch(Request[], bytes[], bytes[])` by direct word
 *    layout, a few µs per result against ~1.2 ms per result for ethers' ABI encoder;
 *  - `signEip1559`: RLP of a type-2 transaction with Buffers, against ~0.7 s in
 *    `Wallet.signTransaction` for a 200-result batch (~160 kB of calldata); its two keccak256 over the
 *    whole transaction go through chain/keccak.ts (native, ~0.5 ms per 75 kB, against ~4 ms for
 *    ethers' bundled JavaScript copy).
 * Request fields come from the SDK's REQUEST_LAYOUT, so a field added to the struct flows through.
 */
import { getBytes, hexlify, type Wallet } from "ethers";

import { REQUEST_LAYOUT, type Request } from "@verity-ai/sdk";

import { coordinatorInterface } from "../events.ts";
import { keccakBytes } from "./keccak.ts";

const FULFILL_BATCH_SELECTOR = coordinatorInterface.getFunction("fulfillBatch")!.selector.slice(2);

function uintWord(v: bigint | number): string {
  const n = BigInt(v);
  const h = n.toString(16);
  if (n < 0n || h.length > 64) throw new RangeError(`value out of uint256 range: ${v}`);
  return h.padStart(64, "0");
}

function hexBody(v: string, what: string): string {
  const h = v.startsWith("0x") ? v.slice(2) : v;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new TypeError(`${what}: not hex bytes`);
  return h.toLowerCase();
}

/** ABI `bytes[]` tail (length, offsets, padded items). */
function encodeBytesArray(items: readonly string[]): string {
  const bodies = items.map((x) => hexBody(x, "bytes item"));
  const parts: string[] = [uintWord(bodies.length)];
  let offset = bodies.length * 32;
  for (const b of bodies) {
    parts.push(uintWord(offset));
    offset += 32 + Math.ceil(b.length / 64) * 32;
  }
  for (const b of bodies) parts.push(uintWord(b.length / 2), b.padEnd(Math.ceil(b.length / 64) * 64, "0"));
  return parts.join("");
}

/** Calldata of `fulfillBatch(Request[], bytes[] outputs, bytes[] proofs)`. */
export function encodeFulfillBatch(
  requests: readonly Request[],
  outputs: readonly string[],
  proofs: readonly string[],
): string {
  const reqParts: string[] = [uintWord(requests.length)];
  for (const r of requests) {
    for (const [key, kind] of REQUEST_LAYOUT) {
      const v = r[key];
      if (kind === "address") {
        const h = hexBody(v as string, key);
        if (h.length !== 40) throw new TypeError(`${key}: not an address`);
        reqParts.push("000000000000000000000000" + h);
      } else if (kind === "bytes32") {
        const h = hexBody(v as string, key);
        if (h.length !== 64) throw new TypeError(`${key}: not 32 bytes`);
        reqParts.push(h);
      } else if (kind === "bool") reqParts.push(uintWord(v ? 1 : 0));
      else reqParts.push(uintWord(v as bigint));
    }
  }
  const a = reqParts.join("");
  const b = encodeBytesArray(outputs);
  const c = encodeBytesArray(proofs);
  const head = uintWord(96) + uintWord(96 + a.length / 2) + uintWord(96 + a.length / 2 + b.length / 2);
  return "0x" + FULFILL_BATCH_SELECTOR + head + a + b + c;
}

// ------------------------------------------------------------------ EIP-1559 transactions

function rlpLength(len: number, offset: number): Buffer {
  if (len < 56) return Buffer.from([offset + len]);
  const hex = len.toString(16);
  const lenBytes = Buffer.from(hex.length % 2 ? "0" + hex : hex, "hex");
  return Buffer.concat([Buffer.from([offset + 55 + lenBytes.length]), lenBytes]);
}
function rlpBytes(b: Buffer): Buffer {
  if (b.length === 1 && b[0]! < 0x80) return b;
  return Buffer.concat([rlpLength(b.length, 0x80), b]);
}
function rlpUint(v: bigint | number): Buffer {
  const n = BigInt(v);
  if (n < 0n) throw new RangeError("rlp: negative integer");
  if (n === 0n) return Buffer.from([0x80]);
  const hex = n.toString(16);
  return rlpBytes(Buffer.from(hex.length % 2 ? "0" + hex : hex, "hex"));
}
function rlpList(items: Buffer[]): Buffer {
  const body = Buffer.concat(items);
  return Buffer.concat([rlpLength(body.length, 0xc0), body]);
}

export interface Eip1559Fields {
  chainId: bigint;
  nonce: number;
  to: string;
  data: string;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** Sign a type-2 transaction (value 0, empty access list): the raw bytes and the hash. */
export function signEip1559(wallet: Pick<Wallet, "signingKey">, f: Eip1559Fields): { raw: string; hash: string } {
  const fields = [
    rlpUint(f.chainId),
    rlpUint(f.nonce),
    rlpUint(f.maxPriorityFeePerGas),
    rlpUint(f.maxFeePerGas),
    rlpUint(f.gasLimit),
    rlpBytes(Buffer.from(getBytes(f.to))),
    rlpUint(0n),
    rlpBytes(Buffer.from(f.data.slice(2), "hex")),
    rlpList([]),
  ];
  const unsigned = Buffer.concat([Buffer.from([2]), rlpList(fields)]);
  const sig = wallet.signingKey.sign(keccakBytes(unsigned));
  const signed = Buffer.concat([
    Buffer.from([2]),
    rlpList([...fields, rlpUint(sig.yParity), rlpUint(BigInt(sig.r)), rlpUint(BigInt(sig.s))]),
  ]);
  return { raw: "0x" + signed.toString("hex"), hash: hexlify(keccakBytes(signed)) };
}
