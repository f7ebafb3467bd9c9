import { createServer, connect, type Server, type Socket } from "node:net";

import { expect } from "chai";

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

describe("worker: RPC outage and reorg", function () {
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
