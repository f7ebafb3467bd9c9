/**
 * Result-signing thread (worker_threads): holds the enclave key and signs TEE results for the main
 * thread (worker/signer.ts). Hashing and ECDSA signing are ~0.3–0.5 ms of CPU per result, the node's
 * largest cost at a high request rate; here they run beside the event loop, which meanwhile handles
 * RPC answers, receipts and the intake.
 *
 * workerData: { key: hex private key, prefix: 0x1901 ‖ domain separator (34 bytes) }
 * Messages in:  { id, structs: Uint8Array } — n EIP-712 struct encodings of `size` bytes each
 *               (type hash ‖ field words), n = structs.length / size, and { size }
 * Messages out: { ready: true } once loaded | { id, signatures: string[] } — 65-byte r‖s‖v hex, in order
 *               | { id, error: string }
 */
import { parentPort, workerData } from "node:worker_threads";

import { SigningKey, getBytes, keccak256 } from "ethers";

interface Init {
  key: string;
  prefix: Uint8Array;
}
interface Job {
  id: number;
  structs: Uint8Array;
  size: number;
}

const init = workerData as Init;
const key = new SigningKey(init.key);
const message = new Uint8Array(66);
message.set(init.prefix, 0);
const port = parentPort!;
port.postMessage({ ready: true });

port.on("message", (job: Job) => {
  try {
    const n = job.structs.length / job.size;
    if (!Number.isInteger(n))
      throw new Error(`${job.structs.length} bytes are not a whole number of ${job.size}-byte structs`);
    const signatures: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      message.set(getBytes(keccak256(job.structs.subarray(i * job.size, (i + 1) * job.size))), 34);
      signatures[i] = key.sign(keccak256(message)).serialized;
    }
    port.postMessage({ id: job.id, signatures });
  } catch (err) {
    port.postMessage({ id: job.id, error: (err as Error).message });
  }
});
