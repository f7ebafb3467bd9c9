/**
 * Signs batches of TEE results in threads (worker/signer-thread.ts) so the event loop stays free
 * while hundreds of results are signed: a batch is split evenly over `threads` threads (config
 * `tee.signingThreads`). Threads start on `warm()` or first use and hold the process open only
 * while a batch is being signed. If one dies, the batches in it are rejected and the next batch
 * starts a new one (callers then sign in the main thread: nothing is lost).
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

/** One signing thread. */
class Slot {
  readonly #init: { key: string; prefix: Uint8Array };
  #thread: Thread | undefined;
  #ready: Promise<string> | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(key: string, prefix: Uint8Array) {
    this.#init = { key, prefix };
  }

  /** Start the thread if it is not running; resolves with its ECDSA backend once it has loaded. */
  start(): Promise<string> {
    if (this.#thread !== undefined) return this.#ready!;
    const thread = new Thread(THREAD_SCRIPT, { workerData: this.#init });
    this.#thread = thread;
    this.#ready = new Promise<string>((resolve, reject) => {
      thread.once("message", (m: { backend?: string }) => resolve(m.backend ?? "unknown"));
      thread.once("error", reject);
      thread.once("exit", (code) => reject(new Error(`signing thread exited (code ${code}) while starting`)));
    });
    this.#ready.catch(() => undefined);
    thread.on("message", (m: { ready?: true; id?: number; signatures?: string[]; error?: string }) => {
      if (m.id === undefined) return;
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
    return this.#ready;
  }

  sign(structs: Uint8Array, size: number): Promise<string[]> {
    void this.start();
    const thread = this.#thread!;
    const id = this.#nextId++;
    return new Promise<string[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      thread.ref();
      thread.postMessage({ id, structs, size });
    });
  }

  /** Let the process exit while the thread is idle (it is referenced while a batch is in it). */
  unrefIfIdle(): void {
    if (this.#pending.size === 0) this.#thread?.unref();
  }

  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    if (thread !== undefined) await thread.terminate();
  }
}

export class SignerPool {
  readonly #slots: Slot[];
  #closed = false;

  /** `prefix`: 0x1901 ‖ the EIP-712 domain separator (34 bytes); `threads`: how many signing threads. */
  constructor(key: string, prefix: Uint8Array, threads = 1) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`signing threads must be ≥ 1, got ${threads}`);
    this.#slots = Array.from({ length: threads }, () => new Slot(key, prefix));
  }

  /**
   * Signatures (65-byte hex) over keccak256(prefix ‖ keccak256(struct)) for each `size`-byte struct,
   * in order; the structs are split evenly over the threads.
   */
  async sign(structs: Uint8Array, size: number): Promise<string[]> {
    if (this.#closed) throw new Error("the signing thread is closed");
    if (!Number.isInteger(size) || size <= 0 || structs.length % size !== 0)
      throw new Error(`${structs.length} bytes are not a whole number of ${size}-byte structs`);
    const n = structs.length / size;
    const parts = n < 2 * this.#slots.length ? 1 : this.#slots.length;
    if (parts === 1) return this.#slots[0]!.sign(structs, size);
    const per = Math.ceil(n / parts);
    const results = await Promise.all(
      this.#slots.map((slot, i) =>
        slot.sign(structs.subarray(i * per * size, Math.min(n, (i + 1) * per) * size), size),
      ),
    );
    return results.flat();
  }

  /**
   * Start every thread now (each loads its libraries, ~0.1–0.3 s); resolves once all can sign, with
   * their ECDSA backend ("libsecp256k1 (native)" or "@noble/curves (JavaScript)").
   */
  async warm(): Promise<string> {
    if (this.#closed) throw new Error("the signing thread is closed");
    const backends = await Promise.all(this.#slots.map((s) => s.start()));
    for (const s of this.#slots) s.unrefIfIdle();
    return backends[0]!;
  }

  /** Stop the threads; batches still in them are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.close()));
  }
}
