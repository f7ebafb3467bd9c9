/**
 * Result-signing thread (worker_threads): holds the enclave key and signs TEE results for the main
 * thread (worker/signer.ts). Hashing and ECDSA signing are the node's largest CPU cost at a high
 * request rate; here they run beside the event loop, which meanwhile handles RPC answers, receipts
 * and the intake.
 *
 * ECDSA: libsecp256k1 through the `secp256k1` package's native binding when it loads (an optional
 * dependency with prebuilt binaries; ~0.06 ms per signature), else ethers' SigningKey (@noble/curves,
 * ~0.3–0.5 ms). Both are RFC 6979 deterministic: the same key and digest give the same bytes
 * (test/worker/unit/signer.test.ts compares them with the main thread's).
 *
 * workerData: { key: hex private key, prefix: 0x1901 ‖ domain separator (34 bytes) }
 * Messages in:  { id, structs: Uint8Array, size } — structs.length / size EIP-712 struct encodings
 *               (type hash ‖ field words) of `size` bytes each
 * Messages out: { ready: true, backend } once loaded | { id, signatures: string[] } — 65-byte r‖s‖v
 *               hex, in order | { id, error: string }
 */
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

import { SigningKey, getBytes } from "ethers";

import { keccakBytes } from "./chain/keccak.ts";

interface Init {
  key: string;
  prefix: Uint8Array;
}
interface Job {
  id: number;
  structs: Uint8Array;
  size: number;
}
interface NativeSecp256k1 {
  ecdsaSign(digest: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
}

const init = workerData as Init;
const message = new Uint8Array(66);
message.set(init.prefix, 0);
const port = parentPort!;

/** r‖s‖v (v = 27 + recovery id) hex of a digest, by the fastest backend available. */
function signer(): { backend: string; sign(digest: Uint8Array): string } {
  const keyBytes = getBytes(init.key);
  try {
    // The binding alone: the package's main entry would fall back to a JavaScript copy silently.
    const native = createRequire(import.meta.url)("secp256k1/bindings") as NativeSecp256k1;
    const V = ["1b", "1c"];
    return {
      backend: "libsecp256k1 (native)",
      sign(digest) {
        const { signature, recid } = native.ecdsaSign(digest, keyBytes);
        if (recid > 1) throw new Error(`recovery id ${recid} cannot be expressed as v = 27 or 28`);
        return "0x" + Buffer.from(signature).toString("hex") + V[recid]!;
      },
    };
  } catch {
    const key = new SigningKey(init.key);
    return { backend: "@noble/curves (JavaScript)", sign: (digest) => key.sign(digest).serialized };
  }
}

const { backend, sign } = signer();
port.postMessage({ ready: true, backend });

port.on("message", (job: Job) => {
  try {
    const n = job.structs.length / job.size;
    if (!Number.isInteger(n))
      throw new Error(`${job.structs.length} bytes are not a whole number of ${job.size}-byte structs`);
    const signatures: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      message.set(keccakBytes(job.structs.subarray(i * job.size, (i + 1) * job.size)), 34);
      signatures[i] = sign(keccakBytes(message));
    }
    port.postMessage({ id: job.id, signatures });
  } catch (err) {
    port.postMessage({ id: job.id, error: (err as Error).message });
  }
});
