/**
 * Chain event source: polls the coordinator's logs in block ranges `confirmations` behind the head,
 * keeps a cursor (block number + hash) in the job store, rewinds on a reorg and catches up from the
 * cursor on restart. Works against any JSON-RPC endpoint (eth_getLogs, eth_getBlockByNumber).
 */
import { Interface, getAddress, id, toBeHex, toQuantity, type JsonRpcProvider } from "ethers";
import type { Logger } from "pino";

import { InferenceCoordinatorAbi, PROTOCOL_ERRORS, REQUEST_LAYOUT, toRequest, type Request } from "@verity-ai/sdk";
import type { Cursor, JobStore } from "./store.ts";

/** The coordinator's functions and events, and every protocol error (verifiers' errors bubble up through it). */
export const coordinatorInterface = new Interface([
  ...InferenceCoordinatorAbi.filter((item) => item.type !== "error"),
  ...PROTOCOL_ERRORS,
]);
const T_REQUESTED = coordinatorInterface.getEvent("InferenceRequested")!.topicHash;
const T_FULFILLED = coordinatorInterface.getEvent("InferenceFulfilled")!.topicHash;
const T_REFUNDED = coordinatorInterface.getEvent("RequestRefunded")!.topicHash;
/** OperatorStaking `Staked(address indexed operator, uint256 amount, uint256 totalStaked)`. */
export const T_STAKED = id("Staked(address,uint256,uint256)");

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
  /** Operators that staked in this range (OperatorStaking `Staked`), when the staking contract is scanned. */
  staked: string[];
}

export interface PollResult {
  head: number;
  /** Set when a reorg was found: the block the cursor was rewound to. */
  rewoundTo?: number;
  /** Set when the cursor was above the head: by how many blocks (a chain replaced under the node?). */
  cursorBeyondHead?: number;
  /** Timestamp of the last block scanned in this poll (undefined when no range was scanned). */
  blockTime?: number;
  batches: number;
}

/**
 * Checksummed addresses of recently seen 20-byte hex bodies: a checksum is a keccak256, and the same
 * few requesters, callbacks and operators recur in every request (bounded: cleared when full).
 */
const CHECKSUMS = new Map<string, string>();
function checksummed(body: string): string {
  const key = body.toLowerCase();
  let out = CHECKSUMS.get(key);
  if (out === undefined) {
    if (CHECKSUMS.size >= 4096) CHECKSUMS.clear();
    out = getAddress("0x" + key);
    CHECKSUMS.set(key, out);
  }
  return out;
}

const HEAD_WORDS = REQUEST_LAYOUT.length + 1; // static Request tuple inline, then the offset of `input`

/**
 * Decode `InferenceRequested` data (abi.encode(Request, bytes input)) by slicing words: ethers'
 * generic `parseLog` costs ~2 ms per event, this a few µs. Returns undefined when the layout is not
 * the canonical one (the caller then uses `parseLog`); the first event of each range is also
 * decoded with `parseLog` and compared, so a disagreement fails loudly instead of silently.
 */
export function decodeRequested(data: string): { request: Request; input: string } | undefined {
  const hex = data.startsWith("0x") ? data.slice(2) : data;
  if (hex.length < (HEAD_WORDS + 1) * 64 || hex.length % 64 !== 0) return undefined;
  const word = (i: number) => hex.slice(i * 64, i * 64 + 64);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < REQUEST_LAYOUT.length; i++) {
    const [key, kind] = REQUEST_LAYOUT[i]!;
    const w = word(i);
    if (kind === "address") {
      if (!w.startsWith("000000000000000000000000")) return undefined;
      out[key] = checksummed(w.slice(24));
    } else if (kind === "uint") out[key] = BigInt("0x" + w);
    else if (kind === "bytes32") out[key] = "0x" + w.toLowerCase();
    else {
      const b = BigInt("0x" + w);
      if (b > 1n) return undefined;
      out[key] = b === 1n;
    }
  }
  const offset = Number(BigInt("0x" + word(REQUEST_LAYOUT.length)));
  if (offset !== HEAD_WORDS * 32) return undefined;
  const length = Number(BigInt("0x" + word(HEAD_WORDS)));
  const start = (HEAD_WORDS + 1) * 64;
  if (start + length * 2 > hex.length) return undefined;
  return { request: out as unknown as Request, input: "0x" + hex.slice(start, start + length * 2).toLowerCase() };
}

/** The fields of an eth_getLogs entry the worker reads (blockNumber converted to a number). */
interface RawLog {
  topics: string[];
  data: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
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
  /** OperatorStaking address: its `Staked` events name the operators of the network. */
  staking?: string;
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
    const cursorBeyondHead = cursor.hash !== "" && cursor.block > head ? cursor.block - head : undefined;

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
    let blockTime: number | undefined;
    let from = cursor.block + 1;
    while (from <= safe) {
      const to = Math.min(from + this.#opts.blockRange - 1, safe);
      const [logs, toBlock] = await Promise.all([
        // Raw eth_getLogs: ethers' getLogs builds a Log object per entry (address checksums, hex
        // copies of the data), ~1 ms per InferenceRequested event; only these fields are used.
        timed(
          this.#provider
            .send("eth_getLogs", [
              {
                address:
                  this.#opts.staking === undefined
                    ? this.#opts.coordinator
                    : [this.#opts.coordinator, this.#opts.staking],
                fromBlock: toQuantity(from),
                toBlock: toQuantity(to),
                topics: [
                  [T_REQUESTED, T_FULFILLED, T_REFUNDED, ...(this.#opts.staking === undefined ? [] : [T_STAKED])],
                ],
              },
            ])
            .then(
              (
                raw: {
                  topics: string[];
                  data: string;
                  blockNumber: string;
                  blockHash: string;
                  transactionHash: string;
                  removed?: boolean;
                }[],
              ) =>
                raw
                  .filter((l) => l.removed !== true)
                  .map((l): RawLog => ({
                    topics: l.topics,
                    data: l.data,
                    blockNumber: Number(BigInt(l.blockNumber)),
                    blockHash: l.blockHash,
                    transactionHash: l.transactionHash,
                  })),
            ),
        ),
        timed(this.#provider.getBlock(to)),
      ]);
      if (toBlock === null) throw new Error(`block ${to} not found`);
      const batch = await this.#decode(from, to, logs, timed);
      await onBatch(batch);
      this.#store.setCursor({ block: to, hash: toBlock.hash! });
      blockTime = toBlock.timestamp;
      batches++;
      from = to + 1;
    }
    return { head, rewoundTo, cursorBeyondHead, batches, blockTime };
  }

  /**
   * The `InferenceRequested` event of one request, looked up directly (eth_getLogs on topic1 =
   * requestId) from a little before the cursor to the head, unconfirmed blocks included: for a
   * request the event scan has not reached yet. Undefined when there is none.
   */
  async findRequest(requestId: string): Promise<RequestedEvent | undefined> {
    const cursor = this.cursor();
    const from = Math.max(this.#opts.startBlock, cursor.block - this.#opts.reorgDepth, 0);
    const raw = (await this.#provider.send("eth_getLogs", [
      {
        address: this.#opts.coordinator,
        fromBlock: toQuantity(from),
        toBlock: "latest",
        topics: [T_REQUESTED, requestKey(BigInt(requestId))],
      },
    ])) as {
      topics: string[];
      data: string;
      blockNumber: string;
      blockHash: string;
      transactionHash: string;
      removed?: boolean;
    }[];
    const log = raw.filter((l) => l.removed !== true).pop();
    if (log === undefined) return undefined;
    const parsed = coordinatorInterface.parseLog(log);
    if (parsed === null) return undefined;
    const blockNumber = Number(BigInt(log.blockNumber));
    return {
      requestId: requestKey(parsed.args.requestId as bigint),
      request: toRequest((parsed.args.request as { toObject(): Record<string, unknown> }).toObject()),
      input: parsed.args.input as string,
      blockNumber,
      blockHash: log.blockHash,
      blockTime: 0, // not needed by the callers (the event scan records it for the job)
    };
  }

  async #decode(
    fromBlock: number,
    toBlock: number,
    logs: readonly RawLog[],
    timed: <T>(p: Promise<T>) => Promise<T>,
  ): Promise<EventBatch> {
    const requested: Omit<RequestedEvent, "blockTime">[] = [];
    const completed: CompletedEvent[] = [];
    const staked: string[] = [];
    let checked = false;
    for (const log of logs) {
      const topic = log.topics[0];
      if (topic === T_STAKED) {
        if (log.topics.length === 2) staked.push(getAddress("0x" + log.topics[1]!.slice(26)));
        continue;
      }
      if (topic === T_REQUESTED && log.topics.length === 4) {
        const fast = decodeRequested(log.data);
        if (fast !== undefined) {
          if (!checked) {
            // Spot check of the fast decoder against ethers on the first event of the range.
            const parsed = coordinatorInterface.parseLog(log);
            const request = toRequest((parsed!.args.request as { toObject(): Record<string, unknown> }).toObject());
            const same =
              JSON.stringify(request, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ===
                JSON.stringify(fast.request, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) &&
              parsed!.args.input === fast.input;
            if (!same)
              throw new Error(`InferenceRequested fast decoder disagrees with the ABI (tx ${log.transactionHash})`);
            checked = true;
          }
          requested.push({
            requestId: requestKey(BigInt(log.topics[1]!)),
            request: fast.request,
            input: fast.input,
            blockNumber: log.blockNumber,
            blockHash: log.blockHash,
          });
          continue;
        }
      } else if (
        (topic === T_FULFILLED && log.topics.length === 4) ||
        (topic === T_REFUNDED && log.topics.length === 3)
      ) {
        // Everything needed is in the indexed topics.
        completed.push({
          requestId: requestKey(BigInt(log.topics[1]!)),
          kind: topic === T_FULFILLED ? "fulfilled" : "refunded",
          operator: topic === T_FULFILLED ? getAddress("0x" + log.topics[2]!.slice(26)) : null,
          txHash: log.transactionHash,
          blockNumber: log.blockNumber,
        });
        continue;
      }
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
      staked,
    };
  }
}
