import { createServer, connect, type Server, type Socket } from "node:net";

import { expect } from "chai";

import type { Contract } from "ethers";

import { requestParams } from "@verity-ai/sdk";
import { Worker } from "../../worker/worker.ts";
import {
  deployProtocol,
  freePort,
  fulfilmentCounts,
  fundRequester,
  openRequests,
  startNode,
  type LocalNode,
  type Protocol,
} from "../helpers/node.ts";
import { irisInput, newOperator, quiet, waitFor, workerConfig } from "./helpers.ts";

/** A TCP proxy on 127.0.0.1 in front of the node that can stop answering. */
class Proxy {
  readonly port: number;
  readonly target: number;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  constructor(port: number, target: number) {
    this.port = port;
    this.target = target;
  }
  async resume(): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = connect(this.target, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.#server!.listen(this.port, "127.0.0.1", () => r()));
  }
  async pause(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    for (const sock of this.#sockets) sock.destroy();
    await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
  }
}

describe("worker: RPC outage, stuck transactions and reorg", function () {
  this.timeout(120_000);
  let node: LocalNode;
  let p: Protocol;
  const key = (id: bigint) => "0x" + id.toString(16).padStart(64, "0");

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    await node.rpc("evm_setIntervalMining", [300]);
  });

  after(async function () {
    await node?.stop();
  });

  it("recovers when the RPC stops answering for a few seconds", async function () {
    const requester = await fundRequester(p, node.account(9));
    const op = await newOperator(p);
    const proxy = new Proxy(await freePort(), node.port);
    await proxy.resume();
    const worker = new Worker(
      await workerConfig(p, op, { rpcUrl: `http://127.0.0.1:${proxy.port}`, pollIntervalMs: 100 }),
      { logger: quiet, rpcTimeoutMs: 1000 },
    );
    await worker.start();
    try {
      const first = await openRequests(
        p,
        requester,
        Array.from({ length: 4 }, (_, i) => ({ modelId: p.models.iris!.modelId, input: irisInput(300 + i) })),
      );
      await waitFor("first batch confirmed", async () =>
        first.every((o) => worker.store.get(key(o.requestId))?.state === "confirmed"),
      );
      await proxy.pause();
      const second = await openRequests(
        p,
        requester,
        Array.from({ length: 4 }, (_, i) => ({ modelId: p.models.iris!.modelId, input: irisInput(310 + i) })),
      );
      await waitFor(
        "worker notices the outage",
        async () => worker.health().ok === false && worker.health().lastError !== null,
        20_000,
      );
      await new Promise((r) => setTimeout(r, 2000));
      await proxy.resume();
      await waitFor(
        "second batch confirmed after the outage",
        async () => second.every((o) => worker.store.get(key(o.requestId))?.state === "confirmed"),
        60_000,
      );
      expect(worker.health().ok).to.equal(true);
      const { fulfilled, skipped } = await fulfilmentCounts(p);
      for (const o of [...first, ...second]) {
        expect(fulfilled.get(o.requestId)!.count).to.equal(1);
        expect(skipped.has(o.requestId)).to.equal(false);
      }
    } finally {
      await worker.stop();
      await proxy.pause();
    }
  });

  it("replaces a transaction stuck in the mempool with bumped fees (same nonce) and settles the one mined", async function () {
    const requester = await fundRequester(p, node.account(8));
    const op = await newOperator(p);
    const worker = new Worker(await workerConfig(p, op, { gas: { stuckAfterMs: 1000, bumpPercent: 25 } }), {
      logger: quiet,
    });
    await worker.start(); // registers its enclave while blocks are still mined
    try {
      // From here on nothing is mined unless the test says so.
      await node.rpc("evm_setIntervalMining", [0]);
      await node.rpc("evm_setAutomine", [false]);
      const c = p.coordinator.connect(requester) as Contract;
      const sent = [];
      for (let i = 0; i < 3; i++) {
        const params = requestParams({ modelId: p.models.iris!.modelId, input: irisInput(330 + i) });
        sent.push(await c.getFunction("requestInference")(params));
      }
      // The requests, then one empty block: the worker reads events `confirmations` (1) behind the head.
      await node.rpc("evm_mine", []);
      await node.rpc("evm_mine", []);
      const ids: bigint[] = [];
      for (const tx of sent) {
        const receipt = await tx.wait();
        for (const log of receipt.logs) {
          const parsed = p.coordinator.interface.parseLog(log);
          if (parsed?.name === "InferenceRequested") ids.push(parsed.args.requestId as bigint);
        }
      }
      expect(ids.length).to.equal(3);

      // The fulfil transaction sits in the mempool; after stuckAfterMs the worker signs a replacement.
      const rows = await waitFor(
        "a replacement transaction with the same nonce",
        async () => {
          const pending = worker.store.pendingTxs();
          if (pending.length === 0) return undefined;
          const same = worker.store.txsByNonce(pending[0]!.nonce);
          return same.length >= 2 ? same : undefined;
        },
        30_000,
      );
      const [first, second] = rows as [(typeof rows)[0], (typeof rows)[0]];
      expect(second.nonce).to.equal(first.nonce);
      expect(second.hash).to.not.equal(first.hash);
      expect(second.requestIds).to.deep.equal(first.requestIds);
      expect([...first.requestIds].sort()).to.deep.equal(ids.map(key).sort());
      expect(BigInt(second.maxFeePerGas) >= (BigInt(first.maxFeePerGas) * 125n) / 100n + 1n).to.equal(true);
      expect(BigInt(second.maxPriorityFeePerGas) >= (BigInt(first.maxPriorityFeePerGas) * 125n) / 100n + 1n).to.equal(
        true,
      );

      // Blocks again: the replacement is mined, every older transaction of that nonce is marked replaced.
      await node.rpc("evm_setAutomine", [true]);
      await node.rpc("evm_setIntervalMining", [300]);
      await node.rpc("evm_mine", []);
      await waitFor("the results confirmed", async () =>
        ids.every((id) => worker.store.get(key(id))?.state === "confirmed"),
      );
      const final = worker.store.txsByNonce(first.nonce);
      const mined = final.filter((t) => t.state === "mined");
      expect(mined.length).to.equal(1);
      expect(mined[0]!.hash).to.equal(final[final.length - 1]!.hash);
      expect(final.slice(0, -1).every((t) => t.state === "replaced")).to.equal(true);
      for (let i = 1; i < final.length; i++)
        expect(BigInt(final[i]!.maxFeePerGas) > BigInt(final[i - 1]!.maxFeePerGas)).to.equal(true);
      const { fulfilled } = await fulfilmentCounts(p);
      for (const id of ids)
        expect(fulfilled.get(id)).to.deep.equal({
          count: 1,
          operator: op.wallet.address,
          outputHash: fulfilled.get(id)!.outputHash,
        });
    } finally {
      await node.rpc("evm_setAutomine", [true]);
      await node.rpc("evm_setIntervalMining", [300]);
      await worker.stop();
    }
  });

  it("re-processes what a reorg undid (evm_snapshot / evm_revert, then different blocks)", async function () {
    const requester = await fundRequester(p, node.account(10));
    const op = await newOperator(p);
    const worker = new Worker(await workerConfig(p, op, { reorgDepth: 200 }), { logger: quiet });
    await worker.init();
    await worker.runOnce();
    const snapshot = await node.rpc<string>("evm_snapshot");
    const undone = await openRequests(
      p,
      requester,
      Array.from({ length: 3 }, (_, i) => ({ modelId: p.models.iris!.modelId, input: irisInput(400 + i) })),
    );
    await worker.start();
    try {
      await waitFor("first requests confirmed", async () =>
        undone.every((o) => worker.store.get(key(o.requestId))?.state === "confirmed"),
      );
      const cursorBefore = worker.store.getCursor()!;
      expect(await node.rpc("evm_revert", [snapshot])).to.equal(true);
      requester.reset();
      // Different history: other requests, and more blocks than were undone.
      const redone = await openRequests(
        p,
        requester,
        Array.from({ length: 3 }, (_, i) => ({ modelId: p.models.iris!.modelId, input: irisInput(500 + i) })),
      );
      await waitFor(
        "requests of the new branch confirmed",
        async () => redone.every((o) => worker.store.get(key(o.requestId))?.state === "confirmed"),
        60_000,
      );
      const cursorAfter = worker.store.getCursor()!;
      expect(cursorAfter.hash).to.not.equal(cursorBefore.hash);
      for (const o of undone) {
        const job = worker.store.get(key(o.requestId))!;
        expect(job.state).to.equal("failed");
        expect(job.error).to.equal("reorged-out: the request is no longer on-chain");
      }
      const { fulfilled, skipped } = await fulfilmentCounts(p);
      for (const o of redone) {
        expect(fulfilled.get(o.requestId)!.count).to.equal(1);
        expect(skipped.has(o.requestId)).to.equal(false);
      }
      for (const o of undone) expect(fulfilled.has(o.requestId)).to.equal(false);
    } finally {
      await worker.stop();
    }
  });
});
