/**
 * Signs batches of TEE results in a thread (worker/signer-thread.ts) so the event loop stays free
 * while hundreds of results are signed. The thread starts on first use and holds the process open
 * only while a batch is being signed; if it dies, the batches in it are rejected and the next batch
 * starts a new thread (callers fall back to signing in the main thread: nothing is lost).
 */
import { Worker as Thread } from "node:worker_threads";

/** The thread's script: beside this module, as TypeScript in the repository and JavaScript once built. */
const THREAD_SCRIPT = new URL(
  import.meta.url.endsWith(".ts") ? "./signer-thread.ts" : "./signer-thread.js",
  import.meta.url,
);

interface Pending {
  resolve(signatures: string[]): void;
  reject(err: Error): void;
}

export class SignerThread {
  readonly #key: string;
  readonly #prefix: Uint8Array;
  #thread: Thread | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  /** The current thread has loaded and said so. */
  #ready = false;

  /** `prefix`: 0x1901 ‖ the EIP-712 domain separator (34 bytes). */
  constructor(key: string, prefix: Uint8Array) {
    this.#key = key;
    this.#prefix = prefix;
  }

  /** Signatures (65-byte hex) over keccak256(prefix ‖ keccak256(struct)) for each `size`-byte struct. */
  sign(structs: Uint8Array, size: number): Promise<string[]> {
    if (this.#closed) return Promise.reject(new Error("the signing thread is closed"));
    const thread = this.#start();
    const id = this.#nextId++;
    return new Promise<string[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) thread.ref();
      thread.postMessage({ id, structs, size });
    });
  }

  /** Start the thread now (it loads its libraries, ~0.1–0.3 s) and resolve once it can sign. */
  async warm(): Promise<void> {
    if (this.#closed) return;
    const thread = this.#start();
    if (this.#ready) return;
    thread.ref();
    try {
      await new Promise<void>((resolve, reject) => {
        thread.once("message", () => resolve());
        thread.once("error", reject);
        thread.once("exit", (code) => reject(new Error(`signing thread exited (code ${code}) while starting`)));
      });
    } finally {
      if (this.#pending.size === 0) thread.unref();
    }
  }

  #start(): Thread {
    if (this.#thread !== undefined) return this.#thread;
    const thread = new Thread(THREAD_SCRIPT, { workerData: { key: this.#key, prefix: this.#prefix } });
    this.#ready = false;
    thread.unref();
    thread.on("message", (m: { ready?: true; id: number; signatures?: string[]; error?: string }) => {
      if (m.ready === true) {
        this.#ready = true;
        return;
      }
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) thread.unref();
      if (m.signatures !== undefined) p.resolve(m.signatures);
      else p.reject(new Error(`signing thread: ${m.error}`));
    });
    const fail = (err: Error) => {
      if (this.#thread === thread) this.#thread = undefined;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    thread.on("error", (err) => fail(new Error(`signing thread failed: ${err.message}`)));
    thread.on("exit", (code) => fail(new Error(`signing thread exited (code ${code})`)));
    this.#thread = thread;
    return thread;
  }

  /** Stop the thread; batches still in it are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    const thread = this.#thread;
    this.#thread = undefined;
    if (thread !== undefined) await thread.terminate();
  }
}
