/** Shared fixtures of the node's unit tests: requests, jobs and a scripted JSON-RPC. */
import { pino } from "pino";

import { Mode, type Request } from "@verity-ai/sdk";

import type { Rpc } from "../../../worker/chain/rpc.ts";
import type { NewJob } from "../../../worker/store.ts";

export const silent = pino({ level: "silent" });

export function request(i: number, over: Partial<Request> = {}): Request {
  return {
    requester: "0x00000000000000000000000000000000000000aa",
    nonce: BigInt(i),
    deadline: 1_900_000_000n,
    modelId: "0x" + "ab".repeat(32),
    version: 1n,
    weightsHash: "0x" + "cd".repeat(32),
    inputHash: "0x" + "ef".repeat(32),
    mode: BigInt(Mode.TEE),
    operator: "0x0000000000000000000000000000000000000000",
    callback: "0x0000000000000000000000000000000000000000",
    callbackGasLimit: 0n,
    storeOutput: true,
    fee: 10n ** 19n,
    royalty: 2n * 10n ** 18n,
    protocolFee: 5n * 10n ** 17n,
    ...over,
  } as Request;
}

export const idOf = (i: number) => "0x" + i.toString(16).padStart(64, "0");

export function newJob(i: number, over: Partial<Request> = {}): NewJob {
  return {
    requestId: idOf(i),
    request: request(i, over),
    inputHex: "0x0102",
    blockNumber: 10 + i,
    blockHash: "0x" + "11".repeat(32),
    blockTime: 1_700_000_000,
  };
}

/** A JSON-RPC that answers from a script: each method maps to a function of its params. */
export class ScriptedRpc implements Rpc {
  readonly calls: { method: string; params: readonly unknown[] }[] = [];
  readonly handlers: Record<string, (params: readonly unknown[]) => unknown> = {};

  on(method: string, fn: (params: readonly unknown[]) => unknown): this {
    this.handlers[method] = fn;
    return this;
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  async send<T>(method: string, params: readonly unknown[]): Promise<T> {
    this.calls.push({ method, params });
    const h = this.handlers[method];
    if (h === undefined) throw new Error(`scripted RPC: no answer for ${method}`);
    return (await h(params)) as T;
  }
}
