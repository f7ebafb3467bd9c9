/**
 * Sharing open requests among the network's operators instead of racing for them. Every node
 * ranks the eligible operators for each open request the same way (keccak256(requestId ‖
 * operator), ascending), so without talking to each other they agree on who goes first: the
 * first-ranked operator serves it at once, the operator ranked k steps in only after k ×
 * `policy.graceSec` seconds from the request's block (or from when the node first saw it, if
 * later: a backlog found at start), when those ahead of it have not served it (an offline or slow
 * operator). A request assigned to an operator is not ranked.
 *
 * The operator set is learnt from the chain: OperatorStaking `Staked` events (scanned with the
 * coordinator's), kept in the job store, filtered by `isEligible` (refreshed every
 * `refreshMs`), this node always included.
 */
import { concat, getAddress, keccak256, Interface } from "ethers";
import type { Logger } from "pino";

import type { Rpc } from "../chain/rpc.ts";
import type { JobStore } from "../store.ts";

const STAKING = new Interface(["function isEligible(address operator) view returns (bool)"]);

/** This node's place (0 = first) among `operators` for `requestId`. */
export function rankOf(requestId: string, operators: readonly string[], me: string): number {
  const mine = me.toLowerCase();
  const all = [...new Set([...operators.map((o) => o.toLowerCase()), mine])];
  const score = (op: string) => keccak256(concat([requestId, op]));
  const order = all.map((op) => ({ op, s: score(op) })).sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  return order.findIndex((x) => x.op === mine);
}

export class OperatorSet {
  readonly #o: { store: JobStore; rpc: Rpc; staking: string; me: string; refreshMs: number; log: Logger };
  #eligible: string[] = [];
  #refreshedAt = 0;

  constructor(o: { store: JobStore; rpc: Rpc; staking: string; me: string; refreshMs?: number; log: Logger }) {
    this.#o = { ...o, refreshMs: o.refreshMs ?? 15_000 };
  }

  known(): string[] {
    const v = this.#o.store.getMeta("operators");
    return v === undefined ? [] : (JSON.parse(v) as string[]);
  }

  /** Record operators that staked; the eligible set is read again on the next refresh. */
  add(operators: readonly string[]): void {
    if (operators.length === 0) return;
    const known = new Set(this.known());
    const before = known.size;
    for (const o of operators) known.add(getAddress(o));
    if (known.size !== before) {
      this.#o.store.setMeta("operators", JSON.stringify([...known].sort()));
      this.#refreshedAt = 0;
    }
  }

  /** Eligible operators (this node included), read from the staking contract at most every refreshMs. */
  async eligible(): Promise<string[]> {
    if (Date.now() - this.#refreshedAt < this.#o.refreshMs) return this.#eligible;
    const known = this.known();
    const flags = await Promise.all(
      known.map(async (op) => {
        const ret = await this.#o.rpc.send<string>("eth_call", [
          { to: this.#o.staking, data: STAKING.encodeFunctionData("isEligible", [op]) },
          "latest",
        ]);
        return BigInt(ret) === 1n;
      }),
    );
    const eligible = known.filter((_, i) => flags[i]);
    if (eligible.join() !== this.#eligible.join())
      this.#o.log.info({ operators: eligible }, "eligible operators: open requests are shared among them");
    this.#eligible = eligible;
    this.#refreshedAt = Date.now();
    return eligible;
  }
}
