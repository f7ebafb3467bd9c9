/**
 * The chain-transaction layer: signing, nonces, fees, broadcast, replacement and the journal. It
 * knows nothing of the protocol: a payload is calldata, a gas limit and opaque tags (the node's
 * request ids), and the journal is whatever the caller provides (the job store, which marks the
 * tagged jobs submitted in the same database transaction).
 *
 *  - one nonce counter for the key, read from the chain whenever nothing is in flight;
 *  - each signed transaction is journaled BEFORE it is broadcast;
 *  - a broadcast the RPC refused is dropped (its tags come back to the caller); a broadcast whose
 *    reply was lost stays pending and is looked up by hash: it may well have been mined;
 *  - `follow` reports receipts that are final (`confirmations` blocks on top), replaces
 *    transactions stuck longer than `stuckAfterMs` with bumped fees (same nonce), rebroadcasts
 *    ones the node forgot, and drops ones whose nonce another transaction used.
 */
import type { Wallet } from "ethers";
import type { Logger } from "pino";

import { signEip1559 } from "./encoding.ts";
import { RpcRejectedError, shortError, type Rpc } from "./rpc.ts";

export interface JournalTx {
  hash: string;
  nonce: number;
  raw: string;
  /** Opaque to this layer: the request ids the transaction carries. */
  requestIds: string[];
  sentAt: number;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
}

export type JournalState = "pending" | "mined" | "replaced" | "dropped";

/** A journalled transaction without its signed bytes (read on every pass; the bytes only when resent). */
export type JournalEntry = Omit<JournalTx, "raw">;

/** Where signed transactions are written before they are broadcast. */
export interface Journal {
  /** Write signed transactions (one durable write for all) before any of them is broadcast. */
  record(txs: readonly JournalTx[]): void;
  /** Pending transactions without their signed bytes, by nonce then time. */
  pending(): (JournalEntry & { state: JournalState })[];
  /** The signed bytes of a journalled transaction. */
  raw(hash: string): string | undefined;
  /** How many are pending (without reading them). */
  pendingCount(): number;
  setState(hashes: readonly string[], state: JournalState): void;
}

export interface Payload {
  to: string;
  data: string;
  gasLimit: bigint;
  requestIds: string[];
}

export interface FeeSettings {
  bumpPercent: number;
  stuckAfterMs: number;
}

/** The receipt fields the node reads (from eth_getTransactionReceipt, numbers converted). */
export interface Receipt {
  transactionHash: string;
  blockNumber: number;
  blockHash: string;
  status: number;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  logs: { address: string; topics: string[]; data: string }[];
}

interface RawReceipt {
  transactionHash: string;
  blockNumber: string;
  blockHash: string;
  status: string;
  gasUsed: string;
  effectiveGasPrice?: string;
  logs: { address: string; topics: string[]; data: string }[];
}

function toReceipt(r: RawReceipt): Receipt {
  return {
    transactionHash: r.transactionHash,
    blockNumber: Number(BigInt(r.blockNumber)),
    blockHash: r.blockHash,
    status: Number(BigInt(r.status)),
    gasUsed: BigInt(r.gasUsed),
    effectiveGasPrice: BigInt(r.effectiveGasPrice ?? 0),
    logs: r.logs,
  };
}

export interface SendResult {
  /** Broadcast (or its reply was lost: it is followed by hash like any other). */
  sent: JournalTx[];
  /** Signed and journaled but refused, or not broadcast after an earlier one was: dropped. */
  unsent: JournalTx[];
}

export interface FollowResult {
  /** Mined and final: `confirmations` blocks on top. */
  final: { tx: JournalEntry; receipt: Receipt }[];
  /** Their nonce was used by another transaction: never mined. */
  dropped: JournalEntry[];
}

export interface TxStats {
  sendMs: number;
  receiptMs: number;
  feeMs: number;
  txs: number;
}

export class TransactionSender {
  readonly stats: TxStats = { sendMs: 0, receiptMs: 0, feeMs: 0, txs: 0 };
  readonly #rpc: Rpc;
  readonly #wallet: Pick<Wallet, "address" | "signingKey">;
  readonly #chainId: bigint;
  readonly #journal: Journal;
  readonly #fees: FeeSettings;
  readonly #log: Logger;
  readonly #clock: () => number;
  #nonce: number | undefined;

  constructor(o: {
    rpc: Rpc;
    wallet: Pick<Wallet, "address" | "signingKey">;
    chainId: bigint;
    journal: Journal;
    fees: FeeSettings;
    log: Logger;
    /** Milliseconds now (tests move it). */
    clock?: () => number;
  }) {
    this.#rpc = o.rpc;
    this.#wallet = o.wallet;
    this.#chainId = o.chainId;
    this.#journal = o.journal;
    this.#fees = o.fees;
    this.#log = o.log;
    this.#clock = o.clock ?? Date.now;
  }

  get address(): string {
    return this.#wallet.address;
  }

  /** Transactions journaled and not yet settled. */
  inFlight(): number {
    return this.#journal.pendingCount();
  }

  /** Forget the local nonce: the next send reads it from the chain (after a reorg, a drop). */
  resetNonce(): void {
    this.#nonce = undefined;
  }

  async #timed<T>(key: "sendMs" | "receiptMs" | "feeMs", p: Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await p;
    } finally {
      this.stats[key] += performance.now() - t;
    }
  }

  /** Current fees: 2 × base fee + priority fee, as wallets do. */
  async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const [block, tip] = await Promise.all([
      this.#rpc.send<{ baseFeePerGas?: string } | null>("eth_getBlockByNumber", ["latest", false]),
      this.#rpc.send<string>("eth_maxPriorityFeePerGas", []).catch(() => "0x3b9aca00"),
    ]);
    const maxPriorityFeePerGas = BigInt(tip);
    const base = block?.baseFeePerGas === undefined ? 1_000_000_000n : BigInt(block.baseFeePerGas);
    return { maxFeePerGas: base * 2n + maxPriorityFeePerGas, maxPriorityFeePerGas };
  }

  /**
   * Sign, journal and broadcast the payloads in nonce order. A refusal stops the run: the later
   * ones are not broadcast (an automining node refuses a nonce gap) and come back unsent.
   */
  async send(payloads: readonly Payload[]): Promise<SendResult> {
    if (payloads.length === 0) return { sent: [], unsent: [] };
    const inFlight = this.inFlight();
    const [fee, chainNonce] = await this.#timed(
      "feeMs",
      Promise.all([
        this.fees(),
        inFlight === 0 || this.#nonce === undefined
          ? this.#rpc.send<string>("eth_getTransactionCount", [this.#wallet.address, "pending"]).then(Number)
          : Promise.resolve(this.#nonce),
      ]),
    );
    let nonce = inFlight === 0 ? chainNonce : Math.max(chainNonce, this.#nonce ?? 0);
    const signed: JournalTx[] = [];
    for (const p of payloads) {
      const { raw, hash } = signEip1559(this.#wallet, {
        chainId: this.#chainId,
        nonce,
        to: p.to,
        data: p.data,
        gasLimit: p.gasLimit,
        maxFeePerGas: fee.maxFeePerGas,
        maxPriorityFeePerGas: fee.maxPriorityFeePerGas,
      });
      const tx: JournalTx = {
        hash,
        nonce,
        raw,
        requestIds: p.requestIds,
        sentAt: this.#clock(),
        maxFeePerGas: fee.maxFeePerGas.toString(),
        maxPriorityFeePerGas: fee.maxPriorityFeePerGas.toString(),
      };
      signed.push(tx);
      nonce++;
    }
    this.#journal.record(signed); // before any broadcast
    this.#nonce = nonce;
    for (let i = 0; i < signed.length; i++) {
      if (await this.#broadcast(signed[i]!, "send")) continue;
      const unsent = signed.slice(i);
      this.#journal.setState(
        unsent.map((t) => t.hash),
        "dropped",
      );
      this.#nonce = undefined;
      return { sent: signed.slice(0, i), unsent };
    }
    return { sent: signed, unsent: [] };
  }

  /**
   * True when the node has the transaction or may have it (reply lost); false when it refused it.
   * The caller decides what a refusal means for the journal.
   */
  /** The entry with its signed bytes from the journal. */
  #withRaw(entry: JournalEntry): JournalTx {
    const raw = this.#journal.raw(entry.hash);
    if (raw === undefined) throw new Error(`transaction ${entry.hash} is not in the journal`);
    return { ...entry, raw };
  }

  async #broadcast(tx: JournalTx, kind: string): Promise<boolean> {
    try {
      await this.#timed("sendMs", this.#rpc.send("eth_sendRawTransaction", [tx.raw]));
      this.stats.txs++;
      this.#log.debug({ tx: tx.hash, nonce: tx.nonce, kind }, "transaction broadcast");
      return true;
    } catch (err) {
      if (!(err instanceof RpcRejectedError)) {
        // The node may have taken it: follow it by hash (receipt, or rebroadcast if unknown).
        this.#log.warn(
          { tx: tx.hash, nonce: tx.nonce, err: shortError(err) },
          "no answer to the broadcast; following the transaction by hash",
        );
        this.stats.txs++;
        return true;
      }
      if (/already known|already imported/i.test(err.message)) return true;
      this.#log.warn({ tx: tx.hash, nonce: tx.nonce, err: shortError(err) }, "broadcast refused");
      return false;
    }
  }

  /** Follow pending transactions against `head`: final receipts, drops, rebroadcasts, replacements. */
  async follow(head: number, confirmations: number): Promise<FollowResult> {
    const out: FollowResult = { final: [], dropped: [] };
    const pending = this.#journal.pending();
    if (pending.length === 0) return out;
    const receipts = await this.#timed(
      "receiptMs",
      Promise.all(
        pending.map((t) =>
          this.#rpc
            .send<RawReceipt | null>("eth_getTransactionReceipt", [t.hash])
            .then((r) => (r === null ? null : toReceipt(r))),
        ),
      ),
    );
    const byNonce = new Map<number, { tx: JournalEntry; receipt: Receipt | null }[]>();
    pending.forEach((tx, i) => {
      const list = byNonce.get(tx.nonce) ?? [];
      list.push({ tx, receipt: receipts[i]! });
      byNonce.set(tx.nonce, list);
    });
    let chainNonce: number | undefined;
    for (const [nonce, list] of [...byNonce.entries()].sort((a, b) => a[0] - b[0])) {
      const mined = list.find((x) => x.receipt !== null);
      if (mined !== undefined) {
        // Final by the node's rule: `confirmations` blocks on top of the receipt's block, the same
        // depth the event scan waits for, so a reorg the scan cannot see cannot undo it.
        if (head - mined.receipt!.blockNumber < confirmations) continue;
        this.#journal.setState([mined.tx.hash], "mined");
        this.#journal.setState(
          list.filter((x) => x !== mined).map((x) => x.tx.hash),
          "replaced",
        );
        out.final.push({ tx: mined.tx, receipt: mined.receipt! });
        continue;
      }
      const latest = list[list.length - 1]!.tx;
      const known = await this.#timed("receiptMs", this.#rpc.send<unknown>("eth_getTransactionByHash", [latest.hash]));
      if (known === null) {
        chainNonce ??= Number(
          await this.#rpc.send<string>("eth_getTransactionCount", [this.#wallet.address, "latest"]),
        );
        if (chainNonce > nonce) {
          this.#log.warn(
            { nonce, txs: list.map((x) => x.tx.hash) },
            "transaction dropped (its nonce was used by another transaction)",
          );
          this.#journal.setState(
            list.map((x) => x.tx.hash),
            "dropped",
          );
          out.dropped.push(latest);
          this.#nonce = undefined;
        } else {
          this.#log.info({ tx: latest.hash, nonce }, "transaction unknown to the node; rebroadcasting it");
          if (!(await this.#broadcast(this.#withRaw(latest), "rebroadcast"))) {
            this.#journal.setState(
              list.map((x) => x.tx.hash),
              "dropped",
            );
            out.dropped.push(latest);
            this.#nonce = undefined;
          }
        }
      } else if (this.#clock() - latest.sentAt > this.#fees.stuckAfterMs) {
        await this.#replace(latest);
      }
    }
    return out;
  }

  /** Same nonce, same calldata, fees bumped by bumpPercent (or the current fees if higher). */
  async #replace(entry: JournalEntry): Promise<void> {
    const old = this.#withRaw(entry);
    const fee = await this.fees();
    const pct = BigInt(100 + this.#fees.bumpPercent);
    const bump = (v: bigint, cur: bigint) => {
      const b = (v * pct) / 100n + 1n;
      return cur > b ? cur : b;
    };
    const maxPriorityFeePerGas = bump(BigInt(old.maxPriorityFeePerGas), fee.maxPriorityFeePerGas);
    let maxFeePerGas = bump(BigInt(old.maxFeePerGas), fee.maxFeePerGas);
    if (maxFeePerGas < maxPriorityFeePerGas) maxFeePerGas = maxPriorityFeePerGas;
    const parsed = decodeUnsigned(old.raw);
    const { raw, hash } = signEip1559(this.#wallet, {
      chainId: this.#chainId,
      nonce: old.nonce,
      to: parsed.to,
      data: parsed.data,
      gasLimit: parsed.gasLimit,
      maxFeePerGas,
      maxPriorityFeePerGas,
    });
    const tx: JournalTx = {
      hash,
      nonce: old.nonce,
      raw,
      requestIds: old.requestIds,
      sentAt: this.#clock(),
      maxFeePerGas: maxFeePerGas.toString(),
      maxPriorityFeePerGas: maxPriorityFeePerGas.toString(),
    };
    this.#log.warn(
      { old: old.hash, tx: hash, nonce: old.nonce, maxFeePerGas: tx.maxFeePerGas },
      "transaction stuck; replacing it with bumped fees",
    );
    this.#journal.record([tx]);
    await this.#broadcast(tx, "replacement");
  }
}

/** `to`, `data` and `gasLimit` of a signed type-2 transaction this layer made. */
function decodeUnsigned(raw: string): { to: string; data: string; gasLimit: bigint } {
  const b = Buffer.from(raw.slice(4), "hex"); // after 0x02
  let p = 0;
  const header = (): { len: number; list: boolean } => {
    const x = b[p]!;
    if (x < 0x80) return { len: 1, list: false };
    if (x < 0xb8) return (p++, { len: x - 0x80, list: false });
    if (x < 0xc0) {
      const n = x - 0xb7;
      const len = b.readUIntBE(p + 1, n);
      p += 1 + n;
      return { len, list: false };
    }
    if (x < 0xf8) return (p++, { len: x - 0xc0, list: true });
    const n = x - 0xf7;
    const len = b.readUIntBE(p + 1, n);
    p += 1 + n;
    return { len, list: true };
  };
  header(); // the list
  const items: Buffer[] = [];
  for (let i = 0; i < 8; i++) {
    const { len } = header();
    items.push(b.subarray(p, p + len));
    p += len;
  }
  const uint = (x: Buffer) => (x.length === 0 ? 0n : BigInt("0x" + x.toString("hex")));
  return { gasLimit: uint(items[4]!), to: "0x" + items[5]!.toString("hex"), data: "0x" + items[7]!.toString("hex") };
}
