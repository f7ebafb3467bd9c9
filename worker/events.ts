/**
 * Chain event source: polls the coordinator's logs in block ranges `confirmations` behind the head,
 * keeps a cursor (block number + hash) in the job store, rewinds on a reorg and catches up from the
 * cursor on restart. Works against any JSON-RPC endpoint (eth_getLogs, eth_getBlockByNumber).
 */
import { Interface, toBeHex, type JsonRpcProvider, type Log } from "ethers";
import type { Logger } from "pino";

import { toRequest } from "../sdk/request.ts";
import type { Request } from "../sdk/types.ts";
import { COORDINATOR_ABI } from "./abi.ts";
import type { Cursor, JobStore } from "./db.ts";

export const coordinatorInterface = new Interface(COORDINATOR_ABI);
const T_REQUESTED = coordinatorInterface.getEvent("InferenceRequested")!.topicHash;
const T_FULFILLED = coordinatorInterface.getEvent("InferenceFulfilled")!.topicHash;
const T_REFUNDED = coordinatorInterface.getEvent("RequestRefunded")!.topicHash;

export interface RequestedEvent {
  requestId: string;
  request: Request;
  input: string;
  blockNumber: number;
  blockHash: string;
  blockTime: number;
}

export interface CompletedEvent {
  requestId: string;
  kind: "fulfilled" | "refunded";
  operator: string | null;
  txHash: string;
  blockNumber: number;
}

export interface EventBatch {
  fromBlock: number;
  toBlock: number;
  requested: RequestedEvent[];
  completed: CompletedEvent[];
}

export interface PollResult {
  head: number;
  /** Set when a reorg was found: the block the cursor was rewound to. */
  rewoundTo?: number;
  batches: number;
}

/** 0x-prefixed 32-byte hex form used as the job key. */
export function requestKey(id: bigint): string {
  return toBeHex(id, 32);
}

export interface EventSourceOptions {
  coordinator: string;
  confirmations: number;
  blockRange: number;
  startBlock: number;
  reorgDepth: number;
}

export class EventSource {
  readonly #provider: JsonRpcProvider;
  readonly #store: JobStore;
  readonly #opts: EventSourceOptions;
  readonly #log: Logger;

  constructor(provider: JsonRpcProvider, store: JobStore, opts: EventSourceOptions, log: Logger) {
    this.#provider = provider;
    this.#store = store;
    this.#opts = opts;
    this.#log = log;
  }

  cursor(): Cursor {
    return this.#store.getCursor() ?? { block: this.#opts.startBlock - 1, hash: "" };
  }

  /**
   * Scan from the cursor to `head - confirmations`; `onBatch` is awaited for each range before the
   * cursor moves past it, so a crash inside it re-reads the range on restart.
   */
  async poll(onBatch: (b: EventBatch) => Promise<void> | void, rpc?: (ms: number) => void): Promise<PollResult> {
    const timed = async <T>(p: Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await p;
      } finally {
        rpc?.(performance.now() - t);
      }
    };
    const head = await timed(this.#provider.getBlockNumber());
    const safe = head - this.#opts.confirmations;
    let cursor = this.cursor();
    let rewoundTo: number | undefined;

    if (cursor.hash !== "") {
      const block = cursor.block <= head ? await timed(this.#provider.getBlock(cursor.block)) : null;
      if (block === null || block.hash !== cursor.hash) {
        const to = Math.max(this.#opts.startBlock - 1, cursor.block - this.#opts.reorgDepth, -1);
        const hash = to >= 0 ? ((await timed(this.#provider.getBlock(to)))?.hash ?? "") : "";
        this.#log.warn(
          { cursor, chainHash: block?.hash ?? null, rewindTo: to },
          "reorg detected: cursor block hash changed, rewinding",
        );
        cursor = { block: to, hash };
        this.#store.setCursor(cursor);
        rewoundTo = to;
      }
    }

    let batches = 0;
    let from = cursor.block + 1;
    while (from <= safe) {
      const to = Math.min(from + this.#opts.blockRange - 1, safe);
      const [logs, toBlock] = await Promise.all([
        timed(
          this.#provider.getLogs({
            address: this.#opts.coordinator,
            fromBlock: from,
            toBlock: to,
            topics: [[T_REQUESTED, T_FULFILLED, T_REFUNDED]],
          }),
        ),
        timed(this.#provider.getBlock(to)),
      ]);
      if (toBlock === null) throw new Error(`block ${to} not found`);
      const batch = await this.#decode(from, to, logs, timed);
      await onBatch(batch);
      this.#store.setCursor({ block: to, hash: toBlock.hash! });
      batches++;
      from = to + 1;
    }
    return { head, rewoundTo, batches };
  }

  async #decode(
    fromBlock: number,
    toBlock: number,
    logs: readonly Log[],
    timed: <T>(p: Promise<T>) => Promise<T>,
  ): Promise<EventBatch> {
    const requested: Omit<RequestedEvent, "blockTime">[] = [];
    const completed: CompletedEvent[] = [];
    for (const log of logs) {
      let parsed;
      try {
        parsed = coordinatorInterface.parseLog(log);
      } catch (err) {
        this.#log.error({ err, tx: log.transactionHash }, "undecodable coordinator log");
        continue;
      }
      if (parsed === null) continue;
      const requestId = requestKey(parsed.args.requestId as bigint);
      if (parsed.name === "InferenceRequested") {
        requested.push({
          requestId,
          request: toRequest((parsed.args.request as { toObject(): Record<string, unknown> }).toObject()),
          input: parsed.args.input as string,
          blockNumber: log.blockNumber,
          blockHash: log.blockHash,
        });
      } else {
        completed.push({
          requestId,
          kind: parsed.name === "InferenceFulfilled" ? "fulfilled" : "refunded",
          operator: parsed.name === "InferenceFulfilled" ? (parsed.args.operator as string) : null,
          txHash: log.transactionHash,
          blockNumber: log.blockNumber,
        });
      }
    }
    // Block times of the request blocks (for latency); JsonRpcProvider batches these calls.
    const numbers = [...new Set(requested.map((r) => r.blockNumber))];
    const times = new Map<number, number>();
    const CHUNK = 200;
    for (let i = 0; i < numbers.length; i += CHUNK) {
      const blocks = await timed(Promise.all(numbers.slice(i, i + CHUNK).map((n) => this.#provider.getBlock(n))));
      blocks.forEach((b, k) => times.set(numbers[i + k]!, b?.timestamp ?? 0));
    }
    return {
      fromBlock,
      toBlock,
      requested: requested.map((r) => ({ ...r, blockTime: times.get(r.blockNumber) ?? 0 })),
      completed,
    };
  }
}
