/**
 * keccak256 of large byte strings (whole fulfil transactions, ~75 kB for 100 results): the `keccak`
 * package's native binding when it loads (an optional dependency with prebuilt binaries, ~0.5 ms per
 * 75 kB), else @noble/hashes (~2–6 ms). Both give the same digest (test/worker/unit/encoding.test.ts).
 */
import { createRequire } from "node:module";

import { keccak_256 } from "@noble/hashes/sha3.js";

type NativeKeccak = (algorithm: "keccak256") => { update(data: Uint8Array): { digest(): Buffer } };

function load(): { backend: string; hash(data: Uint8Array): Uint8Array } {
  try {
    // The binding alone: the package's main entry would fall back to a JavaScript copy silently.
    const create = createRequire(import.meta.url)("keccak/bindings") as NativeKeccak;
    // The binding takes Buffers only: a view of the same memory, no copy.
    const asBuffer = (d: Uint8Array) => (Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    return { backend: "native", hash: (data) => create("keccak256").update(asBuffer(data)).digest() };
  } catch {
    return { backend: "@noble/hashes", hash: (data) => keccak_256(data) };
  }
}

const impl = load();

/** Which implementation hashes: "native" or "@noble/hashes". */
export const KECCAK_BACKEND = impl.backend;

/** keccak256 of `data` (32 bytes). */
export function keccakBytes(data: Uint8Array): Uint8Array {
  return impl.hash(data);
}
